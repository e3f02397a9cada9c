// Package verify prints the numerical checks of the notebooks in one format,
// and marks a failed check so that the notebook runner (internal/nbrun) fails.
//
// A teaching helper (see the README's tiers): the library-core counterpart is
// metrics, which measures sample quality and likelihoods without printing or
// judging them.
//
// A check compares a measured value with a tolerance and prints one line:
//
//	<what>: 3.1e-07, tolerance 1e-06: holds
//	CHECK FAILED: <what>: 0.042, tolerance 1e-06: does not hold
//	<what, deliberately broken>: 1.37, threshold 1e-08: above it, as expected
//
// Below states an identity (the value must be at most the tolerance). Above
// states a deliberate breakage that the same measurement must catch (a wrong
// field, a wrong weight), or a quantity that must grow: it holds when the value
// exceeds the threshold. Near
// compares a measured value with a predicted one, |got - want| <= tol.
//
// A failed check prints a line that starts with FailMarker; it never panics, so
// the rest of the notebook still runs and shows what else went wrong. Each
// function also returns whether the check held.
//
// LogLogSlope fits the exponent p of err ~ C h^p by least squares on
// (log h, log err): the convergence order of a solver, the rate of a
// Monte Carlo error, a power-law blow-up.
package verify
