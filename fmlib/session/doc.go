// Package session holds the few things every notebook and command does first:
// choose the compute backend and say which one it is, and read the quick-mode
// switch that CI uses to run long notebooks with small settings.
//
// Quick mode is on when the environment variable GOFM_QUICK is "1" or "true".
// Long-running notebooks pick their sizes with Pick(full, quick), so the values of
// both modes are visible in the notebook's cell.
package session
