package training

import (
	"math"
	"testing"

	"github.com/gofm/gofm/fmlib/metrics"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/fmlib/objective"
	"github.com/gofm/gofm/fmlib/probpath"
	"github.com/gofm/gofm/fmlib/schedule"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestTimeImportanceValidation(t *testing.T) {
	vp, err := probpath.New(schedule.VP{})
	if err != nil {
		t.Fatal(err)
	}
	net := smallNet(models.MLPConfig{Hidden: []int{4}})
	for _, c := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"vp", Config{Kind: objective.ScoreFlow, Path: vp, Net: net, TimeImportance: true}, true},
		{"condOT has no log-SNR inverse", Config{Path: condOT(t), Net: net, TimeImportance: true}, false},
		{"with logit-normal times", Config{Kind: objective.ScoreFlow, Path: vp, Net: net, TimeImportance: true, TimeLogitStd: 1}, false},
	} {
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok = %v", c.name, err, c.ok)
		}
	}
}

// The ScoreFlow loss of a network that predicts 0 on the VP path has the
// closed-form mean E_uniform[g^2 |x0|^2 / (D sigma^2)] = E_uniform[d lambda/dt]
// = Z / (1 - 2 eps) (about 23.9). With TimeImportance each row's term is
// Z/(1 - 2 eps) |x0|^2 / D: the same mean, and a spread over batches that
// comes from |x0|^2 alone; uniform times spread far more (d lambda/dt ~
// 1/(1 - t) near the data).
func TestTimeImportanceUnbiased(t *testing.T) {
	vp, err := probpath.New(schedule.VP{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, z, err := objective.LogSNRRange(schedule.VP{}, objective.DefaultTimeEps)
	if err != nil {
		t.Fatal(err)
	}
	want := z / (1 - 2*objective.DefaultTimeEps)
	zero := func(_ *model.Scope, x, _ *graph.Node) *graph.Node { return graph.ZerosLike(x) }
	const batch, dim, calls = 4096, 2, 20
	losses := func(importance bool) []float64 {
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(11); err != nil {
			t.Fatal(err)
		}
		c := Config{Kind: objective.ScoreFlow, Path: vp, Net: zero, TimeImportance: importance}
		exec := model.MustNewExec(backendForTest(t), store, func(scope *model.Scope, x1 *graph.Node) *graph.Node {
			return c.graphLoss(scope, []*graph.Node{x1}, true)
		})
		x1 := make([][]float32, batch)
		for i := range x1 {
			x1[i] = make([]float32, dim)
		}
		out := make([]float64, calls)
		for i := range out {
			out[i] = float64(tensors.ToScalar[float32](exec.MustCall1(x1)))
		}
		return out
	}
	imp, uni := losses(true), losses(false)
	mean, se := metrics.MeanSE(imp)
	// Per batch: want * chi2_2/2 averaged over 4096 rows, sd want/64 = 0.37;
	// over 20 batches the mean's sd is 0.08. 5 sd: 0.4.
	if math.Abs(mean-want) > 0.4 {
		t.Errorf("importance-sampled loss of the zero network: mean %v +- %v over %d batches, want %v", mean, se, calls, want)
	}
	meanU, seU := metrics.MeanSE(uni)
	t.Logf("zero network, ScoreFlow loss over %d batches of %d: importance %.3f +- %.3f, uniform %.3f +- %.3f, closed form %.3f", calls, batch, mean, se, meanU, seU, want)
	if !(seU > 3*se) {
		t.Errorf("uniform times: standard error %v, importance sampling %v; expected uniform's to be far larger", seU, se)
	}
}
