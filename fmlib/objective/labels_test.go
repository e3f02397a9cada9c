package objective

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestDropLabels measures the share of labels DropLabels replaces by the
// null label against p, within 5 binomial standard errors (a correct
// implementation fails with probability < 1e-6), and checks that it leaves
// the other labels as they were.
func TestDropLabels(t *testing.T) {
	const n, classes = 200000, 10
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(i % classes)
	}
	cases := []struct {
		p    float64
		seed int64
		why  string
	}{
		{0, 1, "no dropout: nothing replaced, no draw"},
		{0.1, 2, "the conditional presets' setting"},
		{0.02, 3, "a small rate: the binomial error is relative, not absolute"},
		{0.5, 4, "the largest binomial variance"},
	}
	for _, c := range cases {
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(c.seed); err != nil {
			t.Fatal(err)
		}
		exec, err := model.NewExec(backendForTest(t), store, func(scope *model.Scope, yn *graph.Node) *graph.Node {
			return DropLabels(scope, yn, classes, c.p)
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Call1(tensors.FromValue(y))
		if err != nil {
			t.Fatal(err)
		}
		got := out.Value().([]int32)
		dropped := 0
		for i, v := range got {
			switch v {
			case classes:
				dropped++
			case y[i]:
			default:
				t.Fatalf("p = %g: label %d became %d, neither itself nor the null label %d", c.p, y[i], v, classes)
			}
		}
		frac := float64(dropped) / n
		tol := 5 * math.Sqrt(c.p*(1-c.p)/n)
		t.Logf("p = %g: dropped %.5f, tolerance %.5f (%s)", c.p, frac, tol, c.why)
		if math.Abs(frac-c.p) > tol {
			t.Errorf("p = %g: dropped a share %.5f of the labels; want %g +- %.5f (5 binomial SE; %s)", c.p, frac, c.p, tol, c.why)
		}
	}
	for _, p := range []float64{-0.1, 1, math.NaN()} {
		exec, err := model.NewExec(backendForTest(t), model.NewStore(), func(scope *model.Scope, yn *graph.Node) *graph.Node {
			return DropLabels(scope, yn, classes, p)
		})
		if err == nil { // the graph is built, and panics, on the first call
			_, err = exec.Call1(tensors.FromValue(y[:4]))
		}
		if err == nil || !strings.Contains(err.Error(), "need 0 <= p < 1") {
			t.Errorf("p = %g: error %v; want one saying 0 <= p < 1", p, err)
		}
	}
}
