// Package exercises turns the solution notebooks into exercise notebooks for
// students, and back.
//
// A solution notebook marks the code a student should write inside a Go code
// cell, with Go comments that GoNB compiles as comments:
//
//	func eulerStep(u func(x []float64, t float64) []float64, x []float64, t, h float64) []float64 {
//		// BEGIN SOLUTION 01.1 hint: the velocity at the start of the step, taken as constant: x + h u_t(x)
//		v := u(x, t)
//		...
//		return next
//		// STUB
//		// verify.Todo("01.1")
//		// return append([]float64(nil), x...)
//		// END SOLUTION
//	}
//
// The id (01.1) names the exercise in the run's reports; the hint is one line
// for the student. The stub follows // STUB, commented out at the marker's
// indentation: it must compile in place of the solution, call
// verify.Todo(id), and return a value of the right type and shape that the
// rest of the notebook tolerates. Checks that depend on the exercise use
// verify.Exercise(id), which waits for it while it is a stub instead of
// failing.
//
// Generate writes the exercise version: each block becomes its region,
//
//	// EXERCISE 01.1: the velocity at the start of the step, taken as constant: x + h u_t(x)
//	verify.Todo("01.1")
//	return append([]float64(nil), x...)
//	// END EXERCISE 01.1
//
// a markdown cell after the title lists the exercises, and outputs are
// cleared; everything else (prose, checks, plots) is the solution notebook's.
// Restore is its inverse (the solution notebook's cells exactly); Fill solves
// the exercises as a student would (the solution's code inside the regions),
// for a run whose checks must print what the solution notebook's print.
//
// Malformed markers (an unpaired BEGIN or END, nested blocks, an empty hint, a
// missing STUB or verify.Todo call, a marker in a markdown cell, a duplicate
// id) are errors of type *MarkerError naming the notebook, the cell (0-based,
// as the notebook runner counts) and the line in the cell (1-based).
//
// Build, Write and Stale work on a repository: every notebooks/*.ipynb with
// exercises gives notebooks/exercises/<same name>; cmd/exercises (make
// exercises) writes them, and a test fails when the committed ones are stale.
package exercises
