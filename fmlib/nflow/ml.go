package nflow

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
)

// NLL returns the maximum-likelihood loss of the flow on the batch y [N, D],
// the mean negative log-likelihood in nats per point (a scalar):
//
//	NLL(theta) = -(1/N) sum_n log p_theta(y_n),   log p_theta = LogProb.
//
// For data drawn from q it estimates -E_q log p_theta(y) = KL(q || p_theta) + H(q),
// and the entropy H(q) does not depend on theta: minimizing the NLL minimizes
// the KL divergence from the data distribution to the model, and its value
// on held-out data bounds H(q) from above.
func (f Flow) NLL(scope *model.Scope, y *graph.Node) *graph.Node {
	return graph.Neg(graph.ReduceAllMean(f.LogProb(scope, y)))
}

// ModelFn returns a model function for GoMLX's train.NewTrainer (with a nil
// loss function) that registers NLL on its one input, the data batch [B, D],
// as the main loss: maximum-likelihood training of the flow. Its variables
// live in the trainer's scope (the store's root), where a Runner of
// f.Forward or f.Inverse on the same store finds them.
func (f Flow) ModelFn() func(scope *model.Scope, inputs []*graph.Node) {
	return func(scope *model.Scope, inputs []*graph.Node) {
		train.AddMainLoss(f.NLL(scope, inputs[0]))
	}
}
