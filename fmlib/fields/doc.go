// Package fields holds analytic vector fields whose flows are known in closed
// form. They are the ground truth that the teaching notebooks and the solver
// tests compare numerical results against.
//
// A teaching helper (see the README's tiers): the library-core counterparts
// are vfield, the contract these fields satisfy, and models, whose learned
// fields a real program trains and samples.
//
// # Spiral
//
// The linear field u(x) = A x in the plane with
//
//	A = [ -a  -w ]
//	    [  w  -a ]
//
// (a = Decay, w = Omega) turns points around the origin at angular speed w while
// pulling them in at rate a. Its flow, the solution of dX/dt = u(X) with X(0) = x, is
//
//	psi_t(x) = e^{-a t} R(w t) x,   R(theta) the rotation by theta,
//
// its divergence is the constant trace(A) = -2a, and it carries a Gaussian
// N(m, s^2 I) to N(psi_t(m), s^2 e^{-2 a t} I): the probability path of the
// samples is known exactly, and so is the log-density along a trajectory,
//
//	log p_t(psi_t(x)) = log p_0(x) + 2 a t   (d/dt log p = -div u = 2a).
//
// # Tanh: a nonlinear flow in closed form
//
// TanhField is dx/dt = c tanh(x), per coordinate. Separating variables,
// d(log sinh x) = c dt, so sinh(x_t) = e^{c t} sinh(x_0): psi_t(x) = asinh(e^{c t} sinh x). Its
// divergence is c sech^2(x) (positive: the flow spreads mass away from 0), and
// d psi_t / dx = e^{c t} cosh(x) / cosh(psi_t(x)).
package fields
