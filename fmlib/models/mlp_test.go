package models

import (
	"math"
	"strings"
	"testing"

	"github.com/gofm/gofm/internal/testbe"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func backendForTest(t *testing.T) compute.Backend { return testbe.Go(t) }

// runMLP builds a fresh store seeded with seed, evaluates the MLP on x
// ([B][D]) at times tv (len 1 -> scalar t, len B -> [B]) and returns the
// output rows and the number of parameters in the MLP's scope.
func runMLP(t *testing.T, cfg MLPConfig, seed int64, x [][]float32, tv []float32) ([][]float32, int) {
	t.Helper()
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		t.Fatal(err)
	}
	exec, err := model.NewExec(backendForTest(t), store, func(scope *model.Scope, xn, tn *graph.Node) *graph.Node {
		return MLP(scope.In("mlp"), xn, tn, cfg)
	})
	if err != nil {
		t.Fatal(err)
	}
	var tt *tensors.Tensor
	if len(tv) == 1 {
		tt = tensors.FromScalar(tv[0])
	} else {
		tt = tensors.FromValue(tv)
	}
	out, err := exec.Call1(tensors.FromValue(x), tt)
	if err != nil {
		t.Fatal(err)
	}
	rows, ok := out.Value().([][]float32)
	if !ok {
		t.Fatalf("output is %s, want a rank-2 float32 tensor", out.Shape())
	}
	n := 0
	for v := range store.Scope("/mlp").IterVariables() {
		n += v.Shape().Size()
	}
	return rows, n
}

func testPoints(b, d int) [][]float32 {
	x := make([][]float32, b)
	for i := range x {
		x[i] = make([]float32, d)
		for j := range x[i] {
			// A deterministic spread of values in about [-2, 2].
			x[i][j] = float32(2 * math.Sin(float64(3*i+7*j+1)))
		}
	}
	return x
}

func maxAbsDiff(a, b [][]float32) float64 {
	m := 0.0
	for i := range a {
		for j := range a[i] {
			m = math.Max(m, math.Abs(float64(a[i][j]-b[i][j])))
		}
	}
	return m
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name    string
		cfg     MLPConfig
		wantErr string // "" = valid; otherwise a substring of the error
	}{
		{"zero value is the default", MLPConfig{}, ""},
		{"all activations: relu", MLPConfig{Activation: "relu"}, ""},
		{"gelu", MLPConfig{Activation: "gelu"}, ""},
		{"tanh", MLPConfig{Activation: "tanh"}, ""},
		{"selu", MLPConfig{Activation: "selu"}, ""},
		{"no hidden layer", MLPConfig{Hidden: []int{}}, ""},
		{"unknown activation lists valid names", MLPConfig{Activation: "swishy"}, "gelu, relu, selu, silu, tanh"},
		{"zero width", MLPConfig{Hidden: []int{8, 0}}, "Hidden[1] = 0"},
		{"odd embedding", MLPConfig{TimeEmbedDim: 3}, "even"},
		{"negative embedding", MLPConfig{TimeEmbedDim: -2}, "even"},
		{"negative frequency", MLPConfig{MinFreq: -1}, "MinFreq"},
		{"max below min", MLPConfig{MinFreq: 10, MaxFreq: 2}, "MaxFreq"},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		checkErr(t, c.name, err, c.wantErr)
	}
}

func TestFrequencies(t *testing.T) {
	f := MLPConfig{TimeEmbedDim: 8, MinFreq: 1, MaxFreq: 1000}.Frequencies()
	// 4 log-spaced frequencies from 1 to 1000: 1, 10, 100, 1000; tolerance is
	// a few float64 ulps of 1000 (math.Pow rounding).
	want := []float64{1, 10, 100, 1000}
	if len(f) != len(want) {
		t.Fatalf("got %d frequencies, want %d", len(f), len(want))
	}
	for i := range f {
		if math.Abs(f[i]-want[i]) > 1e-9*want[i] {
			t.Errorf("freq[%d] = %v, want %v", i, f[i], want[i])
		}
	}
}

// TestShapesAndParams checks the output shape for every accepted t layout and
// that the store holds exactly NumParams trainable scalars.
func TestShapesAndParams(t *testing.T) {
	cases := []struct {
		name string
		cfg  MLPConfig
		b, d int
		t    []float32 // len 1: scalar t; len b: per-row t
	}{
		{"default 2D, per-row t", MLPConfig{}, 5, 2, []float32{0, 0.25, 0.5, 0.75, 1}},
		{"small 3D, scalar t", MLPConfig{Hidden: []int{16, 8}, TimeEmbedDim: 4}, 4, 3, []float32{0.3}},
		{"linear (no hidden)", MLPConfig{Hidden: []int{}, TimeEmbedDim: 2, Activation: "tanh"}, 3, 1, []float32{0.1, 0.2, 0.3}},
		{"selu, 5D", MLPConfig{Hidden: []int{32}, Activation: "selu"}, 2, 5, []float32{0.9, 0.1}},
	}
	for _, c := range cases {
		out, n := runMLP(t, c.cfg, 1, testPoints(c.b, c.d), c.t)
		if len(out) != c.b || len(out[0]) != c.d {
			t.Errorf("%s: output is [%d, %d], want [%d, %d]", c.name, len(out), len(out[0]), c.b, c.d)
		}
		want, err := c.cfg.NumParams(c.d)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: store has %d parameters, NumParams says %d", c.name, n, want)
		}
	}
	// Hand-computed count for the default network on 2D points:
	// (2+64)*256+256 + 2*(256*256+256) + 256*2+2 = 17152 + 131584 + 514.
	if n, _ := (MLPConfig{}).NumParams(2); n != 149250 {
		t.Errorf("NumParams(default, 2) = %d, want 149250", n)
	}
}

// TestTimeDependence: the same x at different t must give different outputs
// (the embedding reaches the output), and a scalar t (embedded once and
// folded into the first layer's bias) must equal the same t repeated per
// row (embedded per row and concatenated), for networks whose first layer
// is hidden, fused, or the output layer itself.
func TestTimeDependence(t *testing.T) {
	x := testPoints(6, 2)
	for _, cfg := range []MLPConfig{
		{Hidden: []int{32, 32}},
		{Hidden: []int{32, 32}, FusedActivation: true},
		{Hidden: []int{}},
	} {
		at := func(v float32) [][]float32 {
			ts := make([]float32, len(x))
			for i := range ts {
				ts[i] = v
			}
			out, _ := runMLP(t, cfg, 7, x, ts)
			return out
		}
		a, b := at(0.2), at(0.8)
		// He-initialised weights give outputs of order 1; a change of t by 0.6
		// moves every embedding coordinate with frequency >= 1 by O(0.1-1), so a
		// difference below 1e-3 would mean t is (nearly) ignored.
		if d := maxAbsDiff(a, b); d < 1e-3 {
			t.Errorf("%+v: outputs at t=0.2 and t=0.8 differ by only %g", cfg, d)
		}
		scalar, _ := runMLP(t, cfg, 7, x, []float32{0.2})
		// The same sums in another order (the embedding's products summed
		// into the bias first): float32 rounding of sums of ~66 O(1) terms,
		// 1e-6 absolute on O(1) outputs with room to spare.
		if d := maxAbsDiff(a, scalar); d > 1e-6 {
			t.Errorf("%+v: scalar t and per-row t differ by %g", cfg, d)
		}
	}
}

// TestDeterminism: same seed, same outputs (bit for bit); a different seed
// gives a different network.
func TestDeterminism(t *testing.T) {
	x := testPoints(8, 2)
	ts := []float32{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}
	cfg := MLPConfig{Hidden: []int{64, 64}}
	a, _ := runMLP(t, cfg, 42, x, ts)
	b, _ := runMLP(t, cfg, 42, x, ts)
	if d := maxAbsDiff(a, b); d != 0 {
		t.Errorf("same seed: outputs differ by %g", d)
	}
	c, _ := runMLP(t, cfg, 43, x, ts)
	// Independent He-normal draws give O(1) differences; 1e-3 is far below.
	if d := maxAbsDiff(a, c); d < 1e-3 {
		t.Errorf("different seeds: outputs differ by only %g", d)
	}
}

// TestFusedActivation: computing the activation inside the fused dense op is
// the same function as applying it afterwards.
func TestFusedActivation(t *testing.T) {
	x := testPoints(16, 2)
	ts := make([]float32, 16)
	for i := range ts {
		ts[i] = float32(i) / 15
	}
	for _, act := range []string{"silu", "relu", "tanh", "gelu"} {
		cfg := MLPConfig{Hidden: []int{64, 64}, Activation: act}
		plain, _ := runMLP(t, cfg, 3, x, ts)
		cfg.FusedActivation = true
		fused, _ := runMLP(t, cfg, 3, x, ts)
		// Different but equivalent float32 formulas (e.g. x/(1+e^-x) vs
		// x*sigmoid(x), erf approximations): a few ulps per layer on O(1)
		// values; 1e-4 absolute leaves room for three layers.
		if d := maxAbsDiff(plain, fused); d > 1e-4 {
			t.Errorf("%s: fused and plain activation differ by %g", act, d)
		}
	}
}

// TestTimeEmbedding compares the graph embedding with the host formula.
func TestTimeEmbedding(t *testing.T) {
	freqs := MLPConfig{TimeEmbedDim: 6}.Frequencies() // 1, 10, 100
	tv := []float32{0, 0.013, 0.5, 1}
	exec, err := graph.NewExec(backendForTest(t), func(tn *graph.Node) *graph.Node {
		return TimeEmbedding(tn, freqs)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call1(tensors.FromValue(tv))
	if err != nil {
		t.Fatal(err)
	}
	got := out.Value().([][]float32)
	for i, ti := range tv {
		for k, w := range freqs {
			s, c := math.Sincos(w * float64(ti))
			// float32 argument w*t has relative error ~6e-8, i.e. up to
			// 100*6e-8 = 6e-6 absolute for the fastest frequency.
			const tol = 1e-5
			if math.Abs(float64(got[i][k])-s) > tol || math.Abs(float64(got[i][k+len(freqs)])-c) > tol {
				t.Errorf("t=%v k=%d: got (%v, %v), want (%v, %v)", ti, k, got[i][k], got[i][k+len(freqs)], s, c)
			}
		}
	}
}

// TestMLPPanics: graph-building misuse panics with a message.
func TestMLPPanics(t *testing.T) {
	cases := []struct {
		name string
		cfg  MLPConfig
		x    any
		tt   any
	}{
		{"bad activation", MLPConfig{Activation: "nope"}, [][]float32{{1, 2}}, float32(0.5)},
		{"rank-1 x", MLPConfig{}, []float32{1, 2}, float32(0.5)},
		{"t of wrong length", MLPConfig{}, [][]float32{{1, 2}, {3, 4}}, []float32{0.1, 0.2, 0.3}},
	}
	for _, c := range cases {
		if callNet(t, func(scope *model.Scope, xn, tn *graph.Node) *graph.Node { return MLP(scope, xn, tn, c.cfg) }, c.x, c.tt) == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// callNet builds net on a fresh store and calls it once on (x, tt),
// returning the call's error: a panic while building the graph comes back
// as an error from the executor.
func callNet(t *testing.T, net func(scope *model.Scope, x, tt *graph.Node) *graph.Node, x, tt any) error {
	t.Helper()
	exec, err := model.NewExec(backendForTest(t), model.NewStore(), net)
	if err != nil {
		t.Fatal(err)
	}
	_, err = exec.Call1(x, tt)
	return err
}

// checkErr reports err against want: no error when want is "", else an
// error whose text contains want.
func checkErr(t *testing.T, name string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: unexpected error %v", name, err)
	case want != "" && err == nil:
		t.Errorf("%s: no error, want one containing %q", name, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s: error %q does not contain %q", name, err, want)
	}
}

// TestScalarTimeGradient: with a scalar t the hidden layers run with the
// activation in the product's epilogue (denseEpilogue), whose gradient is
// written in this package; the gradients with respect to x and to every
// weight must equal those of the per-row path (nn.Dense's gradients), for
// each activation the backend fuses.
func TestScalarTimeGradient(t *testing.T) {
	for _, act := range []string{"silu", "relu", "gelu", "tanh"} {
		cfg := MLPConfig{Hidden: []int{16, 8}, Activation: act, TimeEmbedDim: 8}
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(3); err != nil {
			t.Fatal(err)
		}
		exec, err := model.NewExec(backendForTest(t), store, func(scope *model.Scope, x, ts, tr, r *graph.Node) []*graph.Node {
			s := scope.In("mlp")
			ls := graph.ReduceAllSum(graph.Mul(MLP(s, x, ts, cfg), r)) // scalar t: epilogue layers
			lr := graph.ReduceAllSum(graph.Mul(MLP(s, x, tr, cfg), r)) // per-row t: nn.Dense
			var wrt []*graph.Node
			for v := range store.Scope("/mlp").IterVariables() {
				wrt = append(wrt, v.NodeValue(x.Graph()))
			}
			gs := graph.Gradient(ls, append([]*graph.Node{x}, wrt...)...)
			gr := graph.Gradient(lr, append([]*graph.Node{x}, wrt...)...)
			worst := graph.ReduceAllMax(graph.Abs(graph.Sub(gs[0], gr[0])))
			norm := graph.ReduceAllMax(graph.Abs(gr[0]))
			for i := 1; i < len(gs); i++ {
				worst = graph.Max(worst, graph.ReduceAllMax(graph.Abs(graph.Sub(gs[i], gr[i]))))
				norm = graph.Max(norm, graph.ReduceAllMax(graph.Abs(gr[i])))
			}
			return []*graph.Node{worst, norm, graph.Abs(graph.Sub(ls, lr))}
		})
		if err != nil {
			t.Fatalf("%s: %v", act, err)
		}
		x := testPoints(5, 3)
		tr := []float32{0.3, 0.3, 0.3, 0.3, 0.3}
		r := testPoints(5, 3)
		outs, err := exec.Exec(tensors.FromValue(x), tensors.FromScalar(float32(0.3)), tensors.FromValue(tr), tensors.FromValue(r))
		if err != nil {
			t.Fatalf("%s: %v", act, err)
		}
		worst, norm, dl := tensors.ToScalar[float32](outs[0]), tensors.ToScalar[float32](outs[1]), tensors.ToScalar[float32](outs[2])
		// The same sums in another order (bias folded, activation in the
		// epilogue): float32 rounding, far below 1e-4 of the gradients' scale.
		if worst > 1e-4*norm || dl > 1e-4 {
			t.Errorf("%s: gradients differ by %g (largest gradient %g), losses by %g", act, worst, norm, dl)
		}
		if norm == 0 {
			t.Errorf("%s: all gradients are zero", act)
		}
	}
}

// TestPlainOps: the plain-op network is the same function as the fused one
// (same seed, same variables), with one time per row and with a scalar time,
// and its gradient can be differentiated again.
func TestPlainOps(t *testing.T) {
	x := testPoints(16, 2)
	rowTimes := make([]float32, 16)
	for i := range rowTimes {
		rowTimes[i] = float32(i) / 15
	}
	cases := []struct {
		act string
		ts  []float32
		// tol: equivalent float32 formulas (fused kernels against a product
		// and an add; x/(1+e^-x) against x*sigmoid(x); erf approximations):
		// a few ulps per layer on O(1) values, 1e-4 for two layers.
		tol float64
	}{
		{"silu", rowTimes, 1e-4},
		{"silu", []float32{0.3}, 1e-4},
		{"tanh", rowTimes, 1e-4},
		{"relu", []float32{0.7}, 1e-4},
		{"gelu", rowTimes, 1e-4},
		{"selu", rowTimes, 1e-4},
	}
	for _, c := range cases {
		cfg := MLPConfig{Hidden: []int{32, 32}, Activation: c.act}
		fused, nf := runMLP(t, cfg, 5, x, c.ts)
		cfg.PlainOps = true
		plain, np := runMLP(t, cfg, 5, x, c.ts)
		if nf != np {
			t.Errorf("%s: %d parameters plain, %d fused", c.act, np, nf)
		}
		if d := maxAbsDiff(plain, fused); d > c.tol {
			t.Errorf("%s, %d times: plain and fused differ by %g (tol %g)", c.act, len(c.ts), d, c.tol)
		}
	}

	// A second derivative: the gradient in the weights of sum_i du_i/dx_i.
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	cfg := MLPConfig{Hidden: []int{8}, TimeEmbedDim: 4, PlainOps: true}
	exec, err := model.NewExec(backendForTest(t), store, func(scope *model.Scope, xn *graph.Node) *graph.Node {
		u := MLP(scope.At("mlp"), xn, graph.Scalar(xn.Graph(), xn.DType(), 0.5), cfg)
		div := graph.ReduceAllSum(graph.Gradient(graph.ReduceAllSum(u), xn)[0])
		w := scope.At("mlp").At("layer_0").GetVariable("weights").NodeValue(xn.Graph())
		return graph.ReduceAllSum(graph.Abs(graph.Gradient(div, w)[0]))
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call1(tensors.FromValue(x))
	if err != nil {
		t.Fatalf("second derivative of the plain-op MLP: %v", err)
	}
	if v := tensors.ToScalar[float32](out); !(v > 0) || math.IsInf(float64(v), 0) {
		t.Errorf("second derivative sums to %v; want a finite positive number", v)
	}
}
