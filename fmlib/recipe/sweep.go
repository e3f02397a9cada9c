package recipe

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/guidance"
	"github.com/gofm/gofm/fmlib/ode"
)

// ClassScorer scores generated samples of a class-conditional model: a
// FIDScorer that also names the class of a sample (the MNIST classifier of
// package classifier is one).
type ClassScorer interface {
	FIDScorer
	Predict(x [][]float64) ([]uint8, error)
}

// GuidedScore measures the samples of one guidance scale.
type GuidedScore struct {
	Scale float64
	// Accuracy is the share of samples that the scorer assigns to the
	// class they were asked for; AccuracySE its binomial standard error
	// sqrt(a (1 - a) / n).
	Accuracy, AccuracySE float64
	// FID is the scorer's FID of the samples against the held-out points
	// whose labels they were asked for.
	FID     float64
	NFE     int
	Samples [][]float64 // in the order of GuidanceSweep.Labels
}

// GuidanceSweep is what SweepGuidance measured.
type GuidanceSweep struct {
	N      int
	Labels []int // the labels asked for: those of the N held-out reference points, in order
	// Floor is the FID of the reference points against N other held-out
	// points: what a perfect model would score at this N.
	Floor float64
	// HeldAccuracy is the scorer's accuracy on the reference points
	// themselves: what a perfect model would score.
	HeldAccuracy, HeldAccuracySE float64
	Scores                       []GuidedScore // one per scale, in the order asked
}

// SweepGuidance samples a class-conditional model at every guidance scale
// in scales and scores the samples with s: the fidelity (accuracy on the
// labels asked for) and diversity (FID) trade-off of classifier-free
// guidance. The labels asked for are those of the first n held-out points
// (HeldOutLabeled(2n, 1)), so the samples have the classes of the reference
// set in the same proportions; every scale transports the same noise
// (Noise(n, 3), as FIDWithFloor uses) with opts, and the FIDs are against
// those n reference points. At scale 0 with a single class this is what
// FIDWithFloor measures for an unconditional model. m's condition is
// restored afterwards. It is an error for an unconditional model, for n < 1,
// a nil scorer or a bad scale (negative, infinite, NaN).
func (m *Model) SweepGuidance(s ClassScorer, n int, scales []float64, opts ode.Options) (*GuidanceSweep, error) {
	k := m.Config.Classes()
	switch {
	case k == 0:
		return nil, fmt.Errorf("recipe: SweepGuidance needs a class-conditional model; %s is unconditional (the conditional presets: %v)", m.Config.Name, conditionalPresets())
	case n < 1:
		return nil, fmt.Errorf("recipe: SweepGuidance needs n >= 1 samples per scale, got %d", n)
	case s == nil:
		return nil, fmt.Errorf("recipe: SweepGuidance needs a scorer (e.g. the MNIST classifier of package classifier)")
	case len(scales) == 0:
		return nil, fmt.Errorf("recipe: SweepGuidance needs at least one guidance scale")
	}
	for _, w := range scales {
		if err := guidance.CheckScale(w); err != nil {
			return nil, fmt.Errorf("recipe: SweepGuidance: %w", err)
		}
	}
	held, labels, err := m.HeldOutLabeled(2*n, 1)
	if err != nil {
		return nil, err
	}
	ref, labels := held[:n], labels[:n]
	out := &GuidanceSweep{N: n, Labels: labels}
	if out.Floor, err = s.FID(ref, held[n:]); err != nil {
		return nil, err
	}
	if out.HeldAccuracy, out.HeldAccuracySE, err = labelAccuracy(s, ref, labels); err != nil {
		return nil, err
	}
	saved := m.cond
	defer func() { m.cond = saved }()
	x0 := m.Noise(n, 3)
	for _, w := range scales {
		if err := m.SetCondition(guidance.Condition{Labels: labels, Scale: w}); err != nil {
			return nil, err
		}
		sol, err := m.Transport(x0, opts)
		if err != nil {
			return nil, err
		}
		g := GuidedScore{Scale: w, NFE: sol.Stats.NFE, Samples: sol.X}
		if g.Accuracy, g.AccuracySE, err = labelAccuracy(s, sol.X, labels); err != nil {
			return nil, err
		}
		if g.FID, err = s.FID(ref, sol.X); err != nil {
			return nil, err
		}
		out.Scores = append(out.Scores, g)
	}
	return out, nil
}

// labelAccuracy is the share of x that s assigns to the labels asked for,
// with its binomial standard error.
func labelAccuracy(s ClassScorer, x [][]float64, labels []int) (acc, se float64, err error) {
	pred, err := s.Predict(x)
	if err != nil {
		return 0, 0, err
	}
	if len(pred) != len(labels) {
		return 0, 0, fmt.Errorf("recipe: the scorer named %d classes for %d samples", len(pred), len(labels))
	}
	right := 0
	for i, p := range pred {
		if int(p) == labels[i] {
			right++
		}
	}
	n := float64(len(labels))
	acc = float64(right) / n
	return acc, math.Sqrt(acc * (1 - acc) / n), nil
}
