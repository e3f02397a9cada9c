package nflow

import (
	"fmt"
	"sync"

	"github.com/gofm/gofm/internal/livevars"

	"github.com/gofm/gofm/fmlib/likelihood"
	"github.com/gofm/gofm/fmlib/points"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Map is a graph function that returns y = f(x) for points x of shape [N, D]
// together with the log|det J_f(x)| it claims, shape [N]: Coupling.Forward,
// Coupling.Inverse, Flow.Forward and Flow.Inverse are Maps.
type Map func(scope *model.Scope, x *graph.Node) (y, logDet *graph.Node)

// Runner evaluates a Map on host point sets, with compiled graphs cached per
// input shape. Runners on the same store share its variables (a layer and its
// inverse). It is safe for concurrent use.
type Runner struct {
	backend compute.Backend
	store   *model.Store
	f       Map

	mu         sync.Mutex
	apply, jac *model.Exec
}

// NewRunner returns a Runner for f whose variables live in store (variables
// that f creates are initialized on first use with the store's initializer
// and RNG; seed it with store.SetRNGStateFromSeed for reproducible weights).
// store may be nil for a Map without variables.
func NewRunner(backend compute.Backend, store *model.Store, f Map) (*Runner, error) {
	if backend == nil {
		return nil, fmt.Errorf("nflow.NewRunner: backend is nil")
	}
	if f == nil {
		return nil, fmt.Errorf("nflow.NewRunner: the map is nil")
	}
	if store == nil {
		store = model.NewStore()
	}
	return &Runner{backend: backend, store: store, f: f}, nil
}

// execs builds the graphs on first use.
func (r *Runner) execs() (apply, jac *model.Exec, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.apply == nil {
		r.apply, err = model.NewExec(r.backend, r.store, func(scope *model.Scope, x *graph.Node) (*graph.Node, *graph.Node) {
			livevars.Keep(scope, x)
			return r.f(scope, x)
		})
		if err != nil {
			return nil, nil, fmt.Errorf("nflow.Runner: %w", err)
		}
		r.jac, err = model.NewExec(r.backend, r.store, func(scope *model.Scope, x *graph.Node) (*graph.Node, *graph.Node) {
			livevars.Keep(scope, x)
			var ld *graph.Node
			j := Jacobian(func(x *graph.Node) *graph.Node {
				var y *graph.Node
				y, ld = r.f(scope, x)
				return y
			}, x)
			return j, ld
		})
		if err != nil {
			return nil, nil, fmt.Errorf("nflow.Runner: %w", err)
		}
	}
	return r.apply, r.jac, nil
}

// call runs exec on the point set and returns its outputs.
func call(fn string, exec *model.Exec, x [][]float64, extra ...*tensors.Tensor) ([]*tensors.Tensor, error) {
	xt, err := points.ToTensor(x)
	if err != nil {
		return nil, fmt.Errorf("nflow.%s: %w", fn, err)
	}
	defer xt.FinalizeAll()
	args := []any{xt}
	for _, e := range extra {
		args = append(args, e)
	}
	out, err := exec.Exec(args...)
	if err != nil {
		return nil, fmt.Errorf("nflow.%s: %w", fn, err)
	}
	return out, nil
}

// vector copies a rank-1 float32 tensor to float64 values.
func vector(t *tensors.Tensor) ([]float64, error) {
	f32, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(f32))
	for i, v := range f32 {
		out[i] = float64(v)
	}
	return out, nil
}

func finalizeAll(ts []*tensors.Tensor) {
	for _, t := range ts {
		_ = t.FinalizeAll()
	}
}

// Apply returns y = f(x) for every row of x (computed in float32) and the
// claimed log|det J_f(x)|.
func (r *Runner) Apply(x [][]float64) (y [][]float64, logDet []float64, err error) {
	apply, _, err := r.execs()
	if err != nil {
		return nil, nil, err
	}
	out, err := call("Runner.Apply", apply, x)
	if err != nil {
		return nil, nil, err
	}
	defer finalizeAll(out)
	if y, err = points.FromTensor(out[0]); err != nil {
		return nil, nil, fmt.Errorf("nflow.Runner.Apply: the map's output: %w", err)
	}
	if logDet, err = vector(out[1]); err != nil {
		return nil, nil, fmt.Errorf("nflow.Runner.Apply: the map's log-determinant: %w", err)
	}
	if len(logDet) != len(x) {
		return nil, nil, fmt.Errorf("nflow.Runner.Apply: the map returned %d log-determinants for %d points", len(logDet), len(x))
	}
	return y, logDet, nil
}

// LogDets returns, for every row of x, the log|det J_f(x)| that the map
// claims and the one computed from its full Jacobian (Jacobian: D backward
// passes in float32, then LogAbsDet in float64). The map must send D
// coordinates to D.
func (r *Runner) LogDets(x [][]float64) (claimed, autodiff []float64, err error) {
	_, jac, err := r.execs()
	if err != nil {
		return nil, nil, err
	}
	out, err := call("Runner.LogDets", jac, x)
	if err != nil {
		return nil, nil, err
	}
	defer finalizeAll(out)
	ms, err := Matrices(out[0])
	if err != nil {
		return nil, nil, fmt.Errorf("nflow.Runner.LogDets: %w", err)
	}
	if claimed, err = vector(out[1]); err != nil {
		return nil, nil, fmt.Errorf("nflow.Runner.LogDets: %w", err)
	}
	autodiff = make([]float64, len(ms))
	for i, m := range ms {
		if autodiff[i], err = LogAbsDet(m); err != nil {
			return nil, nil, fmt.Errorf("nflow.Runner.LogDets: point %d: %w", i, err)
		}
	}
	return claimed, autodiff, nil
}

// FlowLogProb returns log p_Y(y) = log N(x; 0, I) + logDet for the rows of y
// given the runner of an inverse map (x, logDet) = f^{-1}(y), such as
// Flow.Inverse: the change of variables with the base distribution N(0, I).
func FlowLogProb(inverse *Runner, y [][]float64) ([]float64, error) {
	if inverse == nil {
		return nil, fmt.Errorf("nflow.FlowLogProb: nil runner")
	}
	x, ld, err := inverse.Apply(y)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	for i, row := range x {
		sq := 0.0
		for _, v := range row {
			sq += v * v
		}
		out[i] = likelihood.StdNormalLogPdf(len(row), sq) + ld[i]
	}
	return out, nil
}

// Divergence evaluates the divergence of a velocity field at a fixed time on
// host point sets: exactly (D backward passes), by Hutchinson's estimator
// (one backward pass per probe), and the full Jacobian. Compiled graphs are
// cached per input shape. It is safe for concurrent use.
type Divergence struct {
	backend compute.Backend
	store   *model.Store
	v       vfield.Graph
	t       float64

	mu                     sync.Mutex
	exact, hutchinson, jac *model.Exec
}

// NewDivergence returns a Divergence for the field v at time t; store holds
// v's variables (nil for a field without variables).
func NewDivergence(backend compute.Backend, store *model.Store, v vfield.Graph, t float64) (*Divergence, error) {
	if backend == nil {
		return nil, fmt.Errorf("nflow.NewDivergence: backend is nil")
	}
	if v == nil {
		return nil, fmt.Errorf("nflow.NewDivergence: the velocity is nil")
	}
	if store == nil {
		store = model.NewStore()
	}
	return &Divergence{backend: backend, store: store, v: v, t: t}, nil
}

func (d *Divergence) field(scope *model.Scope, x *graph.Node) *graph.Node {
	return d.v(scope, x, graph.Scalar(x.Graph(), x.DType(), d.t))
}

func (d *Divergence) execs() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.exact != nil {
		return nil
	}
	var err error
	if d.exact, err = model.NewExec(d.backend, d.store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		livevars.Keep(scope, x)
		return ExactDivergence(d.field(scope, x), x)
	}); err != nil {
		return fmt.Errorf("nflow.Divergence: %w", err)
	}
	if d.hutchinson, err = model.NewExec(d.backend, d.store, func(scope *model.Scope, x, eps *graph.Node) *graph.Node {
		livevars.Keep(scope, x)
		return HutchinsonEstimate(d.field(scope, x), x, eps)
	}); err != nil {
		return fmt.Errorf("nflow.Divergence: %w", err)
	}
	if d.jac, err = model.NewExec(d.backend, d.store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		livevars.Keep(scope, x)
		return Jacobian(func(x *graph.Node) *graph.Node { return d.field(scope, x) }, x)
	}); err != nil {
		return fmt.Errorf("nflow.Divergence: %w", err)
	}
	return nil
}

// Exact returns div u at every row of x.
func (d *Divergence) Exact(x [][]float64) ([]float64, error) {
	if err := d.execs(); err != nil {
		return nil, err
	}
	out, err := call("Divergence.Exact", d.exact, x)
	if err != nil {
		return nil, err
	}
	defer finalizeAll(out)
	return vector(out[0])
}

// Hutchinson returns eps_n^T (du/dx)(x_n) eps_n for every row n of x, with one
// probe row eps_n per point (eps has x's shape).
func (d *Divergence) Hutchinson(x, eps [][]float64) ([]float64, error) {
	if err := d.execs(); err != nil {
		return nil, err
	}
	n, dim, err := points.Check(x)
	if err != nil {
		return nil, fmt.Errorf("nflow.Divergence.Hutchinson: points: %w", err)
	}
	ne, de, err := points.Check(eps)
	if err != nil {
		return nil, fmt.Errorf("nflow.Divergence.Hutchinson: probes: %w", err)
	}
	if ne != n || de != dim {
		return nil, fmt.Errorf("nflow.Divergence.Hutchinson: %d probes of dimension %d for %d points of dimension %d; give one probe per point", ne, de, n, dim)
	}
	et, err := points.ToTensor(eps)
	if err != nil {
		return nil, fmt.Errorf("nflow.Divergence.Hutchinson: probes: %w", err)
	}
	defer et.FinalizeAll()
	out, err := call("Divergence.Hutchinson", d.hutchinson, x, et)
	if err != nil {
		return nil, err
	}
	defer finalizeAll(out)
	return vector(out[0])
}

// Jacobian returns du/dx at every row of x as host matrices.
func (d *Divergence) Jacobian(x [][]float64) ([][][]float64, error) {
	if err := d.execs(); err != nil {
		return nil, err
	}
	out, err := call("Divergence.Jacobian", d.jac, x)
	if err != nil {
		return nil, err
	}
	defer finalizeAll(out)
	return Matrices(out[0])
}
