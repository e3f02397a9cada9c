// Package ode integrates ordinary differential equations dx/dt = f(x, t) whose
// right-hand side is a GoMLX graph function (a velocity Field). The solver
// knows nothing about probability paths: flow-matching samplers and the
// likelihood package give it a Field and get states back.
//
// # Explicit Runge-Kutta methods
//
// A method with s stages is a Butcher tableau (A, b, c). One step of size h
// from (t, x) computes
//
//	k_i = f(t + c_i h, x + h \sum_{j<i} a_{ij} k_j),   i = 1..s
//	x'  = x + h \sum_i b_i k_i
//
// ParseMethod reads a method's name ("euler", "midpoint", "heun", "rk4",
// "dopri5", any case). Fixed-step tableaux (order p; global error O(h^p)):
//
//	Euler    (p=1): c=(0),            b=(1)
//	Midpoint (p=2): c=(0,1/2),        a21=1/2,       b=(0,1)
//	Heun     (p=2): c=(0,1),          a21=1,         b=(1/2,1/2)
//	RK4      (p=4): c=(0,1/2,1/2,1),  a21=1/2, a32=1/2, a43=1, b=(1/6,1/3,1/3,1/6)
//
// # Dormand-Prince 5(4)
//
// Dopri5 has 7 stages with c = (0, 1/5, 3/10, 4/5, 8/9, 1, 1). Its 5th-order
// weights b equal the 7th row of A, so k_7 = f(t+h, x') is the first stage of
// the next step ("first same as last", FSAL): an attempted step costs 6 field
// evaluations. The embedded 4th-order weights b* give the error estimate
//
//	err = h \sum_i (b_i - b*_i) k_i
//
// normalised per element by sc = Atol + Rtol * max(|x|, |x'|) and reduced with
// the RMS norm over all elements of all state tensors:
//
//	E = sqrt( (1/N) \sum (err / sc)^2 )
//
// The step is accepted when E <= 1.
//
// # Step-size controller
//
// Options.Controller (type Controller) is a PI controller (Hairer, Norsett &
// Wanner, Solving ODEs I, sec. II.4, and their DOPRI5 code; Gustafsson's PI
// step-size control). With E the error of the step just tried and E_prev
// that of the last accepted step (1e-4 before the first):
//
//	accepted (E <= 1): h <- h * clamp(Safety * E^{-alpha} * E_prev^{beta}, MinFactor, MaxFactor),
//	                   E_prev <- max(E, 1e-4)
//	rejected (E > 1):  h <- h * min(1, max(MinFactor, Safety * E^{-alpha}))
//
// and the factor of the accepted step right after a rejection is capped at
// 1: the step does not grow until a step is accepted at the first try. A
// NaN/Inf error estimate rejects the step with factor MinFactor. The zero
// Controller means Safety = 0.9, MinFactor = 0.2, MaxFactor = 10,
// beta = PIBeta = 0.04 and alpha = PIAlpha = 1/5 - 0.75 beta = 0.17;
// Controller.Integral gives the integral controller (beta = 0, alpha = 1/5).
// A constant error E = E_prev scales h by E^{beta - alpha}, so alpha > beta
// is required. The tolerances Atol and Rtol stay in Options: they define the
// norm E (and are compiled into the trial graph), the controller only reads E.
//
// The step that would pass t1 (or a save time, see below) is shortened to
// land on it exactly; a last sliver shorter than 1% of h is absorbed into the
// step before it. A step shortened that way does not shrink the next
// proposal, unless its own error asks for a smaller step.
//
// When InitialStep is 0 the first step follows Hairer's heuristic: with
// d0 = ||x0||, d1 = ||f(t0,x0)|| (same scaled RMS norm), h0 = 0.01 d0/d1
// (1e-6 if either is below 1e-5), one probe evaluation
// f1 = f(t0+h0, x0 + h0 f0) gives d2 = ||f1 - f0||/h0,
// h1 = (0.01/max(d1,d2))^{1/5}, and h = min(100 h0, h1, |t1-t0|).
//
// # Stage times
//
// The stage times of a step from t to t_end are t + c_i (t_end - t),
// computed on the host in float64: c_i = 0 is t, c_i = 1 is t_end exactly
// (in the last step, t1 itself), and every stage time is clamped to
// [min(t0, t1), max(t0, t1)]. A field defined only on [t0, t1] (probability
// paths on [0, 1]) is never evaluated an ulp outside it. The step graphs get
// them as a float32 vector.
//
// # Saving: SaveTrajectory, SaveAt and the trajectory layout
//
// Without save options a solve returns only the state at t1. SaveTrajectory
// keeps t0 and the end of every accepted step. SaveAt keeps the state at
// exactly the given times (Solution.Times == SaveAt), which must lie in
// [t0, t1] (t0 and t1 allowed) and be strictly monotone in the direction of
// integration; the two options exclude each other. Dopri5 lands on every
// save time by shortening the step that would pass it (exact, no
// interpolation; each save time costs at most one extra step). Fixed-step
// methods keep their grid t_k = t0 + k (t1-t0)/Steps: a save time within
// 1e-9 of a step of an inner grid point replaces that point, and a save time
// strictly inside a grid step splits it in two (Stats counts both pieces).
//
// Every trajectory is time-major: Solution.Trajectory[k] holds the state
// tensors at Times[k], PointsSolution.Trajectory[k][i] is point i at
// Times[k] (as sde.Path.Trajectory, and the layout plots.Trajectories
// draws).
//
// Guards (Solve returns an error, it never loops forever): more than MaxSteps
// attempted steps (default 10000); a step size below MinStep (default
// 1e-12 |t1-t0|); an error estimate that is NaN/Inf 8 times in a row while h
// is shrunk by 0.2 each time (the message names t and says NaN/Inf); NaN/Inf
// in x0 or in f(t0, x0). Fixed-step methods check every new state for NaN/Inf
// and report the step's interval.
//
// # Counting
//
// Stats.NFE counts field evaluations performed by the compiled graphs:
// fixed-step stages * steps (Steps, plus one per save time that splits a
// step); Dopri5 1 (k1 at t0) + 1 (initial-step probe, only
// when InitialStep == 0) + 6 per attempted step. Accepted/Rejected count steps.
//
// # Performance design
//
// GoMLX has no While op, so a Go loop drives compiled step graphs. Each step
// kind is one graph whose times (the stage times ts, a float32 vector, and
// h) are inputs (never constants), so it compiles once per number of state
// tensors and input shapes and is reused by every step and every later
// Solve on the same Solver (Exec caches per input shapes). One builder
// (rkStages) lays out the stages of every tableau, the fixed-step methods'
// and Dopri5's:
//
//	fixed step:   (ts, h, x..., aux...)         -> (x'..., number of non-finite elements)
//	Dopri5 init:  (t, x..., aux...)             -> (f..., ||x||, ||f||)
//	Dopri5 probe: (t+h, h, x..., f0..., aux...) -> ||f(t+h, x+h f0) - f0||
//	Dopri5 trial: (ts, h, x..., k1..., aux...)  -> (x'..., k7..., E)
//
// States and stages stay on the device as tensors between steps; only one
// scalar per step (E, or the non-finite count) is read by the host. Times are
// kept in float64 on the host and handed to the graph as float32. With a
// *model.Store the graphs are built by model.NewExec, so the field can read
// the store's variables through its scope; without one, graph.NewExec is used
// and the field gets a nil scope.
package ode
