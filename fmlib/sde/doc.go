// Package sde simulates stochastic differential equations with additive noise,
//
//	dX_t = f_t(X_t) dt + sigma dW_t   (EulerMaruyama),
//	dX_t = f_t(X_t) dt + g(t) dW_t    (EulerMaruyamaG),
//
// on the host, samples Brownian paths and their quadratic variation, and holds
// the Ornstein-Uhlenbeck process and the variance-preserving SDE (VP) as
// ground truth.
//
// A teaching helper (see the README's tiers): the library-core counterpart is
// ode, whose solvers sample trained models through the probability-flow ODE.
//
// # Euler-Maruyama
//
// EulerMaruyama takes steps of size h = (t1 - t0)/n,
//
//	X_{k+1} = X_k + h f_{t_k}(X_k) + sigma sqrt(h) Z_k,   Z_k ~ N(0, I),
//
// which converges weakly with order 1: moments and expectations of smooth
// functions err by O(h). EulerMaruyamaG uses g(t_k) in place of sigma.
//
// # Brownian motion
//
// Brownian increments over a step h are independent N(0, h): their size is
// sqrt(h), not h, so the sum of their squares over [0, T] tends to T (the
// quadratic variation, "(dW)^2 = dt"), which is where Ito's formula gets its
// second-order term. Brownian and QuadraticVariation sample and measure it.
//
// # Fokker-Planck
//
// The density p_t of X_t obeys the Fokker-Planck equation, the continuity
// equation with a diffusion term,
//
//	d/dt p + div(p f) = (sigma^2 / 2) Laplacian p,
//
// which can be rewritten as a continuity equation with the velocity
// f - (sigma^2/2) grad log p. The ODE dx/dt = f_t(x) - (sigma^2/2) grad log p_t(x)
// (the probability-flow ODE) therefore has the same marginals p_t as the SDE.
//
// # Ornstein-Uhlenbeck
//
// OU has drift f(x) = -theta x. Started from N(m0, s0^2 I) it stays Gaussian,
// N(m_t, v_t I) with
//
//	m_t = m0 e^{-theta t},   v_t = s0^2 e^{-2 theta t} + sigma^2/(2 theta) (1 - e^{-2 theta t}),
//
// so its density, score grad log p_t(x) = -(x - m_t)/v_t and probability-flow
// velocity are known in closed form.
package sde
