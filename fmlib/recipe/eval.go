package recipe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gofm/gofm/fmlib/likelihood"
	"github.com/gofm/gofm/fmlib/metrics"
	"github.com/gofm/gofm/fmlib/ode"
)

// FIDScorer scores generated images against real ones (rows in
// [-1, 1]; generated values may stray outside and are the scorer's to
// clip), e.g. classifier.Classifier's FID-MNIST.
type FIDScorer interface {
	FID(real, generated [][]float64) (float64, error)
}

// EvalOptions sets how much work Evaluate does. Zero values take the
// defaults in brackets.
type EvalOptions struct {
	Samples   int       // generated samples for sample quality [2D 2000, images 1000]
	NLLPoints int       // held-out points for the NLL [2D 1000, images 100]
	K         int       // images: dequantizations per image, importance weighted (Report has the K-sample and the one-sample bound) [1]
	Probes    int       // images: Hutchinson probes per solve [1]
	Tol       float64   // Dopri5 atol = rtol for sampling and NLL [1e-5, the paper's]
	Chunk     int       // points per solve, bounds memory [2D 2000, images 250]
	Seed      uint64    // noise, dequantization and probe streams
	FID       FIDScorer // images: FID-MNIST (nil skips it)
}

func (o EvalOptions) resolved(image bool) EvalOptions {
	def := func(v *int, d2, dImg int) {
		if *v == 0 {
			*v = d2
			if image {
				*v = dImg
			}
		}
	}
	def(&o.Samples, 2000, 1000)
	def(&o.NLLPoints, 1000, 100)
	def(&o.K, 1, 1)
	def(&o.Probes, 1, 1)
	def(&o.Chunk, 2000, 250)
	if o.Tol == 0 {
		o.Tol = 1e-5
	}
	return o
}

// Report holds the metrics of one model. Unused metrics are NaN.
type Report struct {
	NFE       float64 // mean Dopri5 function evaluations per sampling solve (each solve moves a chunk of points)
	NFEStdErr float64
	NLL       float64 // 2D: nats per point; images: bits per dimension (the K-sample bound with K = EvalOptions.K)
	NLLStdErr float64
	// NLLOneSample (images) is the one-sample (K = 1) bound in bits per
	// dimension, from the same solves: the mean over each image's K
	// dequantizations of -log p / (D ln 2) + 7 (likelihood.BitsPerDimOneSample).
	// It equals NLL when K = 1 and is never below it; NaN for 2D.
	NLLOneSample       float64
	NLLOneSampleStdErr float64
	NLLUnit            string
	Energy             float64 // 2D: energy distance to held-out points
	W2                 float64 // 2D: exact 2-Wasserstein distance to as many held-out points
	FID                float64 // images: EvalOptions.FID's score ("FID-MNIST")
	Samples            [][]float64
	Seconds            float64
}

// Evaluate samples the model with Dopri5 at opts.Tol and measures NFE,
// sample quality against held-out data, and the held-out NLL by the
// instantaneous change of variables (exact divergence in 2D, Hutchinson
// for images with K importance-weighted dequantizations).
func (m *Model) Evaluate(opts EvalOptions) (*Report, error) {
	img := m.Config.IsImage()
	o := opts.resolved(img)
	if o.Samples < 2 || o.NLLPoints < 1 || o.K < 1 || o.Probes < 1 || o.Chunk < 1 || !(o.Tol > 0) {
		return nil, fmt.Errorf("recipe: Evaluate options %+v: need Samples >= 2 and positive NLLPoints, K, Probes, Chunk, Tol", opts)
	}
	if len(m.cond.Labels) > 1 {
		return nil, fmt.Errorf("recipe: Evaluate compares samples of one condition with held-out data of its class; set one label (SetCondition with guidance.Label), not one per sample")
	}
	start := time.Now()
	r := &Report{NLL: math.NaN(), NLLStdErr: math.NaN(), NLLOneSample: math.NaN(), NLLOneSampleStdErr: math.NaN(),
		Energy: math.NaN(), W2: math.NaN(), FID: math.NaN()}
	solver := ode.Options{Method: ode.Dopri5, Atol: o.Tol, Rtol: o.Tol}
	noise := m.Noise(o.Samples, o.Seed)
	samples, nfes, err := m.TransportChunks(noise, o.Chunk, solver)
	if err != nil {
		return nil, fmt.Errorf("recipe: sampling: %w", err)
	}
	r.Samples = samples
	r.NFE, r.NFEStdErr = metrics.MeanSE(nfes)

	held, err := m.heldOutFor(o.Samples, o.Seed+1)
	if err != nil {
		return nil, err
	}
	if img {
		if o.FID != nil {
			if r.FID, err = o.FID.FID(held, r.Samples); err != nil {
				return nil, fmt.Errorf("recipe: FID: %w", err)
			}
		}
	} else {
		if r.Energy, err = metrics.EnergyDistance(r.Samples, held); err != nil {
			return nil, err
		}
		if r.W2, err = metrics.W2(r.Samples, held); err != nil {
			return nil, err
		}
	}

	lopts := likelihood.Options{Solver: solver}
	if img {
		lopts.Method, lopts.Probes, lopts.Seed = likelihood.Hutchinson, o.Probes, o.Seed
	}
	est, err := m.Likelihood(lopts)
	if err != nil {
		return nil, err
	}
	var per []float64 // images: bits/dim per image (K-sample bound); 2D: log p per point
	var one []float64 // images: the one-sample bound per image
	if img {
		r.NLLUnit = "bits/dim"
		var pix [][]float64
		if y := m.classLabel(); y >= 0 {
			pix, err = m.classPixels(o.NLLPoints, y)
		} else {
			pix, err = m.testPixels(o.NLLPoints)
		}
		if err != nil {
			return nil, err
		}
		rng := rand.New(rand.NewPCG(o.Seed, 3))
		chunk := max(1, o.Chunk/o.K)
		for lo := 0; lo < len(pix); lo += chunk {
			lp, _, err := est.DequantizedLogProb(pix[lo:min(lo+chunk, len(pix))], o.K, rng)
			if err != nil {
				return nil, fmt.Errorf("recipe: bits per dimension: %w", err)
			}
			bpd, err := likelihood.BitsPerDim(lp, m.Config.Dim())
			if err != nil {
				return nil, fmt.Errorf("recipe: bits per dimension: %w", err)
			}
			b1, err := likelihood.BitsPerDimOneSample(lp, m.Config.Dim())
			if err != nil {
				return nil, fmt.Errorf("recipe: bits per dimension: %w", err)
			}
			per, one = append(per, bpd...), append(one, b1...)
		}
	} else {
		r.NLLUnit = "nats"
		pts, err := m.heldOutFor(o.NLLPoints, o.Seed+2)
		if err != nil {
			return nil, err
		}
		for lo := 0; lo < len(pts); lo += o.Chunk {
			res, err := est.LogProbPoints(pts[lo:min(lo+o.Chunk, len(pts))])
			if err != nil {
				return nil, fmt.Errorf("recipe: log-likelihood: %w", err)
			}
			per = append(per, res.LogP...)
		}
		if r.NLL, r.NLLStdErr, err = metrics.NLL(per); err != nil {
			return nil, fmt.Errorf("recipe: %w", err)
		}
	}
	if img {
		r.NLL, r.NLLStdErr = metrics.MeanSE(per)
		r.NLLOneSample, r.NLLOneSampleStdErr = metrics.MeanSE(one)
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// testPixels returns the first n MNIST test images as values 0..255.
func (m *Model) testPixels(n int) ([][]float64, error) {
	imgs, _, err := m.testSet.load("test")
	if err != nil {
		return nil, err
	}
	if n > imgs.N {
		return nil, fmt.Errorf("recipe: asked for %d test images; the test set has %d", n, imgs.N)
	}
	out := make([][]float64, n)
	for i := range out {
		out[i] = Pixels(imgs, i)
	}
	return out, nil
}

// FIDWithFloor scores n samples of m (noise seed 3, solved with opts)
// against n held-out images (seed 1) with s, and gives the floor beside it:
// the score of those held-out images against n others, what a perfect model
// would get at this n (the FID's bias grows as n shrinks). gofm export and
// fmtune report it. A conditional model set to one class is compared with
// held-out images of that class.
func (m *Model) FIDWithFloor(s FIDScorer, n int, opts ode.Options) (fid, floor float64, err error) {
	if len(m.cond.Labels) > 1 {
		return 0, 0, fmt.Errorf("recipe: FIDWithFloor compares samples of one condition with held-out images of its class; set one label, not one per sample")
	}
	held, err := m.heldOutFor(2*n, 1)
	if err != nil {
		return 0, 0, err
	}
	if floor, err = s.FID(held[:n], held[n:]); err != nil {
		return 0, 0, err
	}
	sol, err := m.Sample(n, 3, opts)
	if err != nil {
		return 0, 0, err
	}
	fid, err = s.FID(held[:n], sol.X)
	return fid, floor, err
}
