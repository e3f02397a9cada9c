package models

// MNISTHidden are the hidden-layer widths of MNISTMLPConfig.
var MNISTHidden = []int{1024, 1024, 1024}

// MNISTMLPConfig returns the MLP baseline for flattened 28x28 grey images
// (D = 784, e.g. MNIST scaled to [-1, 1]): three hidden layers of 1024 SiLU
// units on [x, e(t)] with the default 64-wide time embedding, and
// FusedActivation on.
//
// It has 3,772,176 parameters for D = 784 (NumParams(784)); a CFM training
// step on a batch of 64 takes 65-115 ms on two CPU cores with the pure-Go
// backend, against 0.43-0.57 s for the default UNetConfig (see the package
// documentation), so in the same time it takes about five times as many
// steps. It treats pixels as an
// unordered vector (no notion of neighbourhood), so expect blurrier, less
// consistent digits than from UNet; it is the reference a convolutional
// network must beat. It works unchanged for other flattened images (the
// input width only changes the first and last layers), e.g. 3072 values for
// 32x32 RGB, though colour images need more capacity than this.
//
// The returned config is a fresh copy; modify it freely.
func MNISTMLPConfig() MLPConfig {
	return MLPConfig{
		Hidden:          append([]int(nil), MNISTHidden...),
		Activation:      "silu",
		FusedActivation: true,
	}
}
