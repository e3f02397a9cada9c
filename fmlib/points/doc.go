// Package points converts between host point sets and GoMLX tensors.
//
// A point set is a [][]float64 with N rows (points) and D columns (coordinates),
// the form in which the host-side packages (data, coupling, metrics, probpath's
// closed forms) exchange samples. Graphs work in float32, so ToTensor rounds
// each coordinate to the nearest float32 and FromTensor widens back.
//
// Check is the one validation every host API applies to its point-set inputs:
// non-empty, rectangular (every row has D > 0 coordinates) and finite.
package points
