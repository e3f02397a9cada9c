// Package nbrun executes Jupyter notebooks with the project's Go kernel and
// decides, from the executed notebook itself, whether they ran cleanly.
//
// nbconvert alone is not enough: with GoNB it exits 0 when a cell panics at run
// time or a shell command fails, because GoNB reports those as text on stderr, not
// as errors. Run therefore executes every cell (nbconvert --allow-errors, so one
// failure does not hide the next), then scans the outputs and reports a Problem for
//
//   - an output of type "error" (compile errors, kernel errors);
//   - "panic:" in any text output (a Go runtime panic);
//   - "exit status N" with N != 0 (a failed program or `!command`);
//   - a line starting with "CHECK FAILED: " (a numerical check of fmlib/verify
//     that did not hold: a notebook's verification failing fails the run);
//   - a cell that calls a plots.Display function but produced no PNG image
//     (GoNB can lose a display sent just before the cell's program exits);
//   - a code cell that was never executed;
//   - a line starting with "NOT YET IMPLEMENTED: exercise <id>" (an unsolved
//     exercise, fmlib/verify.Todo) in a notebook that should be complete.
//
// Exercise notebooks (Options.Exercises, nbrun -exercises) turn the last rule
// around: every exercise region ("// EXERCISE <id>: ..." in a code cell, see
// internal/exercises) must be reported NOT YET IMPLEMENTED by the run, a report
// for an exercise without a region is a problem, and every other rule holds.
// CheckLines collects the check lines of a run, so that a solved exercise
// notebook can be compared with its solution notebook (nbrun -reference).
//
// The executed notebook (.ipynb) and an HTML report are written to the output folder.
package nbrun
