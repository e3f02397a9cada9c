package models

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// LabelEmbedStd is the standard deviation of the initial label embeddings:
// sqrt(1/2), the root mean square of a sinusoidal time embedding's entries
// (sin^2 and cos^2 average 1/2), so that at initialisation labels move the
// first layer as much as times do.
var LabelEmbedStd = math.Sqrt(0.5)

// LabelScope is the sub-scope of MLPLabeled and UNetLabeled that holds the
// label embedding table ("embeddings", shape [Classes+1, TimeEmbedDim]).
const LabelScope = "label"

// checkClasses validates a Classes setting.
func checkClasses(who string, classes int) error {
	if classes < 0 {
		return fmt.Errorf("models: %s.Classes = %d; use 0 for an unconditional network or the number of classes (e.g. 10 for MNIST digits)", who, classes)
	}
	return nil
}

// LabelEmbedding returns the learned embedding of the class labels y (an
// integer vector [B] with values 0..classes; classes itself is the null
// label of the unconditional field) as a [B, dim] node of the given float
// dtype: row y_b of the table variable "embeddings" [classes+1, dim] in
// scope, initialised N(0, LabelEmbedStd^2) from the store's generator. It
// is computed as onehot(y) times the table (exact: one 1 and zeros per row),
// whose gradient is a plain matrix product. A label outside 0..classes
// selects no row and embeds as the zero vector; callers check labels on the
// host (guidance.Condition.Check).
func LabelEmbedding(scope *model.Scope, y *graph.Node, classes, dim int, dtype dtypes.DType) *graph.Node {
	if classes < 1 || dim < 1 {
		exceptions.Panicf("models.LabelEmbedding: classes = %d, dim = %d; need both >= 1", classes, dim)
	}
	if !y.DType().IsInt() || y.Rank() != 1 {
		exceptions.Panicf("models.LabelEmbedding: labels must be an integer vector [B], got %s", y.Shape())
	}
	g := y.Graph()
	table := scope.WithInitializer(initializer.RandomNormalFn(scope, LabelEmbedStd)).
		VariableWithShape("embeddings", shapes.Make(dtype, classes+1, dim)).NodeValue(g)
	return graph.MatMul(graph.OneHot(y, classes+1, dtype), table)
}

// batchLabels checks that y holds one integer label per row of x ([B]) and
// returns it.
func batchLabels(y, x *graph.Node, who string) *graph.Node {
	b := x.Shape().Dimensions[0]
	if y == nil {
		exceptions.Panicf("%s: the network is class-conditional (Classes > 0) and needs labels [%d]; call it through guidance.Field, or set Classes = 0 for an unconditional network", who, b)
	}
	if !y.DType().IsInt() || y.Rank() != 1 || y.Shape().Dimensions[0] != b {
		exceptions.Panicf("%s: labels must be an integer vector [%d] (one per row of x %s), got %s", who, b, x.Shape(), y.Shape())
	}
	return y
}
