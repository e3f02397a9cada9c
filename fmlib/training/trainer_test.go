package training

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofm/gofm/internal/testbe"

	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/objective"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gofm/gofm/fmlib/vfield"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func backendForTest(t *testing.T) compute.Backend { return testbe.Go(t) }

// sigmaMin of the CondOT path used throughout: small but > 0, so sigma_t >= 0.01
// and the DSM target -x0/sigma_t stays finite on all of [0, 1].
const sigmaMin = 0.01

func condOT(t *testing.T) probpath.Affine {
	t.Helper()
	p, err := probpath.New(schedule.CondOT{SigmaMin: sigmaMin})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// randomBatch returns float32 x0 ~ N(0,1), x1 ~ N(0, 4) of shape [b, d] and t ~ U[0, 1].
func randomBatch(seed uint64, b, d int) (x0, x1 [][]float32, tv []float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x0 = make([][]float32, b)
	x1 = make([][]float32, b)
	tv = make([]float32, b)
	for i := range b {
		x0[i] = make([]float32, d)
		x1[i] = make([]float32, d)
		for j := range d {
			x0[i][j] = float32(rng.NormFloat64())
			x1[i][j] = float32(2 * rng.NormFloat64())
		}
		tv[i] = float32(rng.Float64())
	}
	return
}

func smallNet(cfg models.MLPConfig) vfield.Graph {
	return func(scope *model.Scope, x, t *graph.Node) *graph.Node {
		return models.MLP(scope.At("mlp"), x, t, cfg)
	}
}

func TestConfigValidate(t *testing.T) {
	path := condOT(t)
	net := smallNet(models.MLPConfig{Hidden: []int{8}})
	cases := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"valid CFM", Config{Path: path, Net: net}, ""},
		{"valid DSM with eps", Config{Kind: objective.DSM, Path: path, Net: net, TimeEps: 0.01}, ""},
		{"nil net", Config{Path: path}, "Net is nil"},
		{"no scheduler", Config{Net: net}, "no scheduler"},
		{"bad kind", Config{Kind: 9, Path: path, Net: net}, "unknown Kind"},
		{"eps too large", Config{Path: path, Net: net, TimeEps: 0.5}, "TimeEps"},
		{"negative eps", Config{Path: path, Net: net, TimeEps: -0.1}, "TimeEps"},
		{"negative learning rate", Config{Path: path, Net: net, LearningRate: -1}, "LearningRate"},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
		}
	}
}

func TestTrainerInputErrors(t *testing.T) {
	store := model.NewStore()
	tr, err := NewTrainer(backendForTest(t), store, Config{Path: condOT(t), Net: smallNet(models.MLPConfig{Hidden: []int{8}})})
	if err != nil {
		t.Fatal(err)
	}
	x2 := func(b, d int) *tensors.Tensor { return tensors.FromFlatDataAndDimensions(make([]float32, b*d), b, d) }
	cases := []struct {
		name    string
		run     func() error
		wantErr string
	}{
		{"rank-1 x1", func() error { _, err := tr.Step(tensors.FromValue([]float32{1, 2})); return err }, "shape"},
		{"float64 x1", func() error { _, err := tr.Step(tensors.FromValue([][]float64{{1, 2}})); return err }, "float32"},
		{"pair mismatch", func() error { _, err := tr.StepPairs(x2(4, 2), x2(5, 2)); return err }, "differs"},
		{"t outside [0,1]", func() error {
			_, err := tr.Loss(x2(2, 2), x2(2, 2), tensors.FromValue([]float32{0.5, 1.5}))
			return err
		}, "outside [0, 1]"},
		{"t wrong length", func() error { _, err := tr.Loss(x2(2, 2), x2(2, 2), tensors.FromValue([]float32{0.5})); return err }, "shape [2]"},
		{"ragged data", func() error { _, err := tr.Train([][]float64{{1, 2}, {3}}, 1, 4, 1); return err }, "ragged"},
		{"zero steps", func() error { _, err := tr.Train([][]float64{{1, 2}}, 0, 4, 1); return err }, "steps >= 1"},
	}
	for _, c := range cases {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
		}
	}
}

// twoGaussians returns n points, half around (-2, 0) and half around (2, 0),
// with standard deviation 0.2.
func twoGaussians(n int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	p := make([][]float64, n)
	for i := range p {
		cx := -2.0
		if i%2 == 1 {
			cx = 2
		}
		p[i] = []float64{cx + 0.2*rng.NormFloat64(), 0.2 * rng.NormFloat64()}
	}
	return p
}

// optimalCFMLoss is the minimum over all functions of the CFM loss on the
// evaluation batch when the data distribution is uniform over points: the
// loss of the exact marginal velocity
//
//	u_t(x) = sum_k w_k u_t(x | z_k),  w_k ∝ exp(-|x - alpha_t z_k|^2 / (2 sigma_t^2)),
//	u_t(x | z) = dSigma/Sigma (x - alpha_t z) + dAlpha z,
//
// computed on the host in float64 (the row's own x1 is one of the z_k).
func optimalCFMLoss(path probpath.Affine, points [][]float64, x0 [][]float32, tv []float32) float64 {
	d := len(points[0])
	total := 0.0
	logw := make([]float64, len(points))
	for i, z1 := range points {
		c := path.Sched.At(float64(tv[i]))
		xt := make([]float64, d)
		cond := make([]float64, d) // u_t(x_t | x0, x1) = dAlpha x1 + dSigma x0
		for j := range d {
			xt[j] = c.Alpha*z1[j] + c.Sigma*float64(x0[i][j])
			cond[j] = c.DAlpha*z1[j] + c.DSigma*float64(x0[i][j])
		}
		maxLog := math.Inf(-1)
		for k, z := range points {
			s := 0.0
			for j := range d {
				r := xt[j] - c.Alpha*z[j]
				s += r * r
			}
			logw[k] = -s / (2 * c.Sigma * c.Sigma)
			maxLog = math.Max(maxLog, logw[k])
		}
		u := make([]float64, d)
		norm := 0.0
		for k, z := range points {
			w := math.Exp(logw[k] - maxLog)
			norm += w
			for j := range d {
				u[j] += w * (c.DSigma/c.Sigma*(xt[j]-c.Alpha*z[j]) + c.DAlpha*z[j])
			}
		}
		for j := range d {
			r := cond[j] - u[j]/norm
			total += r * r
		}
	}
	return total / float64(len(points)*d)
}

// TestTrainCFM trains a small MLP with the CFM objective on the CondOT path
// and compares the loss on a fixed evaluation batch (the 512 data points,
// fixed noise and times) with the exact minimum L* of that loss (the loss of
// the exact marginal velocity, optimalCFMLoss). The CFM loss never reaches
// 0: L* is the conditional variance of the target, about 1.18 here, so the
// test measures the excess loss L - L*.
//
// Requirement: after 600 Adam steps the excess loss has dropped by at least
// a factor 5. Measured on the Go backend: L 3.29 -> 1.27 with L* = 1.175
// (excess 2.12 -> 0.094, a factor 22); 5 leaves room for seed and float-order
// changes while still failing for a network that has not learned the field.
func TestTrainCFM(t *testing.T) {
	data := twoGaussians(512, 3)
	path := condOT(t)
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(17); err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(backendForTest(t), store, Config{
		Kind:         objective.CFM,
		Path:         path,
		Net:          smallNet(models.MLPConfig{Hidden: []int{64, 64}, TimeEmbedDim: 16}),
		LearningRate: 3e-3,
	})
	if err != nil {
		t.Fatal(err)
	}
	ex0, _, etv := randomBatch(99, len(data), 2)
	ex1, err := toTensor(data)
	if err != nil {
		t.Fatal(err)
	}
	evalLoss := func() float64 {
		l, err := tr.Loss(tensors.FromValue(ex0), ex1, tensors.FromValue(etv))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	opt := optimalCFMLoss(path, data, ex0, etv)
	before := evalLoss()
	losses, err := tr.Train(data, 600, 128, 5)
	if err != nil {
		t.Fatal(err)
	}
	after := evalLoss()
	t.Logf("CFM eval loss %.4f -> %.4f, exact minimum %.4f: excess %.4f -> %.4f (factor %.1f); batch loss first %.4f last %.4f",
		before, after, opt, before-opt, after-opt, (before-opt)/(after-opt), losses[0], losses[len(losses)-1])
	// L* minimises the expected loss; on this finite batch a network f can
	// beat u only through the zero-mean cross term 2 mean((cond-u)(u-f)),
	// whose standard deviation is about 2 sqrt(L*) |u-f| / sqrt(1024) ~ 0.02
	// for |u-f| ~ 0.3. Going more than 0.05 below L* means a wrong loss or
	// a wrong reference.
	if after < opt-0.05 {
		t.Errorf("eval loss %.6f far below the exact minimum %.6f: the loss or the reference is wrong", after, opt)
	}
	if !(after-opt < (before-opt)/5) {
		t.Errorf("excess loss %.4f -> %.4f: want a decrease by at least a factor 5", before-opt, after-opt)
	}
	for i, l := range losses {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			t.Fatalf("step %d: loss %v", i, l)
		}
	}
}

func toTensor(p [][]float64) (*tensors.Tensor, error) {
	flat := make([]float32, 0, len(p)*len(p[0]))
	for _, r := range p {
		for _, v := range r {
			flat = append(flat, float32(v))
		}
	}
	return tensors.FromFlatDataAndDimensions(flat, len(p), len(p[0])), nil
}

// The cosine decay sets the learning rate of step k (0-based) to
// min + (lr - min) (1 + cos(pi k / DecaySteps)) / 2, min = MinLRFraction lr.
func TestCosineDecay(t *testing.T) {
	store := model.NewStore()
	const lr, decay = 1e-2, 10
	tr, err := NewTrainer(backendForTest(t), store, Config{Path: condOT(t), Net: smallNet(models.MLPConfig{Hidden: []int{8}}),
		LearningRate: lr, DecaySteps: decay})
	if err != nil {
		t.Fatal(err)
	}
	data := twoGaussians(64, 1)
	for k := 0; k < 7; k++ {
		if _, err := tr.Train(data, 1, 16, uint64(k)); err != nil {
			t.Fatal(err)
		}
		var got float64
		found := false
		for v := range store.IterVariables() {
			if strings.HasSuffix(v.Path(), "/learning_rate") {
				got, found = tensorScalar(v.MustValue().Value()), true
			}
		}
		if !found {
			t.Fatal("no learning_rate variable in the store")
		}
		minLR := MinLRFraction * lr
		want := minLR + (lr-minLR)*(1+math.Cos(math.Pi*float64(k)/decay))/2
		if math.Abs(got-want) > 1e-7 { // float32 variable: ~1e-9 absolute at 1e-2
			t.Errorf("step %d: learning rate %.8g, want %.8g", k, got, want)
		}
	}
	if err := (Config{Path: condOT(t), Net: smallNet(models.MLPConfig{Hidden: []int{8}}), DecaySteps: -1}).Validate(); err == nil {
		t.Error("DecaySteps = -1 accepted")
	}
}

func tensorScalar(v any) float64 {
	switch x := v.(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}
