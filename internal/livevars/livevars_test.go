package livevars

import (
	"testing"

	"github.com/gofm/gofm/internal/testbe"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestKeep: an exec built after its variable has a value, executed, and
// executed again after the value changed, must see the new value with Keep.
// Without it the pure-Go backend's graph keeps the old value (GoMLX
// v0.28.16's constants for variables): that case is checked too, so that
// the test says when GoMLX changes this and Keep is no longer needed.
func TestKeep(t *testing.T) {
	be := testbe.Go(t)
	for _, keep := range []bool{true, false} {
		store := model.NewStore()
		build := func(keep bool) *model.Exec {
			return model.MustNewExec(be, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
				if keep {
					Keep(scope, x)
				}
				w := scope.VariableWithShape("w", shapes.Make(dtypes.Float32, 3)).NodeValue(x.Graph())
				return graph.ReduceAllSum(graph.Mul(w, x))
			})
		}
		x := tensors.FromValue([]float32{1, 2, 3})
		build(true).MustExec1(x) // creates and initializes w
		exec := build(keep)
		var got []float32
		for _, w := range [][]float32{{1, 1, 1}, {10, 20, 30}} {
			store.GetVariable("/w").MustSetValue(tensors.FromValue(w))
			got = append(got, tensors.ToScalar[float32](exec.MustExec1(x)))
		}
		// sum(w * x): 1+2+3 = 6, then 10+40+90 = 140; exact in float32.
		switch {
		case keep && (got[0] != 6 || got[1] != 140):
			t.Errorf("with Keep: got %v, want [6 140]", got)
		case !keep && got[1] == 140:
			t.Logf("without Keep the graph saw the new value too (%v): GoMLX no longer embeds variables as constants here, and Keep may be unneeded", got)
		case !keep && got[1] != 6:
			t.Errorf("without Keep: got %v, want the stale [6 6] or the fresh [6 140]", got)
		}
	}
}
