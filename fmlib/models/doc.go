// Package models holds the neural networks that play the velocity, score or
// noise predictor in flow matching and diffusion: functions of (scope, x, t)
// in GoMLX style that create their variables in the scope and return a graph
// node.
//
// # MLP
//
// MLP maps points x in R^D (a batch [B, D]) and a time t in [0, 1] to R^D:
//
//	h_0 = [x, e(t)]                               (concatenation, width D + E)
//	h_l = phi(h_{l-1} W_l + b_l),  l = 1..L       (hidden widths MLPConfig.Hidden)
//	f(x, t) = h_L W_out + b_out                   (linear, width D)
//
// with phi one of silu (x * sigmoid(x), default), relu, gelu, tanh, selu.
//
// The time embedding e(t) in R^E (E = MLPConfig.TimeEmbedDim, even, default
// 64) is sinusoidal with K = E/2 log-spaced angular frequencies
//
//	omega_k = w_min * (w_max / w_min)^(k / (K-1)),  k = 0..K-1
//	e(t) = [sin(omega_0 t), ..., sin(omega_{K-1} t), cos(omega_0 t), ..., cos(omega_{K-1} t)]
//
// with w_min = 1 and w_max = 100 radians per unit time by default. The
// lowest frequency is monotone over t in [0, 1] (a smooth clock); the
// highest resolves changes of the field on a time scale of about 0.06. Raw t
// is not fed separately: sin(omega_0 t) ~ t near 0 and the cosine pair makes
// the map t -> e(t) injective on [0, 1].
//
// The number of trainable scalars is sum_l (w_l w_{l+1} + w_{l+1}) over the
// layer widths w = (D+E, Hidden..., D) (MLPConfig.NumParams): 149,250 for the
// default network on 2D points.
//
// # Speed on the pure-Go backend
//
// The hidden layers use nn.Dense, which the pure-Go backend runs as a fused
// matmul + bias followed by a fused activation (SIMD kernels, with their own
// gradients). When t is a scalar (one time for the batch, as the ODE
// solvers call the network) the time embedding is computed once and enters
// the first layer as part of its bias, [x, e(t)] W + b = x W_x + (e(t) W_e + b),
// instead of being computed and multiplied per row: on 10,000 2D points that
// removed a quarter of the forward pass (the sines and cosines). With a
// scalar t the hidden activations also run in the products' epilogue
// (denseEpilogue: a fifth of the forward pass was the separate activation
// op's copy and pass); a gradient through them recomputes the layer's
// pre-activation. See cmd/fmbench for measurements against PyTorch.
//
// # UNet
//
// UNet is a convolutional velocity network for images, with MLP's calling
// convention: x is [B, D] with D = H*W*C pixels per row (channels last, as
// the data loaders flatten them), t a scalar or one time per row, and the
// output has x's shape. Internally (UNetConfig.Patch = p, default 2):
//
//	u_0 = S_p(x)                                    space-to-depth: [p*p*C, H/p, W/p]
//	c   = silu(W_2 silu(W_1 e(t) + b_1) + b_2)      time conditioning, width T = TimeHidden (4*BaseChannels)
//	h   = Conv(u_0)                                 3x3, to C_0 channels
//	down, l = 0..L-1:  h = Res_l(h, c) (ResBlocks times);  s_l = h;  h = Pool(h) if l < L-1
//	middle:            h = Attn(h) (if Attention);  h = Res(h, c)
//	up, l = L-1..0:    h = [h; s_l];  h = Res_l(h, c) (ResBlocks times);  h = Conv(Up(h)) to C_{l-1} if l > 0
//	f(x, t) = S_p^{-1}(Conv_0(silu(GN(h))))        the last convolution starts at zero
//
// with C_l = BaseChannels*ChannelMult[l] (defaults 32 and {1, 2}), Pool the
// 2x2 average, Up the 2x2 nearest-neighbour repeat, [a; b] concatenation
// along channels, and Conv a 3x3 convolution with zero padding and bias.
// Level l runs at 1/2^l of the patched resolution, so the default MNIST
// network works on 14x14x32 and 7x7x64 maps; Validate rejects
// configurations whose halvings do not divide the grid (28x28 with Patch 1
// allows three levels, 28 -> 14 -> 7; with Patch 2, two).
//
// A residual block from a to b channels is pre-activation with the time
// projection added before its second normalisation:
//
//	r = Conv(silu(GN(h)));   Res(h, c) = K h + Conv(silu(GN(r + P c)))
//
// where K is the identity if a = b and a 1x1 convolution (no bias)
// otherwise, and P a per-block linear map of c (all blocks' P are one
// matrix, "time_proj"). GroupNorm with G = Groups groups (default 8)
// normalises every image over each group of channels and all positions:
//
//	GN(u)_c = (u_c - mu_g) / sqrt(sigma_g^2 + 1e-5) * (1 + gamma_c) + beta_c
//
// The optional attention block is single-head self-attention over the h*w
// positions of the lowest level: Attn(h) = h + W_o (V softmax(Q^T K / sqrt(C))^T)
// with Q, K, V linear maps of GN(h).
//
// UNetConfig.NumParams counts the parameters (378,372 for the MNIST
// defaults, 382,988 for CIFAR-10's 32x32x3).
//
// # Class labels
//
// With Classes = K > 0 in MLPConfig or UNetConfig the networks are
// class-conditional, f(x, t | y), and are called as MLPLabeled and
// UNetLabeled with an integer label per row (the vfield.Labeled contract).
// A learned table L of K+1 rows of width E (LabelEmbedding; row K is the
// "null" label that stands for "no label") is added to the time embedding:
//
//	MLP:   h_0 = [x, e(t) + L_y]
//	UNet:  c   = silu(W_2 silu(W_1 (e(t) + L_y) + b_1) + b_2)
//
// so the label reaches the MLP's first layer and every residual block of the
// U-Net through the same path as the time. This adds (K+1) E parameters
// (704 for MNIST's 10 digits at E = 64) and nothing else; with Classes = 0
// the networks, their variables and their outputs are exactly the
// unconditional ones. Training replaces a share of the labels by the null
// label (objective.DropLabels), so one network learns both the conditional
// fields and the unconditional one that classifier-free guidance (package
// guidance) combines.
//
// # Images with an MLP
//
// MNISTMLPConfig is the fully connected baseline for flattened 28x28 images:
// MLP with three hidden layers of 1024 SiLU units (3,772,176 parameters).
//
// # How UNet is computed on the pure-Go backend
//
// GoMLX's generic convolution on the pure-Go backend loops over every
// output element and is far too slow to train with, so UNet computes its
// convolutions as matrix products, with feature maps stored channels-first
// and batch-second, [C, B, H, W]. A 3x3 convolution stacks the input shifted
// left and right along channels (X3, [3C+1, B*H*W] with a row of ones for
// the bias), multiplies once by the kernel rearranged as [3*out, 3C+1] (one
// block of rows per kernel row) and adds the three row blocks of the product
// shifted up and down: a third of the copying of the usual nine shifted
// copies (im2col). The gradients of the products are written by hand so
// that each is a plain product in a layout the backend runs without
// transposing large tensors.
//
// Row and column shifts and the cuts of blocks out of larger tensors are
// single Pad ops with negative edges where they cut (pad.go): the pure-Go
// backend copies contiguous runs for Pad but element by element for Slice.
//
// Measured on a shared two-core Xeon with GoMLX v0.28.16 (go test -bench
// 'UNetTrainStep|UNetForward|ImageMLPTrainStep' ./fmlib/models: batch 64,
// a CFM step with Adam; one run on a quiet machine, whose timings vary by
// about +-15% from run to run; with GoMLX v0.28.2 the same steps took
// 0.43-0.57 s, 0.19-0.25 s, 0.73-0.95 s, 0.46-0.61 s, 0.57-0.76 s and
// 0.07-0.12 s):
//
//	config                           params     train step     forward
//	MNIST defaults (28x28x1)         378,372    0.32 s         0.10 s
//	MNIST, BaseChannels 16            97,796    0.15 s         0.05 s
//	MNIST, BaseChannels 48           841,732    0.51 s         0.18 s
//	MNIST defaults + Attention       395,140    0.37 s         0.11 s
//	CIFAR-10 defaults (32x32x3)      382,988    0.46 s         0.12 s
//	MNISTMLPConfig (MLP)           3,772,176    0.04 s
//
// BenchmarkConv3x3 compares the convolution here with GoMLX's ConvGeneral
// (forward and both gradients, the preset's two levels): 24 and 15 ms
// against 520-910 and 440-540 ms, so the matrix-product form stays.
//
// With the MNIST defaults, 1,500 steps (about 8 minutes; learning rate
// 2e-3, CondOT path) give samples of which about half are clearly
// recognisable digits (40 midpoint steps from noise); more steps keep
// improving them.
package models
