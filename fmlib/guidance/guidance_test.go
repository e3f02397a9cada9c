package guidance

import (
	"math"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/likelihood"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gofm/gofm/internal/testbe"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The toy labelled field of these tests, with K = 2 classes and the null
// label 2: u(x, t | y) = c_y x + m_y, a linear field per label, so that a
// guided field is again one, v_w = k x + b with
//
//	k = (1 + w) c_y - w c_2,   b = (1 + w) m_y - w m_2,
//
// whose flow from t = 0 to 1 is x_1 = e^k x_0 + b (e^k - 1)/k, with
// divergence D k (log p_1 = log p_0(x_0) - D k).
const classes = 2

var (
	toyC = []float64{0.5, -0.3, 0.1}
	toyM = [][]float64{{1, 0}, {0, 1}, {-1, -0.5}}
)

func toy(_ *model.Scope, x, _, y *graph.Node) *graph.Node {
	g := x.Graph()
	oh := graph.OneHot(y, classes+1, x.DType()) // [B, 3]
	c := graph.MatMul(oh, graph.ConvertDType(graph.Const(g, [][]float64{{toyC[0]}, {toyC[1]}, {toyC[2]}}), x.DType()))
	m := graph.MatMul(oh, graph.ConvertDType(graph.Const(g, toyM), x.DType()))
	return graph.Add(graph.Mul(c, x), m) // c [B, 1] broadcast over the 2 coordinates
}

// guidedCoeffs returns k and b of the guided toy field for label y and scale w.
func guidedCoeffs(y int, w float64) (k float64, b []float64) {
	k = (1+w)*toyC[y] - w*toyC[classes]
	b = make([]float64, 2)
	for j := range b {
		b[j] = (1+w)*toyM[y][j] - w*toyM[classes][j]
	}
	return k, b
}

// evalField evaluates a Graph field at host points x and time t.
func evalField(t *testing.T, store *model.Store, u vfield.Graph, x [][]float32, tt any) [][]float32 {
	t.Helper()
	if store == nil {
		store = model.NewStore()
	}
	exec, err := model.NewExec(testbe.Go(t), store, func(scope *model.Scope, xn, tn *graph.Node) *graph.Node {
		return u(scope, xn, tn)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call1(tensors.FromValue(x), tt)
	if err != nil {
		t.Fatal(err)
	}
	return out.Value().([][]float32)
}

var pts = [][]float32{{0.5, -1}, {2, 0.25}, {-1.5, 1}}

// TestFieldAlgebra checks Field against the formula (1 + w) u(y) - w u(null)
// on the toy field, for one label, per-row labels, the null label, and
// scalar or per-row times; w = 0 must be the conditional field itself.
func TestFieldAlgebra(t *testing.T) {
	cases := []struct {
		name   string
		labels []int
		w      float64
		tt     any
		tol    float64
		why    string
	}{
		{"w = 0 is the conditional field", []int{1}, 0, float32(0.5), 2e-7, "float32 against the float64 formula (bit for bit against the network: TestFieldNetwork)"},
		{"w = 1", []int{0}, 1, float32(0.5), 1e-6, "float32 rounding of (1+w) a - w b with O(1) values"},
		{"w = 4, per-row labels", []int{0, 1, 2}, 4, float32(0.5), 4e-6, "rounding grows with 1 + 2w"},
		{"w = 2, per-row times", []int{1}, 2, []float32{0.1, 0.5, 0.9}, 3e-6, "the null rows take the same times"},
		{"the null label: guidance changes nothing", []int{2}, 3, float32(0.5), 4e-6, "(1+w) u - w u = u up to rounding"},
	}
	for _, c := range cases {
		f, err := Field(toy, classes, Condition{Labels: c.labels, Scale: c.w})
		if err != nil {
			t.Fatal(err)
		}
		got := evalField(t, nil, f, pts, c.tt)
		for i, p := range pts {
			y := c.labels[0]
			if len(c.labels) > 1 {
				y = c.labels[i]
			}
			k, b := guidedCoeffs(y, c.w)
			for j := range p {
				want := k*float64(p[j]) + b[j]
				if d := math.Abs(float64(got[i][j]) - want); d > c.tol {
					t.Errorf("%s: row %d coordinate %d: %g, want %g (|diff| %g > %g: %s)", c.name, i, j, got[i][j], want, d, c.tol, c.why)
				}
			}
		}
	}
}

// TestFieldNetwork: on a real class-conditional network (a fresh MLPLabeled)
// the guided field with w = 0 is the conditional call bit for bit, and with
// w > 0 it is linear in w: v_w - v_0 = w (v_1 - v_0), up to the rounding of
// the stacked 2B-row batch's products.
func TestFieldNetwork(t *testing.T) {
	cfg := models.MLPConfig{Hidden: []int{32, 32}, Classes: 3}
	net := func(s *model.Scope, x, tt, y *graph.Node) *graph.Node {
		return models.MLPLabeled(s.In("mlp"), x, tt, y, cfg)
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	direct := evalField(t, store, func(s *model.Scope, x, tt *graph.Node) *graph.Node {
		return net(s, x, tt, graph.Const(x.Graph(), []int32{2, 2, 2}))
	}, pts, float32(0.4))
	at := func(w float64) [][]float32 {
		f, err := Field(net, 3, Label(2, w))
		if err != nil {
			t.Fatal(err)
		}
		return evalField(t, store, f, pts, float32(0.4))
	}
	v0, v1 := at(0), at(1)
	for i := range v0 {
		for j := range v0[i] {
			if v0[i][j] != direct[i][j] {
				t.Fatalf("w = 0: %v differs from the conditional network's %v", v0, direct)
			}
		}
	}
	for _, w := range []float64{0.5, 3} {
		vw := at(w)
		for i := range vw {
			for j := range vw[i] {
				want := float64(v0[i][j]) + w*float64(v1[i][j]-v0[i][j])
				// O(1) outputs; float32 rounding of the 2B-row products and
				// of the combination, amplified by up to 1 + 2w.
				if d := math.Abs(float64(vw[i][j]) - want); d > 1e-5*(1+2*w) {
					t.Errorf("w = %g: row %d: %g, linear interpolation says %g (|diff| %g)", w, i, vw[i][j], want, d)
				}
			}
		}
	}
}

// TestFieldSolversAndLikelihood: the guided field is an ordinary field for
// every solver (the toy's guided flow is linear, x_1 = e^k x_0 + b (e^k -
// 1)/k) and for the exact-divergence likelihood (log p_1(x) = log N(x_0) -
// D k).
func TestFieldSolversAndLikelihood(t *testing.T) {
	const y, w = 0, 2.0
	f, err := Field(toy, classes, Label(y, w))
	if err != nil {
		t.Fatal(err)
	}
	k, b := guidedCoeffs(y, w) // k = 1.3, b = (5, 1): |x_1| up to 18
	x0 := [][]float64{{0.5, -1}, {2, 0.25}}
	flow := func(p []float64) []float64 {
		out := make([]float64, 2)
		for j := range p {
			out[j] = math.Exp(k)*p[j] + b[j]*math.Expm1(k)/k
		}
		return out
	}
	// Tolerances are relative to |x_1|: for x' = k x + b a step of size h
	// multiplies by the method's approximation of e^{kh}, whose relative
	// error accumulates to about k^{p+1} h^p / (p+1)! over [0, 1].
	cases := []struct {
		opts ode.Options
		tol  float64
		why  string
	}{
		{ode.Options{Method: ode.Euler, Steps: 2000}, 1e-3, "first order: k^2 h / 2 = 4e-4 at h = 5e-4"},
		{ode.Options{Method: ode.Midpoint, Steps: 100}, 1e-4, "second order: k^3 h^2 / 6 = 4e-5 at h = 0.01"},
		{ode.Options{Method: ode.Heun, Steps: 100}, 1e-4, "second order, as midpoint"},
		{ode.Options{Method: ode.RK4, Steps: 20}, 5e-6, "fourth order: k^5 h^4 / 120 = 2e-7 at h = 0.05, plus float32 rounding ~ 1e-6"},
		{ode.Options{Method: ode.Dopri5, Atol: 1e-6, Rtol: 1e-6}, 1e-5, "tolerance 1e-6 per step, float32 state"},
	}
	for _, c := range cases {
		s, err := ode.New(testbe.Go(t), nil, ode.Single(f), c.opts)
		if err != nil {
			t.Fatal(err)
		}
		sol, err := s.SolvePoints(0, 1, x0)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range x0 {
			want := flow(p)
			for j := range want {
				if d := math.Abs(sol.X[i][j]-want[j]) / math.Hypot(want[0], want[1]); d > c.tol {
					t.Errorf("%v: point %d: %v, closed form %v (relative diff %g > %g: %s)", c.opts.Method, i, sol.X[i], want, d, c.tol, c.why)
				}
			}
		}
	}
	est, err := likelihood.New(testbe.Go(t), nil, f, likelihood.Options{})
	if err != nil {
		t.Fatal(err)
	}
	xs := [][]float64{flow(x0[0]), flow(x0[1])}
	r, err := est.LogProbPoints(xs)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range x0 {
		want := -math.Log(2*math.Pi) - (p[0]*p[0]+p[1]*p[1])/2 - 2*k
		// Dopri5 at 1e-5 on the augmented state, float32.
		if d := math.Abs(r.LogP[i] - want); d > 1e-4 {
			t.Errorf("log p_1 of point %d: %g, closed form %g (|diff| %g)", i, r.LogP[i], want, d)
		}
	}
}

// TestBadConditions: every wrong input is an error that names the problem
// and the accepted values.
func TestBadConditions(t *testing.T) {
	cases := []struct {
		name    string
		c       Condition
		classes int
		want    string
	}{
		{"no labels", Condition{}, 10, "no label given"},
		{"label too large", Label(11, 0), 10, "label 11 is outside the model's classes; use 0 to 9 (or 10"},
		{"negative label", Label(-1, 0), 10, "label -1 is outside"},
		{"bad label among several", Condition{Labels: []int{0, 3}}, 2, "label 3 (sample 1)"},
		{"negative guidance", Label(1, -0.5), 10, "guidance scale -0.5; need a finite w >= 0"},
		{"NaN guidance", Label(1, math.NaN()), 10, "guidance scale NaN"},
		{"infinite guidance", Label(1, math.Inf(1)), 10, "guidance scale +Inf"},
		{"unconditional model", Label(1, 2), 0, "it is unconditional"},
	}
	for _, c := range cases {
		err := c.c.Check(c.classes)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error containing %q", c.name, err, c.want)
		}
		if _, ferr := Field(toy, c.classes, c.c); ferr == nil || ferr.Error() != err.Error() {
			t.Errorf("%s: Field's error %v differs from Check's", c.name, ferr)
		}
	}
	if err := Label(10, 0).Check(10); err != nil {
		t.Errorf("the null label 10 of 10 classes: %v", err)
	}
	// Per-row labels on a batch of another size: an error from the solver.
	f, _ := Field(toy, classes, Condition{Labels: []int{0, 1}, Scale: 1})
	s, err := ode.New(testbe.Go(t), nil, ode.Single(f), ode.Options{Method: ode.Euler, Steps: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SolvePoints(0, 1, [][]float64{{0, 0}, {1, 1}, {2, 2}}); err == nil || !strings.Contains(err.Error(), "2 labels (one per sample) but the field is called on 3 points") {
		t.Errorf("2 labels for 3 points: %v", err)
	}
	if _, err := Host(nil, nil, 1); err == nil {
		t.Error("Host without fields: no error")
	}
	id := func(x [][]float64, _ float64) ([][]float64, error) { return x, nil }
	if _, err := Host(id, id, math.NaN()); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("Host with NaN guidance: %v", err)
	}
}

// TestHost: the host form is the same combination, and leaves x alone.
func TestHost(t *testing.T) {
	cond := func(x [][]float64, _ float64) ([][]float64, error) { // overwrites x, as host fields may
		for _, r := range x {
			r[0], r[1] = r[0]+1, 2*r[1]
		}
		return x, nil
	}
	uncond := func(x [][]float64, _ float64) ([][]float64, error) {
		out := make([][]float64, len(x))
		for i, r := range x {
			out[i] = []float64{-r[0], 0}
		}
		return out, nil
	}
	h, err := Host(cond, uncond, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := [][]float64{{1, 2}}
	v, err := h(x, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	// cond (2, 4), uncond (-1, 0): 3 (2, 4) - 2 (-1, 0) = (8, 12), exact in float64.
	if v[0][0] != 8 || v[0][1] != 12 || x[0][0] != 1 || x[0][1] != 2 {
		t.Errorf("Host: %v (x now %v); want [[8 12]] and x unchanged", v, x)
	}
	if MixWeight(2) != 3 || FromMixWeight(3) != 2 {
		t.Error("MixWeight/FromMixWeight do not convert w = 2 <-> w' = 3")
	}
}
