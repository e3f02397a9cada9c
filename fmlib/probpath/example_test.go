package probpath_test

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
)

// The exact marginal velocity of a two-point dataset: halfway between the
// points it is zero by symmetry; elsewhere it points toward the (scaled)
// nearer data point.
func Example() {
	path, err := probpath.New(schedule.CondOT{SigmaMin: 0.01})
	if err != nil {
		panic(err)
	}
	e := probpath.Empirical{Path: path, Points: [][]float64{{1, 0}, {-1, 0}}}
	x := [][]float64{{0, 0}, {0.5, 0.2}}
	u, err := e.Velocity(x, 0.5)
	if err != nil {
		panic(err)
	}
	logp, err := e.LogDensity(x, 0.5)
	if err != nil {
		panic(err)
	}
	for i := range x {
		fmt.Printf("x=%v  u=[%.4f %.4f]  log p=%.4f\n", x[i], u[i][0], u[i][1], logp[i])
	}
	_, err = e.Velocity(x, 1.2)
	fmt.Println(err)
	// Output:
	// x=[0 0]  u=[0.0000 0.0000]  log p=-0.9616
	// x=[0.5 0.2]  u=[0.5113 -0.3921]  log p=-1.1113
	// probpath.Empirical.Velocity: t = 1.2; need 0 <= t <= 1 (t = 0 noise, t = 1 data)
}
