// Package vfield is the one contract for velocity fields in fmlib: every
// field and every network that predicts one takes the state first and the
// time second, u(x, t).
//
// Two forms exist, for the two places a field is evaluated:
//
//   - Graph is a field built into a GoMLX graph: learned networks
//     (models.MLP, models.UNet), the probability-flow field of a trained
//     diffusion model, a closed-form field written with graph ops. ode,
//     likelihood, objective, probpath and recipe all take this type.
//   - Host is a field evaluated on the host in float64 on point sets
//     ([][]float64, one row per point): closed-form fields such as
//     probpath.Empirical.Velocity (the exact marginal field of a dataset) or
//     sde.OU.FlowVelocity. ode.SolveHost, continuity.Residual and
//     sde.EulerMaruyama take this type.
//
// # Shapes
//
// For a Graph field, x has shape [B, ...] (a batch of B states of any
// trailing shape: [B, D] points or [B, H, W, C] images) and t is either a
// scalar (one time for the whole batch, as an ODE solver passes it) or a
// vector [B] (one time per row, as a training loss draws it). The result has
// x's shape and dtype. Networks must accept both forms of t.
//
// For a Host field, x holds N rows of length D and the result must hold N
// rows of length D: Host.Eval checks that, so a field with a wrong row count
// or length is an error naming the caller, not an index panic deep inside a
// solver.
package vfield
