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
package models
