package models_test

import (
	"fmt"

	fmbackend "github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// An MLP velocity field on 2D points: 3 points in, 3 velocities out.
func ExampleMLP() {
	cfg := models.MLPConfig{Hidden: []int{64, 64}} // SiLU, 64-wide time embedding
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	n, _ := cfg.NumParams(2)
	fmt.Println("parameters:", n)

	backend, err := fmbackend.NewGo()
	if err != nil {
		panic(err)
	}
	store := model.NewStore()
	_ = store.SetRNGStateFromSeed(1) // deterministic initialization
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, x, t *graph.Node) *graph.Node {
		return models.MLP(scope.In("velocity"), x, t, cfg)
	})
	v := exec.MustCall1([][]float32{{0, 0}, {1, 0}, {0, 1}}, float32(0.5)) // scalar t for the whole batch
	fmt.Println("output shape:", v.Shape())
	fmt.Println("bad activation:", models.MLPConfig{Activation: "swish"}.Validate())
	// Output:
	// parameters: 8578
	// output shape: (Float32)[3, 2]
	// bad activation: models: MLPConfig.Activation "swish" is unknown; valid names are gelu, relu, selu, silu, tanh ("" means "silu")
}

// A UNet velocity field for MNIST-sized images: rows of 784 pixels in, rows
// of 784 velocities out. The final convolution starts at zero, so a fresh
// network returns 0 everywhere.
func ExampleUNet() {
	cfg := models.UNetConfig{Height: 28, Width: 28, Channels: 1} // defaults: 14x14x32 and 7x7x64
	n, err := cfg.NumParams()
	if err != nil {
		panic(err)
	}
	fmt.Println("parameters:", n)

	backend, err := fmbackend.NewGo()
	if err != nil {
		panic(err)
	}
	store := model.NewStore()
	_ = store.SetRNGStateFromSeed(1) // deterministic initialization
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, x, t *graph.Node) *graph.Node {
		return models.UNet(scope.In("unet"), x, t, cfg)
	})
	x := make([][]float32, 2) // two blank images
	for i := range x {
		x[i] = make([]float32, cfg.Dim())
	}
	v := exec.MustCall1(x, []float32{0.25, 0.75}) // one time per image
	fmt.Println("output shape:", v.Shape())
	maxAbs := float32(0)
	for _, row := range v.Value().([][]float32) {
		for _, e := range row {
			maxAbs = max(maxAbs, e, -e)
		}
	}
	fmt.Println("max |output| at initialization:", maxAbs)

	deep := models.UNetConfig{Height: 28, Width: 28, Channels: 1, ChannelMult: []int{1, 2, 2}}
	fmt.Println(deep.Validate())
	// Output:
	// parameters: 378372
	// output shape: (Float32)[2, 784]
	// max |output| at initialization: 0
	// models: UNetConfig has 3 levels, i.e. 2 halvings of the 14x14 grid (the 28x28 image after Patch 2), which 4 does not divide; use fewer levels (shorter ChannelMult) or a smaller Patch
}

// The MLP baseline for flattened 28x28 images.
func ExampleMNISTMLPConfig() {
	cfg := models.MNISTMLPConfig()
	n, _ := cfg.NumParams(28 * 28)
	fmt.Println("hidden:", cfg.Hidden, "activation:", cfg.Activation, "parameters:", n)
	// Output:
	// hidden: [1024 1024 1024] activation: silu parameters: 3772176
}
