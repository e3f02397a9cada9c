package objective

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// DefaultTimeEps is the margin SampleTime keeps from the ends of [0, 1] when
// training.Config.TimeEps is 0. At t = 1 a path with sigma_1 = 0 (e.g.
// CondOT with SigmaMin = 0, VP, Cosine) makes the score target -x0/sigma_t and every
// conversion that divides by sigma_t infinite; at t = 0 VE-like schedules
// have alpha_0 -> 0 and conversions that divide by alpha_t blow up. 1e-5 is
// far below the time resolution any sampler uses (a 1000-step Euler solve
// has dt = 1e-3), so excluding [0, 1e-5) and (1-1e-5, 1] changes the
// trained field negligibly, while 1 - 1e-5 is still exactly representable
// apart from 1 in float32 (whose spacing near 1 is 6e-8).
const DefaultTimeEps = 1e-5

// Kind selects the training objective. All four regress a network output on
// a target computed from a path sample (x0 noise, x1 data, t):
//
//	CFM        pred ~ velocity  u_t(x_t | x0, x1) = dAlpha x1 + dSigma x0,  weight 1
//	DSM        pred ~ score     -x0 / sigma_t,                             weight sigma_t^2
//	DDPM       pred ~ noise     x0,                                         weight 1
//	ScoreFlow  pred ~ score     -x0 / sigma_t,                             weight g_t^2 (LikelihoodWeight)
type Kind int

const (
	CFM Kind = iota
	DSM
	DDPM
	// ScoreFlow is denoising score matching with the likelihood weighting
	// of Song, Durkan, Murray and Ermon (2021): lambda(t) = g_t^2, the
	// squared diffusion coefficient of the SDE whose marginals are the
	// path's (see LikelihoodWeight). With this weight the score-matching
	// loss bounds the model's negative log-likelihood (their Theorem 1).
	// Draw times with LogSNRTime to estimate it with low variance.
	ScoreFlow
)

// String returns "CFM", "DSM", "DDPM" or "ScoreFlow".
func (k Kind) String() string {
	switch k {
	case CFM:
		return "CFM"
	case DSM:
		return "DSM"
	case DDPM:
		return "DDPM"
	case ScoreFlow:
		return "ScoreFlow"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Valid reports whether k is one of CFM, DSM, DDPM, ScoreFlow.
func (k Kind) Valid() bool { return k >= CFM && k <= ScoreFlow }

// Param is the quantity a network trained with k predicts, in probpath's
// terms: Velocity for CFM, Score for DSM and ScoreFlow, Epsilon for DDPM.
// Samplers turn such a network into a velocity field with
// path.VelocityOf(k.Param(), net) (path.Convert(k.Param(), probpath.Velocity,
// ...) converts values).
func (k Kind) Param() probpath.Param {
	switch k {
	case DSM, ScoreFlow:
		return probpath.Score
	case DDPM:
		return probpath.Epsilon
	}
	return probpath.Velocity
}

// UniformTime maps u in [0, 1) (any shape) affinely onto [eps, 1-eps):
// t = eps + (1 - 2 eps) u. It panics unless 0 <= eps < 0.5.
func UniformTime(u *graph.Node, eps float64) *graph.Node {
	if !(eps >= 0 && eps < 0.5) {
		exceptions.Panicf("objective: time eps = %g; need 0 <= eps < 0.5", eps)
	}
	return graph.AddScalar(graph.MulScalar(u, 1-2*eps), eps)
}

// SampleTime draws batch times uniformly on [eps, 1-eps) (shape [batch],
// the given float dtype) from the store's random number generator, advancing
// its state (see model.Store.RandomUniform). Seed the store with
// Store.SetRNGStateFromSeed for reproducible runs. See DefaultTimeEps for why
// the ends are excluded. It panics unless batch >= 1 and 0 <= eps < 0.5.
func SampleTime(scope *model.Scope, g *graph.Graph, dtype dtypes.DType, batch int, eps float64) *graph.Node {
	if batch < 1 {
		exceptions.Panicf("objective.SampleTime: batch = %d; need >= 1", batch)
	}
	return UniformTime(scope.RandomUniform(g, shapes.Make(dtype, batch)), eps)
}

// LogitNormalTime maps z (any shape, standard normal draws) to times
// t = eps + (1 - 2 eps) sigmoid(mean + std z) in (eps, 1-eps): the
// logit-normal distribution of Esser et al. (2024), whose density
//
//	p(t) = 1/(std sqrt(2 pi)) 1/(t (1 - t)) exp(-(logit t - mean)^2 / (2 std^2))
//
// (before the eps squeeze) puts more of the training on the middle times,
// where the regression target is hardest to predict, and less on the ends.
// It panics unless 0 <= eps < 0.5, std > 0 and both are finite.
func LogitNormalTime(z *graph.Node, mean, std, eps float64) *graph.Node {
	if !(std > 0) || math.IsInf(std, 0) || math.IsNaN(mean) || math.IsInf(mean, 0) {
		exceptions.Panicf("objective: logit-normal time with mean %g, std %g; need a finite mean and a finite std > 0", mean, std)
	}
	return UniformTime(graph.Sigmoid(graph.AddScalar(graph.MulScalar(z, std), mean)), eps)
}

// SampleLogitNormalTime is SampleTime with logit-normal times (see
// LogitNormalTime).
func SampleLogitNormalTime(scope *model.Scope, g *graph.Graph, dtype dtypes.DType, batch int, mean, std, eps float64) *graph.Node {
	if batch < 1 {
		exceptions.Panicf("objective.SampleLogitNormalTime: batch = %d; need >= 1", batch)
	}
	return LogitNormalTime(scope.RandomNormal(g, shapes.Make(dtype, batch)), mean, std, eps)
}

// perRow reshapes c of shape [B] to [B, 1, ..., 1] and broadcasts it to like's shape.
func perRow(c, like *graph.Node) *graph.Node {
	dims := make([]int, like.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[0] = like.Shape().Dimensions[0]
	return graph.BroadcastToDims(graph.Reshape(c, dims...), like.Shape().Dimensions...)
}

// Target returns the regression target of kind for the path sample s (shape
// of s.Xt) and the per-row weight lambda(t) (shape [B]), or nil for weight 1:
//
//	CFM:       s.DXt                   lambda = 1
//	DSM:       -s.X0 / sigma_t         lambda = sigma_t^2
//	DDPM:      s.X0                    lambda = 1
//	ScoreFlow: -s.X0 / sigma_t         lambda = g_t^2 (LikelihoodWeight)
//
// sigma_t comes from path.Sched.Graph(s.T). s.T must have shape [B].
func Target(kind Kind, path probpath.Affine, s probpath.Sample) (target, weight *graph.Node) {
	switch kind {
	case CFM:
		return s.DXt, nil
	case DDPM:
		return s.X0, nil
	case DSM, ScoreFlow:
		if path.Sched == nil {
			exceptions.Panicf("objective.Target(%s): path has no scheduler", kind)
		}
		c := path.Sched.Graph(s.T)
		target = graph.Neg(graph.Div(s.X0, perRow(c.Sigma, s.X0)))
		if kind == ScoreFlow {
			return target, likelihoodWeight(c)
		}
		return target, graph.Square(c.Sigma)
	}
	exceptions.Panicf("objective: unknown loss kind %d (valid: CFM, DSM, DDPM)", int(kind))
	return nil, nil
}

// PredictionLoss is the scalar training loss of a network prediction pred
// (shape of s.Xt) for the path sample s:
//
//	L = mean over rows b and coordinates j of lambda(t_b) (pred_bj - target_bj)^2
//
// with target and lambda from Target. It is exactly 0 when pred is the
// target node's value. For DSM the weighted form equals mean (sigma_t pred +
// x0)^2 -- finite as sigma_t -> 0 mathematically, but the target itself is
// computed, so keep t away from points where sigma_t = 0 (SampleTime's eps).
//
// The mean over coordinates makes losses comparable across dimensions; it is
// 1/D times the usual E ||pred - target||^2.
func PredictionLoss(kind Kind, path probpath.Affine, pred *graph.Node, s probpath.Sample) *graph.Node {
	return WeightedPredictionLoss(kind, path, pred, s, nil)
}

// WeightedPredictionLoss is PredictionLoss with an extra per-row factor
// rows (shape [B]; nil means 1): the importance ratio of times drawn from
// another distribution than the uniform one (see LogSNRTime), so that
//
//	L = mean over rows b and coordinates j of rows_b lambda(t_b) (pred_bj - target_bj)^2
//
// estimates the same objective as PredictionLoss with uniform times.
func WeightedPredictionLoss(kind Kind, path probpath.Affine, pred *graph.Node, s probpath.Sample, rows *graph.Node) *graph.Node {
	if !pred.Shape().Equal(s.Xt.Shape()) {
		exceptions.Panicf("objective: prediction shape %s differs from x_t shape %s", pred.Shape(), s.Xt.Shape())
	}
	target, weight := Target(kind, path, s)
	sq := graph.Square(graph.Sub(pred, target))
	if weight != nil {
		sq = graph.Mul(sq, perRow(graph.ConvertDType(weight, sq.DType()), sq))
	}
	if rows != nil {
		if rows.Rank() != 1 || rows.Shape().Dimensions[0] != sq.Shape().Dimensions[0] {
			exceptions.Panicf("objective: row weights of shape %s for a batch of %d rows; want shape [%d]", rows.Shape(), sq.Shape().Dimensions[0], sq.Shape().Dimensions[0])
		}
		sq = graph.Mul(sq, perRow(graph.ConvertDType(rows, sq.DType()), sq))
	}
	return graph.ReduceAllMean(sq)
}

// Loss samples the path at (x0, x1, t), evaluates net on (x_t, t) and returns
// PredictionLoss. x0 and x1 have shape [B, ...]; t has shape [B].
func Loss(kind Kind, path probpath.Affine, net vfield.Graph, scope *model.Scope, x0, x1, t *graph.Node) *graph.Node {
	return WeightedLoss(kind, path, net, scope, x0, x1, t, nil)
}

// WeightedLoss is Loss with WeightedPredictionLoss's per-row factor rows
// (shape [B]; nil means 1).
func WeightedLoss(kind Kind, path probpath.Affine, net vfield.Graph, scope *model.Scope, x0, x1, t, rows *graph.Node) *graph.Node {
	s := path.Sample(x0, x1, t)
	pred := net(scope, s.Xt, s.T)
	return WeightedPredictionLoss(kind, path, pred, s, rows)
}

// DropLabels replaces each label of y (an integer vector [B]) by the null
// label null independently with probability p, drawing one uniform number
// per row from the store's generator (advancing its state):
//
//	y'_b = null if u_b < p else y_b,   u_b ~ U[0, 1).
//
// This is the label dropout of classifier-free guidance (Ho & Salimans
// 2022): the network sees "no label" on a share p of the rows and so
// learns the unconditional field u(x, t | null) = u(x, t) beside the
// conditional ones, which guidance.Field then combines. The number of
// dropped rows is Binomial(B, p). With p = 0 it returns y unchanged and
// draws nothing. It panics unless 0 <= p < 1 and y is an integer vector.
func DropLabels(scope *model.Scope, y *graph.Node, null int, p float64) *graph.Node {
	if !(p >= 0 && p < 1) {
		exceptions.Panicf("objective.DropLabels: probability %g; need 0 <= p < 1 (typical 0.1)", p)
	}
	if !y.DType().IsInt() || y.Rank() != 1 {
		exceptions.Panicf("objective.DropLabels: labels must be an integer vector [B], got %s", y.Shape())
	}
	if p == 0 {
		return y
	}
	g := y.Graph()
	u := scope.RandomUniform(g, shapes.Make(dtypes.Float32, y.Shape().Dimensions[0]))
	drop := graph.LessThan(u, graph.Scalar(g, dtypes.Float32, p))
	return graph.Where(drop, graph.BroadcastToDims(graph.Scalar(g, y.DType(), null), y.Shape().Dimensions...), y)
}

// LabeledLoss is Loss for a class-conditional network: it samples the path
// at (x0, x1, t), evaluates net on (x_t, t, y) and returns PredictionLoss.
// y holds one integer label per row ([B]); apply DropLabels first to train
// the null label too.
func LabeledLoss(kind Kind, path probpath.Affine, net vfield.Labeled, scope *model.Scope, x0, x1, t, y *graph.Node) *graph.Node {
	return WeightedLabeledLoss(kind, path, net, scope, x0, x1, t, y, nil)
}

// WeightedLabeledLoss is LabeledLoss with WeightedPredictionLoss's per-row
// factor rows (shape [B]; nil means 1), e.g. the importance ratios of
// ScoreFlow's log-SNR time sampling.
func WeightedLabeledLoss(kind Kind, path probpath.Affine, net vfield.Labeled, scope *model.Scope, x0, x1, t, y, rows *graph.Node) *graph.Node {
	s := path.Sample(x0, x1, t)
	pred := net(scope, s.Xt, s.T, y)
	return WeightedPredictionLoss(kind, path, pred, s, rows)
}
