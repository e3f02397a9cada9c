// Package progress shows how a long loop (training, evaluation) is going:
// the step count, the loss, the rate and the time left, updated in place.
//
// A loop sends a Status to a Reporter after each step. Reporters throttle
// themselves (at most one update per Interval, plus the first and the
// final one), so calling Report on every step is cheap.
//
// Three reporters cover the places gofm runs:
//
//   - Notebook: an HTML block in the current GoNB cell, replaced in place
//     (gonbui.UpdateHTML), with a progress bar and the figures. The last
//     state stays in the saved notebook.
//   - Terminal: one line on a terminal, rewritten with a carriage return.
//   - Lines: a plain line per update (logs, CI, files), at most one per
//     LinesEvery of the run (default a tenth) so logs stay short.
//
// Auto picks Notebook inside GoNB, Terminal when stderr is a terminal and
// Lines on stderr otherwise.
//
// The time left is the remaining steps divided by the recent rate, an
// exponential moving average of steps per second with a smoothing time of
// about 10% of the elapsed time (so it follows slow-downs but ignores one
// slow step):
//
//	ETA = (Total - Step) / rate
package progress
