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
// matmul + bias (+ activation with MLPConfig.FusedActivation). The activation
// is a real share of the cost on that backend (silu evaluates an exponential
// per hidden unit); see cmd/fmbench for measurements.
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
// The backend runs independent ops concurrently and splits each product
// over its worker pool; several products starting together can wait on each
// other forever (a U-Net's backward pass has many independent products). All
// of UNet's products are therefore chained with scheduling barriers and run
// one after the other, each on all cores.
//
// Measured on a shared two-core Xeon (BenchmarkUNetTrainStep,
// BenchmarkUNetForward and BenchmarkImageMLPTrainStep: batch 64, a CFM step
// with Adam; the ranges are a quiet and a busier period of the same
// machine):
//
//	config                           params     train step     forward
//	MNIST defaults (28x28x1)         378,372    0.43-0.57 s    0.19-0.21 s
//	MNIST, BaseChannels 16            97,796    0.19-0.25 s    0.09-0.10 s
//	MNIST, BaseChannels 48           841,732    0.73-0.95 s    0.31-0.35 s
//	MNIST defaults + Attention       395,140    0.46-0.61 s    0.20-0.23 s
//	MNIST, Patch 1, BaseChannels 16   96,929    0.70 s         0.33 s
//	CIFAR-10 defaults (32x32x3)      382,988    0.57-0.76 s    0.24-0.28 s
//	MNISTMLPConfig (MLP)           3,772,176    0.07-0.12 s
//
// With the MNIST defaults, 1,500 steps (about 12 minutes; learning rate
// 2e-3, CondOT path) give samples of which about half are clearly
// recognisable digits (40 midpoint steps from noise); more steps keep
// improving them.
package models
