package probpath

import (
	"math"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gofm/gofm/internal/fuzzin"
)

// fuzzSched decodes a schedule of any kind with fuzzed settings (valid or
// not).
func fuzzSched(r *fuzzin.Reader) schedule.Scheduler {
	switch r.Byte() % 5 {
	case 0:
		return schedule.CondOT{SigmaMin: r.Float()}
	case 1:
		return schedule.VP{BetaMin: r.Float(), BetaMax: r.Float()}
	case 2:
		return schedule.VE{SigmaMin: r.Float(), SigmaMax: r.Float()}
	case 3:
		return schedule.Cosine{}
	default:
		return schedule.Polynomial{N: r.Float()}
	}
}

// FuzzEmpirical: for a fuzzed schedule, time, dataset (1..8 points in
// dimension 1..3) and query points, Empirical.Velocity and LogDensity give
// finite values or an error naming the function, always an error for
// invalid settings, non-finite points or t outside [0, 1]; and a dataset of
// one point repeated n times (n = 1 included) has the velocity and density
// of that point's Gaussian path: CondVelocity and N(alpha_t z, sigma_t^2 I).
func FuzzEmpirical(f *testing.F) {
	f.Add([]byte{0, 0, 0, 26, 1, 128, 0, 2, 1, 2, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 0, 6, 0}) // CondOT 0.1 at t = 0.5
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 1, 255, 1, 1, 1, 0, 0, 64, 0, 0, 128, 0, 0})                       // VP defaults at t = 1
	f.Add([]byte{3, 1, 0, 1, 1, 1, 0, 5, 7, 0, 1, 0})                                                    // Cosine at t = 0: sigma 1
	f.Add([]byte{0, 5, 6, 1, 255, 1, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 5, 0})                                // CondOT, sigma_min 1e-160, t = 1
	f.Fuzz(func(t *testing.T, b []byte) {
		r := fuzzin.New(b)
		sched := fuzzSched(r)
		var tt float64
		if r.Byte()%4 == 0 { // any value, to exercise the checks
			tt = r.Float()
		} else { // a grid on [0, 1] with both ends
			tt = float64(r.Byte()) / 255
		}
		repeat := r.Bool()
		n, m, d := r.Intn(1, 8), r.Intn(1, 8), r.Intn(1, 3)
		z := r.Points(n, d, false)
		if repeat {
			for i := range z {
				z[i] = z[0]
			}
		}
		x := r.Points(m, d, false)
		e := Empirical{Path: Affine{Sched: sched}, Points: z}
		v, errV := e.Velocity(x, tt)
		lp, errL := e.LogDensity(x, tt)
		valid := sched.Validate() == nil && tt >= 0 && tt <= 1 && fuzzin.AllFinite(z) && fuzzin.AllFinite(x)
		for _, c := range []struct {
			who string
			err error
		}{{"Empirical.Velocity", errV}, {"Empirical.LogDensity", errL}} {
			if c.err == nil && !valid {
				t.Fatalf("%s accepted %s at t = %v, points %v, x %v", c.who, sched.Name(), tt, z, x)
			}
			if c.err != nil && !strings.HasPrefix(c.err.Error(), "probpath") {
				t.Fatalf("%s: error %q does not name the package", c.who, c.err)
			}
		}
		if errV == nil {
			if !fuzzin.AllFinite(v) || len(v) != m {
				t.Fatalf("Velocity of %s at t = %v, points %v, x %v: %v", sched.Name(), tt, z, x, v)
			}
		}
		if errL == nil {
			if !fuzzin.AllFinite([][]float64{lp}) || len(lp) != m {
				t.Fatalf("LogDensity of %s at t = %v, points %v, x %v: %v", sched.Name(), tt, z, x, lp)
			}
		}
		if !repeat && n > 1 {
			return
		}
		c := sched.At(tt)
		for i, xi := range x {
			if errV == nil {
				want, err := e.Path.CondVelocity(xi, z[0], tt)
				if err != nil {
					t.Fatalf("Velocity accepted t = %v but CondVelocity: %v", tt, err)
				}
				for j := range want {
					// The same formula up to the weighted mean of n equal
					// points, sum(w z) / sum(w) = z to a few ulps of z.
					k := math.Abs(c.DSigma / c.Sigma)
					tol := 1e-13 * (k*(math.Abs(xi[j])+math.Abs(c.Alpha*z[0][j])) + math.Abs(c.DAlpha*z[0][j]))
					if !fuzzin.Close(v[i][j], want[j], 0, tol) {
						t.Fatalf("%d copies of %v under %s at t = %v: velocity at %v is %v, CondVelocity %v", n, z[0], sched.Name(), tt, xi, v[i], want)
					}
				}
			}
			if errL == nil {
				var d2 float64
				for j := range xi {
					u := xi[j] - c.Alpha*z[0][j]
					d2 += u * u
				}
				want := -d2/(2*c.Sigma*c.Sigma) - 0.5*float64(d)*math.Log(2*math.Pi*c.Sigma*c.Sigma)
				// Terms summed in another order, and log n - log n.
				if !fuzzin.Close(lp[i], want, 1e-12, 1e-12*(1+math.Abs(want))) {
					t.Fatalf("%d copies of %v under %s at t = %v: log density at %v is %v, want %v", n, z[0], sched.Name(), tt, xi, lp[i], want)
				}
			}
		}
	})
}
