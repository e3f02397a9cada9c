package models

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// runLabeled evaluates a labelled network (MLPLabeled or UNetLabeled, by
// net) on x at times tt with labels y in a fresh store seeded with seed, and
// returns the output rows and the store.
func runLabeled(t *testing.T, net func(s *model.Scope, x, tt, y *graph.Node) *graph.Node, seed int64, presetOutput *UNetConfig, x [][]float32, tt any, y []int32) ([][]float32, *model.Store) {
	t.Helper()
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		t.Fatal(err)
	}
	if presetOutput != nil { // a non-zero last convolution, as unetRun does
		r := presetOutput.Resolved()
		w := randomTensor(99, 0.1, 3, 3, r.BaseChannels, r.Channels*r.Patch*r.Patch)
		if _, err := store.CreateVariable("/net/output/weights", w); err != nil {
			t.Fatal(err)
		}
	}
	exec, err := model.NewExec(backendForTest(t), store, func(scope *model.Scope, xn, tn, yn *graph.Node) *graph.Node {
		return net(scope.In("net"), xn, tn, yn)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call1(tensors.FromValue(x), tt, tensors.FromValue(y))
	if err != nil {
		t.Fatal(err)
	}
	rows, ok := out.Value().([][]float32)
	if !ok {
		t.Fatalf("output is %s, want a rank-2 float32 tensor", out.Shape())
	}
	return rows, store
}

func storeParams(store *model.Store, scope string) int {
	n := 0
	for v := range store.Scope(scope).IterVariables() {
		n += v.Shape().Size()
	}
	return n
}

// TestLabeledNetworks: the conditional MLP and U-Net hold NumParams
// parameters (the unconditional count plus (Classes+1)*E), their output
// depends on the label, a scalar t equals the same t per row, and rows with
// the same label and input agree whatever the other rows' labels are.
func TestLabeledNetworks(t *testing.T) {
	mlpCfg := MLPConfig{Hidden: []int{32, 32}, TimeEmbedDim: 8, Classes: 3}
	unetCfg := unetSmall28
	unetCfg.Classes = 10
	cases := []struct {
		name    string
		net     func(s *model.Scope, x, tt, y *graph.Node) *graph.Node
		preset  *UNetConfig
		x       [][]float32
		params  func() (int, error)
		uncond  func() (int, error)
		classes int
		e       int // time embedding width
	}{
		{"MLP", func(s *model.Scope, x, tt, y *graph.Node) *graph.Node { return MLPLabeled(s, x, tt, y, mlpCfg) }, nil,
			testPoints(4, 2), func() (int, error) { return mlpCfg.NumParams(2) },
			func() (int, error) { c := mlpCfg; c.Classes = 0; return c.NumParams(2) }, 3, 8},
		{"UNet", func(s *model.Scope, x, tt, y *graph.Node) *graph.Node { return UNetLabeled(s, x, tt, y, unetCfg) }, &unetCfg,
			testImages(4, 784), unetCfg.NumParams,
			func() (int, error) { c := unetCfg; c.Classes = 0; return c.NumParams() }, 10, 8},
	}
	for _, c := range cases {
		ts := []float32{0.3, 0.3, 0.3, 0.3}
		y := []int32{0, 1, 2, int32(c.classes)} // the last row: the null label
		a, store := runLabeled(t, c.net, 5, c.preset, c.x, ts, y)
		want, err := c.params()
		if err != nil {
			t.Fatal(err)
		}
		if n := storeParams(store, "/net"); n != want {
			t.Errorf("%s: store has %d parameters, NumParams says %d", c.name, n, want)
		}
		u, _ := c.uncond()
		if want-u != (c.classes+1)*c.e {
			t.Errorf("%s: the label embedding adds %d parameters; want (Classes+1)*E = %d", c.name, want-u, (c.classes+1)*c.e)
		}
		// The same inputs with labels rotated: every output row must change
		// (embeddings are N(0, 1/2) draws, O(1) apart; 1e-3 would mean the
		// label is ignored).
		b, _ := runLabeled(t, c.net, 5, c.preset, c.x, ts, []int32{1, 2, int32(c.classes), 0})
		for i := range a {
			if d := maxAbsDiff(a[i:i+1], b[i:i+1]); d < 1e-3 {
				t.Errorf("%s: row %d changes by only %g when its label changes", c.name, i, d)
			}
		}
		// A scalar t is the same t per row: same sums, 1e-6 absolute on O(1) outputs.
		s, _ := runLabeled(t, c.net, 5, c.preset, c.x, float32(0.3), y)
		if d := maxAbsDiff(a, s); d > 1e-6 {
			t.Errorf("%s: scalar t and per-row t differ by %g", c.name, d)
		}
		// Row 0 keeps label 0 and its input; the other rows' labels change:
		// rows are independent (no batch statistics), so row 0 is unchanged
		// up to the rounding of differently blocked products.
		o, _ := runLabeled(t, c.net, 5, c.preset, c.x, ts, []int32{0, 0, 0, 0})
		if d := maxAbsDiff(a[:1], o[:1]); d > 1e-6 {
			t.Errorf("%s: row 0 changed by %g when only the other rows' labels changed", c.name, d)
		}
	}
}

// TestLabeledPanics: a conditional config without labels, labels without
// classes, labels of the wrong shape, and negative Classes are errors that
// say what to do.
func TestLabeledPanics(t *testing.T) {
	x := testPoints(3, 2)
	cases := []struct {
		name string
		fn   func(s *model.Scope, x, tt, y *graph.Node) *graph.Node
		y    any
		want string
	}{
		{"MLP with Classes", func(s *model.Scope, x, tt, _ *graph.Node) *graph.Node { return MLP(s, x, tt, MLPConfig{Classes: 2}) }, []int32{0, 0, 0}, "call MLPLabeled"},
		{"MLPLabeled without Classes", func(s *model.Scope, x, tt, y *graph.Node) *graph.Node { return MLPLabeled(s, x, tt, y, MLPConfig{}) }, []int32{0, 0, 0}, "set the number of classes"},
		{"labels of the wrong length", func(s *model.Scope, x, tt, y *graph.Node) *graph.Node {
			return MLPLabeled(s, x, tt, y, MLPConfig{Classes: 2})
		}, []int32{0, 1}, "one per row"},
		{"float labels", func(s *model.Scope, x, tt, y *graph.Node) *graph.Node {
			return MLPLabeled(s, x, tt, y, MLPConfig{Classes: 2})
		}, []float32{0, 1, 1}, "integer vector"},
		{"negative Classes", func(s *model.Scope, x, tt, y *graph.Node) *graph.Node {
			return MLPLabeled(s, x, tt, y, MLPConfig{Classes: -1})
		}, []int32{0, 1, 1}, "set the number of classes"},
		{"UNet with Classes", func(s *model.Scope, _, tt, _ *graph.Node) *graph.Node {
			c := unetSmall28
			c.Classes = 10
			return UNet(s, graph.Zeros(tt.Graph(), tensors.FromValue(testImages(3, 784)).Shape()), tt, c)
		}, []int32{0, 0, 0}, "call UNetLabeled"},
	}
	for _, c := range cases {
		exec, err := model.NewExec(backendForTest(t), model.NewStore(), func(scope *model.Scope, xn, tn, yn *graph.Node) *graph.Node {
			return c.fn(scope.In("net"), xn, tn, yn)
		})
		if err == nil {
			_, err = exec.Call1(tensors.FromValue(x), float32(0.5), c.y)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v; want one containing %q", c.name, err, c.want)
		}
	}
	if err := (MLPConfig{Classes: -2}).Validate(); err == nil || !strings.Contains(err.Error(), "Classes = -2") {
		t.Errorf("Validate(Classes -2) = %v", err)
	}
}
