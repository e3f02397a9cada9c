package fmloss

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/internal/livevars"

	"github.com/gofm/gofm/fmlib/points"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// TrainableNodes returns the graph values of the trainable variables of
// scope's store that graph g uses, in the store's order (the order
// FlatGradient lays them out in). Call it after the network is built.
func TrainableNodes(scope *model.Scope, g *graph.Graph) []*graph.Node {
	var nodes []*graph.Node
	for v := range scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			nodes = append(nodes, v.NodeValue(g))
		}
	}
	return nodes
}

// FlatGradient returns the gradient of the scalar loss with respect to the
// given parameter nodes, flattened and concatenated into one vector of
// shape [P] (P = the total number of scalars, in the order given). It panics
// (graph-building style) if loss is not a scalar or no parameters are given.
func FlatGradient(loss *graph.Node, params []*graph.Node) *graph.Node {
	if !loss.Shape().IsScalar() {
		exceptions.Panicf("fmloss.FlatGradient: loss must be a scalar, got %s", loss.Shape())
	}
	if len(params) == 0 {
		exceptions.Panicf("fmloss.FlatGradient: no parameters; build the network in the graph before taking its gradient")
	}
	grads := graph.Gradient(loss, params...)
	flat := make([]*graph.Node, len(grads))
	for i, g := range grads {
		flat[i] = graph.Reshape(g, g.Shape().Size())
	}
	if len(flat) == 1 {
		return flat[0]
	}
	return graph.Concatenate(flat, 0)
}

// SquaredError is mean over rows of |v - target|^2 (the sum over coordinates
// of each row's squared error), a scalar.
func SquaredError(v, target *graph.Node) *graph.Node {
	rows := v.Shape().Dimensions[0]
	return graph.DivScalar(graph.ReduceAllSum(graph.Square(graph.Sub(v, target))), float64(rows))
}

// Evaluator evaluates a network and the gradients of two losses on the same
// samples, Chunk rows per call of one compiled graph.
type Evaluator struct {
	p       Problem
	store   *model.Store
	exec    *model.Exec
	forward *model.Exec
	chunk   int
}

// NewEvaluator prepares the evaluation graph for the network of p whose
// variables live in store (created there on first use, from the store's
// RNG). chunk is the number of rows per graph call.
func (p Problem) NewEvaluator(backend compute.Backend, store *model.Store, chunk int) (*Evaluator, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Net == nil {
		return nil, fmt.Errorf("fmloss: Problem.Net is nil; give the network, e.g. func(s *model.Scope, x, t *graph.Node) *graph.Node { return models.MLP(s.In(\"mlp\"), x, t, cfg) }")
	}
	if backend == nil || store == nil {
		return nil, fmt.Errorf("fmloss: NewEvaluator needs a backend and a store (model.NewStore())")
	}
	if chunk < 1 {
		return nil, fmt.Errorf("fmloss: chunk = %d rows; need >= 1", chunk)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		livevars.Keep(scope, in[0])
		xt, t, a, b := in[0], in[1], in[2], in[3]
		v := p.Net(scope, xt, t)
		params := TrainableNodes(scope, xt.Graph())
		return []*graph.Node{v, FlatGradient(SquaredError(v, a), params), FlatGradient(SquaredError(v, b), params)}
	})
	if err != nil {
		return nil, fmt.Errorf("fmloss: building the evaluation graph: %w", err)
	}
	forward, err := model.NewExec(backend, store, func(scope *model.Scope, x, t *graph.Node) *graph.Node {
		livevars.Keep(scope, x)
		return p.Net(scope, x, t)
	})
	if err != nil {
		return nil, fmt.Errorf("fmloss: building the forward graph: %w", err)
	}
	return &Evaluator{p: p, store: store, exec: exec, forward: forward, chunk: chunk}, nil
}

// Velocity evaluates the network v(x, t) at the rows of x ([M, D]) at one
// time t (for plotting a learned field). Each new M compiles a graph.
func (e *Evaluator) Velocity(x [][]float64, t float64) ([][]float64, error) {
	xt, err := points.ToTensor(x)
	if err != nil {
		return nil, fmt.Errorf("fmloss.Velocity: %w", err)
	}
	defer xt.FinalizeAll()
	out, err := e.forward.Call1(xt, float32(t))
	if err != nil {
		return nil, fmt.Errorf("fmloss.Velocity: %w", err)
	}
	defer out.FinalizeAll()
	return points.FromTensor(out)
}

// Chunk is the number of rows per graph call.
func (e *Evaluator) Chunk() int { return e.chunk }

// Comparison holds a network's output, two targets and the two losses'
// gradients on the same samples.
type Comparison struct {
	A, B   Target
	V      [][]float64 // the network output v(x_t, t) per sample
	TA, TB [][]float64 // the targets per sample
	// GradA[k], GradB[k] are the gradients of the mean squared error of chunk k
	// (rows k*Chunk .. (k+1)*Chunk-1) against target A, B, flattened.
	GradA, GradB [][]float64
	Chunk        int
}

// Compare evaluates the network on s (whose length must be a multiple of
// the chunk size) against targets a and b: outputs, targets and per-chunk
// gradients of both losses.
func (e *Evaluator) Compare(s Samples, a, b Target) (*Comparison, error) {
	n := s.Len()
	if n == 0 || n%e.chunk != 0 {
		return nil, fmt.Errorf("fmloss.Compare: %d samples; need a positive multiple of the chunk size %d", n, e.chunk)
	}
	ta, err := e.p.Target(a, s)
	if err != nil {
		return nil, err
	}
	tb, err := e.p.Target(b, s)
	if err != nil {
		return nil, err
	}
	c := &Comparison{A: a, B: b, TA: ta, TB: tb, Chunk: e.chunk}
	for lo := 0; lo < n; lo += e.chunk {
		hi := lo + e.chunk
		v, ga, gb, err := e.call(s.Xt[lo:hi], s.T[lo:hi], ta[lo:hi], tb[lo:hi])
		if err != nil {
			return nil, err
		}
		c.V = append(c.V, v...)
		c.GradA = append(c.GradA, ga)
		c.GradB = append(c.GradB, gb)
	}
	return c, nil
}

// call runs the graph on one chunk.
func (e *Evaluator) call(xt [][]float64, t []float64, a, b [][]float64) (v [][]float64, ga, gb []float64, err error) {
	in := make([]any, 4)
	var toFree []*tensors.Tensor
	defer func() {
		for _, x := range toFree {
			x.FinalizeAll()
		}
	}()
	for i, p := range [][][]float64{xt, nil, a, b} {
		if i == 1 {
			tt := make([]float32, len(t))
			for k, x := range t {
				tt[k] = float32(x)
			}
			in[1] = tt
			continue
		}
		x, err := points.ToTensor(p)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("fmloss: %w", err)
		}
		toFree = append(toFree, x)
		in[i] = x
	}
	out, err := e.exec.Call(in...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("fmloss: evaluating the network and gradients: %w", err)
	}
	toFree = append(toFree, out...)
	if v, err = points.FromTensor(out[0]); err != nil {
		return nil, nil, nil, fmt.Errorf("fmloss: %w", err)
	}
	return v, vector(out[1]), vector(out[2]), nil
}

// vector copies a float32 vector tensor into float64.
func vector(t *tensors.Tensor) []float64 {
	var out []float64
	tensors.MustConstFlatData(t, func(flat []float32) {
		out = make([]float64, len(flat))
		for i, x := range flat {
			out[i] = float64(x)
		}
	})
	return out
}

// Len is the number of samples.
func (c *Comparison) Len() int { return len(c.V) }

// Chunks is the number of chunks (of Chunk rows each).
func (c *Comparison) Chunks() int { return len(c.GradA) }

// Sub returns the comparison restricted to chunks lo..hi-1 (sharing data).
// Per-sample rows that are absent (a Comparison holding only gradients)
// stay absent.
func (c *Comparison) Sub(lo, hi int) *Comparison {
	r, s := lo*c.Chunk, hi*c.Chunk
	rows := func(x [][]float64) [][]float64 {
		if len(x) < s {
			return nil
		}
		return x[r:s]
	}
	return &Comparison{A: c.A, B: c.B, V: rows(c.V), TA: rows(c.TA), TB: rows(c.TB),
		GradA: c.GradA[lo:hi], GradB: c.GradB[lo:hi], Chunk: c.Chunk}
}

// Losses returns the two losses, mean |v - a|^2 and mean |v - b|^2, with
// their standard errors.
func (c *Comparison) Losses() (a, b Stat) {
	return MeanSE(SqDist(c.V, c.TA)), MeanSE(SqDist(c.V, c.TB))
}

// LossDiff is the difference of the sample losses, L_A - L_B, with the
// standard error of the per-sample difference |v - a|^2 - |v - b|^2.
func (c *Comparison) LossDiff() Stat { return MeanSE(c.LossDiffs()) }

// LossDiffs is |v - a|^2 - |v - b|^2 per sample (LossDiff is their mean).
func (c *Comparison) LossDiffs() []float64 {
	la, lb := SqDist(c.V, c.TA), SqDist(c.V, c.TB)
	for i := range la {
		la[i] -= lb[i]
	}
	return la
}

// GapResiduals is, per sample, the loss difference minus the squared
// distance of the targets,
//
//	|v - a|^2 - |v - b|^2 - |a - b|^2 = 2 (v - b).(b - a).
//
// For a = Conditional and b = Marginal, b is the conditional mean of a given
// (x_t, t) and v, b are functions of (x_t, t), so the residual has mean zero
// given (x_t, t): L_CFM - L_FM equals the conditional variance E|a - b|^2
// not only overall but over any set of samples chosen by time (the gap C(t)
// of Problem.GapAt, time bin by time bin with BinByTime).
func (c *Comparison) GapResiduals() []float64 {
	r := make([]float64, len(c.V))
	for i, v := range c.V {
		for j, vj := range v {
			r[i] += 2 * (vj - c.TB[i][j]) * (c.TB[i][j] - c.TA[i][j])
		}
	}
	return r
}

// Predicted is the network-independent part of LossDiff on these samples,
// mean(|a|^2 - |b|^2), with its standard error.
func (c *Comparison) Predicted() Stat {
	na, nb := SqNorm(c.TA), SqNorm(c.TB)
	for i := range na {
		na[i] -= nb[i]
	}
	return MeanSE(na)
}

// Gap is mean |a - b|^2 with its standard error: for a = conditional and
// b = marginal, the conditional variance of the target, which equals the
// expected value of Predicted.
func (c *Comparison) Gap() Stat { return MeanSE(SqDist(c.TA, c.TB)) }

// Cross is LossDiff - Predicted, the mean of -2 v.(a - b) over the samples,
// with its standard error. Theorem 2 says its expectation is 0 for every
// network when b is the conditional mean of a given (x_t, t).
func (c *Comparison) Cross() Stat {
	x := make([]float64, len(c.V))
	for i, v := range c.V {
		for j, vj := range v {
			x[i] -= 2 * vj * (c.TA[i][j] - c.TB[i][j])
		}
	}
	return MeanSE(x)
}

// GradStats compares the two gradients over all samples (the mean of the
// chunk gradients).
type GradStats struct {
	NormA, NormB float64 // |g_A|, |g_B|
	Diff         float64 // |g_A - g_B|
	// SE is the standard error of g_A - g_B as a vector,
	// sqrt(sum_k |d_k - dbar|^2 / (K (K-1))) over the K chunk differences d_k
	// (NaN for one chunk): E|g_A - g_B|^2 = E SE^2 when the expected gradients agree.
	SE     float64
	RelErr float64 // Diff / NormB
	Cosine float64 // g_A.g_B / (|g_A| |g_B|)
}

// Z is Diff / SE: about 1 when the expected gradients agree, growing like
// sqrt(n) when they differ.
func (g GradStats) Z() float64 { return g.Diff / g.SE }

// Gradients compares the mean gradients of the two losses.
func (c *Comparison) Gradients() GradStats {
	k := len(c.GradA)
	p := len(c.GradA[0])
	ga, gb, d := make([]float64, p), make([]float64, p), make([]float64, p)
	for i := range k {
		for j := range p {
			ga[j] += c.GradA[i][j] / float64(k)
			gb[j] += c.GradB[i][j] / float64(k)
		}
	}
	var s GradStats
	var dot float64
	for j := range p {
		d[j] = ga[j] - gb[j]
		s.NormA += ga[j] * ga[j]
		s.NormB += gb[j] * gb[j]
		s.Diff += d[j] * d[j]
		dot += ga[j] * gb[j]
	}
	s.Cosine = dot / math.Sqrt(s.NormA*s.NormB)
	s.NormA, s.NormB, s.Diff = math.Sqrt(s.NormA), math.Sqrt(s.NormB), math.Sqrt(s.Diff)
	s.RelErr = s.Diff / s.NormB
	s.SE = math.NaN()
	if k > 1 {
		var ss float64
		for i := range k {
			for j := range p {
				e := c.GradA[i][j] - c.GradB[i][j] - d[j]
				ss += e * e
			}
		}
		s.SE = math.Sqrt(ss / float64(k*(k-1)))
	}
	return s
}

// RelErrScaling measures how the gradient difference shrinks with the
// number of samples: for group sizes of 1, 2, 4, ... chunks (as long as there
// are at least minGroups groups), it splits the chunks into consecutive
// groups of that size and returns the sample count of a group and the root
// mean square over the groups of |g_A - g_B| (each group's own gradients)
// divided by |g_B| of all samples (the best estimate of the gradient's size).
func (c *Comparison) RelErrScaling(minGroups int) (n, rms []float64) {
	k := c.Chunks()
	ref := c.Gradients().NormB
	for size := 1; k/size >= max(minGroups, 1); size *= 2 {
		groups := k / size
		var ss float64
		for g := range groups {
			r := c.Sub(g*size, (g+1)*size).Gradients().Diff / ref
			ss += r * r
		}
		n = append(n, float64(size*c.Chunk))
		rms = append(rms, math.Sqrt(ss/float64(groups)))
	}
	return n, rms
}
