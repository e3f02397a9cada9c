// Package continuity checks the continuity equation numerically.
//
// A teaching helper (see the README's tiers): the library-core counterpart is
// probpath, whose paths and velocities satisfy the equation by construction.
//
// A density path p_t and a velocity field u_t describe the same flow of mass
// exactly when
//
//	d/dt p_t(x) + div( p_t(x) u_t(x) ) = 0     for all x and t.
//
// Residual evaluates the left side at given points by central differences:
//
//	d/dt p_t(x)        ~ (p_{t+ht}(x) - p_{t-ht}(x)) / (2 ht)
//	d/dx_j (p u_j)(x)  ~ ((p u_j)(x + hx e_j) - (p u_j)(x - hx e_j)) / (2 hx)
//
// Both have truncation errors of order h^2 times third derivatives, and
// rounding errors of order eps |p| / h (eps the float64 unit roundoff), so a
// residual measured relative to max |d/dt p| over the same points is
// meaningful down to about 1e-6 for smooth paths of unit scale with
// h ~ 1e-3. A wrong field gives a residual of the order of d/dt p itself.
//
// The functions take host callbacks that evaluate a whole batch of points at
// one time (e.g. probpath.Empirical.LogDensity and Velocity), so a residual on
// an N-point grid in D dimensions costs 2 density calls and 2D field and
// density calls of N points each.
package continuity
