package classifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofm/gofm/fmlib/data"
	"github.com/gofm/gofm/fmlib/metrics"
	"github.com/gofm/gofm/fmlib/models"
	"github.com/gofm/gofm/internal/atomicfile"
	"github.com/gofm/gofm/internal/dirlock"
	"github.com/gofm/gofm/internal/livevars"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/ml/train/optimizer/cosineschedule"
)

// NumClasses is the number of labels a Classifier tells apart: 0..9.
const NumClasses = 10

// Defaults used by Config fields left at their zero value.
const (
	// DefaultSteps is the number of training steps: with DefaultBatch it is
	// about 5.3 passes over the 60,000 MNIST training images, enough for the
	// default network to pass 98% test accuracy (see the package doc for the
	// measured time and accuracy).
	DefaultSteps = 2500

	// DefaultBatch is the minibatch size.
	DefaultBatch = 128

	// DefaultLearningRate is Adam's peak learning rate, decayed to 0 along a
	// half cosine over the training steps.
	DefaultLearningRate = 1e-3
)

// DefaultHidden are the hidden-layer widths used when Config.Hidden is nil:
// 784 -> 512 -> 256 -> 10, so the features are 256-dimensional.
var DefaultHidden = []int{512, 256}

// evalBatch is the number of rows per forward call of Predict, Features and
// Accuracy; the last call is padded to it, so one graph serves all sizes.
const evalBatch = 500

// modelScope is the scope that holds the network's variables.
const modelScope = "classifier"

// Config configures Train. The zero value is the default classifier.
type Config struct {
	// Hidden are the widths of the ReLU hidden layers, input side first; the
	// last one is the feature layer. nil means DefaultHidden; it must have at
	// least one layer.
	Hidden []int

	// Steps is the number of Adam steps (0 means DefaultSteps); Batch the
	// minibatch size (0 means DefaultBatch). Minibatches walk through a
	// fresh random permutation of the data in every pass.
	Steps, Batch int

	// LearningRate is Adam's peak learning rate (0 means
	// DefaultLearningRate), decayed to 0 along a half cosine.
	LearningRate float64

	// Seed fixes the initial weights and the minibatch order: the same data
	// and Config give the same classifier.
	Seed uint64
}

// Resolved returns a copy of c with every zero-valued field replaced by its
// default. It does not validate.
func (c Config) Resolved() Config {
	r := c
	if r.Hidden == nil {
		r.Hidden = slices.Clone(DefaultHidden)
	} else {
		r.Hidden = slices.Clone(c.Hidden)
	}
	if r.Steps == 0 {
		r.Steps = DefaultSteps
	}
	if r.Batch == 0 {
		r.Batch = DefaultBatch
	}
	if r.LearningRate == 0 {
		r.LearningRate = DefaultLearningRate
	}
	return r
}

// Validate reports the first invalid setting of c (after defaults), with the
// accepted values.
func (c Config) Validate() error {
	r := c.Resolved()
	if len(r.Hidden) == 0 {
		return fmt.Errorf("classifier: Config.Hidden is empty; give at least one hidden layer (its output are the features), e.g. []int{512, 256}, or nil for that default")
	}
	for i, w := range r.Hidden {
		if w <= 0 {
			return fmt.Errorf("classifier: Config.Hidden[%d] = %d; hidden widths must be positive (e.g. []int{512, 256}, or nil for that default)", i, w)
		}
	}
	if r.Steps < 0 {
		return fmt.Errorf("classifier: Config.Steps = %d; need Steps >= 1 (0 means %d)", c.Steps, DefaultSteps)
	}
	if r.Batch < 0 {
		return fmt.Errorf("classifier: Config.Batch = %d; need Batch >= 1 (0 means %d)", c.Batch, DefaultBatch)
	}
	if !(r.LearningRate > 0) || math.IsInf(r.LearningRate, 0) {
		return fmt.Errorf("classifier: Config.LearningRate = %g; need a finite value > 0 (0 means %g)", c.LearningRate, float64(DefaultLearningRate))
	}
	return nil
}

// TrainInfo records how a classifier was trained.
type TrainInfo struct {
	Examples  int     // training rows
	Epochs    float64 // passes over the data: Steps * Batch / Examples
	FinalLoss float64 // mean cross-entropy over the last min(100, Steps) steps
	Seconds   float64 // wall-clock training time
}

// Classifier is a trained digit classifier: an MLP from InputDim() pixel
// values in [-1, 1] to NumClasses logits, whose last hidden layer (FeatureDim()
// values) gives the features of Features and FID. It is safe for concurrent
// use.
type Classifier struct {
	cfg      Config // resolved
	inputDim int
	info     TrainInfo
	backend  compute.Backend
	store    *model.Store // the network's variables only

	mu   sync.Mutex
	exec *model.Exec // x [evalBatch, D] -> (logits, features)
}

// Config returns the (resolved) configuration the classifier was trained with.
func (c *Classifier) Config() Config {
	r := c.cfg
	r.Hidden = slices.Clone(c.cfg.Hidden)
	return r
}

// InputDim is the number of values per image (784 for MNIST).
func (c *Classifier) InputDim() int { return c.inputDim }

// FeatureDim is the number of features per image (the last hidden width).
func (c *Classifier) FeatureDim() int { return c.cfg.Hidden[len(c.cfg.Hidden)-1] }

// Info returns how the classifier was trained.
func (c *Classifier) Info() TrainInfo { return c.info }

// network builds the MLP on x [B, D] under scope: ReLU hidden layers, then a
// linear output layer. It returns the logits [B, NumClasses] and the features
// (the last hidden layer) [B, hidden[last]].
func network(scope *model.Scope, x *graph.Node, hidden []int) (logits, features *graph.Node) {
	h := x
	for i, w := range hidden {
		h = activation.Relu(models.Dense(scope.At("layer_%d", i), h, w))
	}
	return models.Dense(scope.At("output"), h, NumClasses), h
}

// variableShapes lists the network's variables (full paths) and their shapes.
func variableShapes(inputDim int, hidden []int) map[string][]int {
	out := map[string][]int{}
	in := inputDim
	add := func(name string, w int) {
		out["/"+modelScope+"/"+name+"/weights"] = []int{in, w}
		out["/"+modelScope+"/"+name+"/biases"] = []int{w}
		in = w
	}
	for i, w := range hidden {
		add(fmt.Sprintf("layer_%d", i), w)
	}
	add("output", NumClasses)
	return out
}

// checkInputs validates images (rows of width want, or any common width when
// want is 0) and, when labels is not nil, the labels. With pixelRange the
// values must lie in [-1, 1]. It returns the row width.
func checkInputs(who string, images [][]float64, labels []uint8, want int, pixelRange bool) (int, error) {
	if len(images) == 0 {
		return 0, fmt.Errorf("classifier: %s: no images; give at least one row of pixel values", who)
	}
	if labels != nil && len(labels) != len(images) {
		return 0, fmt.Errorf("classifier: %s: %d images but %d labels; give one label per image", who, len(images), len(labels))
	}
	d := want
	if d == 0 {
		d = len(images[0])
		if d == 0 {
			return 0, fmt.Errorf("classifier: %s: image 0 has no pixels", who)
		}
	}
	for i, row := range images {
		if len(row) != d {
			if want != 0 {
				return 0, fmt.Errorf("classifier: %s: image %d has %d values; this classifier takes rows of %d (e.g. a flattened 28 x 28 MNIST image)", who, i, len(row), want)
			}
			return 0, fmt.Errorf("classifier: %s: image %d has %d values but image 0 has %d; all rows must have the same width", who, i, len(row), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("classifier: %s: image %d value %d is %v; pixel values must be finite", who, i, j, v)
			}
			if pixelRange && (v < -1 || v > 1) {
				return 0, fmt.Errorf("classifier: %s: image %d value %d is %v; training pixels must be scaled to [-1, 1] (2p/255 - 1 for 8-bit p; classifier.Scaled does it)", who, i, j, v)
			}
		}
	}
	for i, l := range labels {
		if l >= NumClasses {
			return 0, fmt.Errorf("classifier: %s: label %d is %d; labels must be 0..%d", who, i, l, NumClasses-1)
		}
	}
	return d, nil
}

// Scaled returns the pixels of im, one row per image, scaled from 0..255 to
// [-1, 1] by p -> 2p/255 - 1: the input Train and Features expect.
func Scaled(im *data.Images) [][]float64 {
	d := im.Rows * im.Cols
	flat := make([]float64, im.N*d)
	out := make([][]float64, im.N)
	for i := range out {
		out[i] = flat[i*d : (i+1)*d]
		for j, p := range im.Image(i) {
			out[i][j] = 2*float64(p)/255 - 1
		}
	}
	return out
}

// Train fits a classifier to images (rows of equal width D, values in
// [-1, 1]) and labels (0..9) on backend, minimizing the softmax
// cross-entropy with Adam (cosine-decayed learning rate) over cfg.Steps
// minibatches. It is deterministic for a given cfg.Seed.
func Train(backend compute.Backend, images [][]float64, labels []uint8, cfg Config) (*Classifier, error) {
	if backend == nil {
		return nil, fmt.Errorf("classifier: Train needs a backend (e.g. gobackend.New(\"\"))")
	}
	if labels == nil {
		labels = []uint8{}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := cfg.Resolved()
	d, err := checkInputs("Train", images, labels, 0, true)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(int64(r.Seed)); err != nil {
		return nil, fmt.Errorf("classifier: seeding the weight initializer: %w", err)
	}
	modelFn := func(scope *model.Scope, x *graph.Node) *graph.Node {
		cosineschedule.New(scope, x.Graph(), x.DType()).LearningRate(r.LearningRate).PeriodSteps(r.Steps).Done()
		logits, _ := network(scope.At(modelScope), x, r.Hidden)
		return logits
	}
	trainer := train.NewTrainer(backend, store, modelFn, loss.SparseCategoricalCrossEntropyLogits,
		optimizer.Adam().LearningRate(r.LearningRate).Done(), nil, nil)

	n := len(images)
	rng := rand.New(rand.NewPCG(r.Seed, 0x6d6e697374)) // second word: a fixed stream constant ("mnist")
	perm := rng.Perm(n)
	next := 0
	tail := min(100, r.Steps)
	sum := 0.0
	for step := range r.Steps {
		x := make([]float32, r.Batch*d)
		y := make([]int32, r.Batch)
		for i := range r.Batch {
			if next == n {
				rng.Shuffle(n, func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
				next = 0
			}
			k := perm[next]
			next++
			for j, v := range images[k] {
				x[i*d+j] = float32(v)
			}
			y[i] = int32(labels[k])
		}
		out, err := trainer.TrainStep(train.Batch{
			Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, r.Batch, d)},
			Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, r.Batch, 1)},
		})
		if err != nil {
			return nil, fmt.Errorf("classifier: training step %d: %w", step, err)
		}
		l := float64(tensors.ToScalar[float32](out[0]))
		for _, t := range out {
			_ = t.FinalizeAll()
		}
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("classifier: training diverged at step %d (loss %v); lower Config.LearningRate (now %g)", step, l, r.LearningRate)
		}
		if step >= r.Steps-tail {
			sum += l
		}
	}
	c := &Classifier{cfg: r, inputDim: d, backend: backend, store: model.NewStore(), info: TrainInfo{
		Examples:  n,
		Epochs:    float64(r.Steps) * float64(r.Batch) / float64(n),
		FinalLoss: sum / float64(tail),
	}}
	// Keep only the network's variables (not Adam's moments or counters).
	for path := range variableShapes(d, r.Hidden) {
		v := store.GetVariable(path)
		if v == nil {
			return nil, fmt.Errorf("classifier: internal error: variable %s missing after training", path)
		}
		val, err := v.Value()
		if err == nil {
			val, err = val.Clone()
		}
		if err == nil {
			_, err = c.store.CreateVariable(path, val)
		}
		if err != nil {
			return nil, fmt.Errorf("classifier: copying trained variable %s: %w", path, err)
		}
	}
	store.Finalize()
	if err := c.build(); err != nil {
		return nil, err
	}
	c.info.Seconds = time.Since(start).Seconds()
	return c, nil
}

// build prepares the inference graph.
func (c *Classifier) build() error {
	hidden := c.cfg.Hidden
	exec, err := model.NewExec(c.backend, c.store, func(scope *model.Scope, x *graph.Node) (*graph.Node, *graph.Node) {
		livevars.Keep(scope, x)
		return network(scope.At(modelScope), x, hidden)
	})
	if err != nil {
		return fmt.Errorf("classifier: building the inference graph: %w", err)
	}
	c.exec = exec
	return nil
}

// forward runs the network on images in batches of evalBatch (the last one
// zero-padded) and calls use with each batch's first row index, row count,
// logits and features (row-major float32, NumClasses and FeatureDim per row).
func (c *Classifier) forward(images [][]float64, use func(first, rows int, logits, features []float32)) error {
	d := c.inputDim
	c.mu.Lock()
	defer c.mu.Unlock()
	for first := 0; first < len(images); first += evalBatch {
		rows := min(evalBatch, len(images)-first)
		x := make([]float32, evalBatch*d)
		for i := range rows {
			for j, v := range images[first+i] {
				x[i*d+j] = float32(v)
			}
		}
		out, err := c.exec.Call(tensors.FromFlatDataAndDimensions(x, evalBatch, d))
		if err != nil {
			return fmt.Errorf("classifier: running the network: %w", err)
		}
		logits, err1 := tensors.CopyFlatData[float32](out[0])
		features, err2 := tensors.CopyFlatData[float32](out[1])
		for _, t := range out {
			_ = t.FinalizeAll()
		}
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("classifier: reading the network's outputs: %w", err)
		}
		use(first, rows, logits, features)
	}
	return nil
}

// Predict returns the most likely label of every image (rows of InputDim()
// finite values, pixels scaled to [-1, 1]).
func (c *Classifier) Predict(images [][]float64) ([]uint8, error) {
	if _, err := checkInputs("Predict", images, nil, c.inputDim, false); err != nil {
		return nil, err
	}
	pred := make([]uint8, len(images))
	err := c.forward(images, func(first, rows int, logits, _ []float32) {
		for i := range rows {
			row := logits[i*NumClasses : (i+1)*NumClasses]
			best := 0
			for k, v := range row {
				if v > row[best] {
					best = k
				}
			}
			pred[first+i] = uint8(best)
		}
	})
	return pred, err
}

// Accuracy returns the fraction of images whose predicted label equals the
// given one.
func (c *Classifier) Accuracy(images [][]float64, labels []uint8) (float64, error) {
	if labels == nil {
		labels = []uint8{}
	}
	if _, err := checkInputs("Accuracy", images, labels, c.inputDim, false); err != nil {
		return 0, err
	}
	pred, err := c.Predict(images)
	if err != nil {
		return 0, err
	}
	right := 0
	for i, p := range pred {
		if p == labels[i] {
			right++
		}
	}
	return float64(right) / float64(len(images)), nil
}

// Features returns the penultimate-layer activations (FeatureDim() values,
// after the ReLU) of every image: the embedding FID compares.
func (c *Classifier) Features(images [][]float64) ([][]float64, error) {
	if _, err := checkInputs("Features", images, nil, c.inputDim, false); err != nil {
		return nil, err
	}
	f := c.FeatureDim()
	flat := make([]float64, len(images)*f)
	out := make([][]float64, len(images))
	err := c.forward(images, func(first, rows int, _, features []float32) {
		for i := range rows {
			row := flat[(first+i)*f : (first+i+1)*f]
			for j := range row {
				row[j] = float64(features[i*f+j])
			}
			out[first+i] = row
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Clip returns images with every value clipped to [-1, 1]: images itself
// when nothing is out of range, else a copy of the row headers where only the
// rows with out-of-range values are copied.
func Clip(images [][]float64) [][]float64 {
	var out [][]float64
	for i, row := range images {
		if !slices.ContainsFunc(row, func(v float64) bool { return v < -1 || v > 1 }) {
			continue
		}
		if out == nil {
			out = slices.Clone(images)
		}
		out[i] = make([]float64, len(row))
		for j, v := range row {
			out[i][j] = max(-1, min(1, v))
		}
	}
	if out == nil {
		return images
	}
	return out
}

// FeatureGaussian returns the mean and covariance of the features of images
// (values clipped to [-1, 1] first, as FID does): the reference statistics
// to compute once for a real data set and pass, with those of generated sets,
// to metrics.FrechetFromMoments. It needs at least 2 images.
func (c *Classifier) FeatureGaussian(images [][]float64) (metrics.Gaussian, error) {
	if _, err := checkInputs("FeatureGaussian", images, nil, c.inputDim, false); err != nil {
		return metrics.Gaussian{}, err
	}
	f, err := c.Features(Clip(images))
	if err != nil {
		return metrics.Gaussian{}, err
	}
	return metrics.FitGaussian(f)
}

// FID returns the FID-MNIST between two image sets: the Fréchet distance
// (metrics.Frechet) between Gaussians fitted to the classifier's features of
// real and of generated. Values are first clipped to [-1, 1], as writing
// samples to 8-bit images would. Each set needs at least 2 images, and many
// more than FeatureDim() for a stable value; compare FIDs computed with equal
// set sizes (the estimate is biased upwards by O(FeatureDim / n)).
func (c *Classifier) FID(real, generated [][]float64) (float64, error) {
	if _, err := checkInputs("FID (real images)", real, nil, c.inputDim, false); err != nil {
		return 0, err
	}
	if _, err := checkInputs("FID (generated images)", generated, nil, c.inputDim, false); err != nil {
		return 0, err
	}
	fr, err := c.Features(Clip(real))
	if err != nil {
		return 0, err
	}
	fg, err := c.Features(Clip(generated))
	if err != nil {
		return 0, err
	}
	fid, err := metrics.Frechet(fr, fg)
	if err != nil {
		return 0, fmt.Errorf("classifier: FID: %w", err)
	}
	return fid, nil
}

// metaFile is the file, next to the GoMLX checkpoint, that describes a saved
// classifier; formatName marks its version.
const (
	metaFile   = "classifier.json"
	formatName = "gofm-classifier-v1"
)

type meta struct {
	Format   string
	InputDim int
	Config   Config
	Info     TrainInfo
}

// Save writes the classifier to dir: its weights as a GoMLX checkpoint and
// classifier.json (architecture, training config and info), written last so
// that an interrupted Save is detected by Load. dir is created if needed and
// must not already hold a saved classifier or checkpoint.
func (c *Classifier) Save(dir string) error {
	if dir == "" {
		return fmt.Errorf("classifier: Save needs a directory")
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if e.Name() == metaFile || strings.HasPrefix(e.Name(), "checkpoint-") {
				return fmt.Errorf("classifier: %s already holds a saved classifier or checkpoint (%s); remove it or save to a new directory", dir, e.Name())
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("classifier: Save: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("classifier: Save: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h, err := checkpoint.Build(c.store).Dir(dir).Done()
	if err == nil {
		err = h.Save()
	}
	if err != nil {
		return fmt.Errorf("classifier: saving the weights to %s: %w", dir, err)
	}
	return writeMeta(filepath.Join(dir, metaFile), meta{Format: formatName, InputDim: c.inputDim, Config: c.cfg, Info: c.info})
}

// writeMeta writes m as indented JSON to path, atomically: a failed or
// interrupted write leaves whatever was there (in Save, nothing), never half
// a file.
func writeMeta(path string, m meta) error {
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("classifier: Save: %w", err)
	}
	if err := atomicfile.Write(path, append(raw, '\n')); err != nil {
		return fmt.Errorf("classifier: Save: %w", err)
	}
	return nil
}

// Load reads a classifier written by Save from dir, for use on backend. A
// missing, incomplete or corrupt save is an error that says so; the fix is
// to delete dir and train and save again.
func Load(backend compute.Backend, dir string) (*Classifier, error) {
	if backend == nil {
		return nil, fmt.Errorf("classifier: Load needs a backend (e.g. gobackend.New(\"\"))")
	}
	redo := fmt.Sprintf("delete %s and train and save the classifier again", dir)
	raw, err := os.ReadFile(filepath.Join(dir, metaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("classifier: no saved classifier in %s (%s is missing); train one with classifier.Train and call Save(%q) (LoadOrTrainMNIST does both)", dir, metaFile, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("classifier: Load: %w", err)
	}
	var m meta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("classifier: %s is corrupt (%v); %s", filepath.Join(dir, metaFile), err, redo)
	}
	if m.Format != formatName {
		return nil, fmt.Errorf("classifier: %s has format %q, want %q; it was not written by this version of Save: %s", filepath.Join(dir, metaFile), m.Format, formatName, redo)
	}
	if err := m.Config.Validate(); err != nil || m.InputDim < 1 || m.Config.Hidden == nil {
		return nil, fmt.Errorf("classifier: %s describes an invalid network (input width %d, config %+v); %s", filepath.Join(dir, metaFile), m.InputDim, m.Config, redo)
	}
	store := model.NewStore()
	if _, err := checkpoint.Load(store).Dir(dir).Immediate().Done(); err != nil {
		return nil, fmt.Errorf("classifier: reading the weights in %s: %v; the checkpoint is corrupt or incomplete: %s", dir, err, redo)
	}
	for path, dims := range variableShapes(m.InputDim, m.Config.Hidden) {
		v := store.GetVariable(path)
		if v == nil {
			return nil, fmt.Errorf("classifier: the checkpoint in %s has no variable %s; it does not belong to this classifier.json: %s", dir, path, redo)
		}
		if want := shapes.Make(dtypes.Float32, dims...); !v.Shape().Equal(want) {
			return nil, fmt.Errorf("classifier: variable %s in %s has shape %s, want %s; the checkpoint does not match classifier.json: %s", path, dir, v.Shape(), want, redo)
		}
		val, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("classifier: variable %s in %s: %v; %s", path, dir, err, redo)
		}
		var bad bool
		if err := tensors.ConstFlatData(val, func(flat []float32) {
			for _, x := range flat {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					bad = true
					return
				}
			}
		}); err != nil || bad {
			return nil, fmt.Errorf("classifier: variable %s in %s holds non-finite values; the checkpoint is corrupt: %s", path, dir, redo)
		}
	}
	c := &Classifier{cfg: m.Config.Resolved(), inputDim: m.InputDim, info: m.Info, backend: backend, store: store}
	if err := c.build(); err != nil {
		return nil, err
	}
	return c, nil
}

// DefaultDir is where LoadOrTrainMNIST keeps the MNIST classifier when given
// no directory: the folder "mnist-classifier" next to data.MNISTDir() (by
// default ~/.cache/gofm/mnist-classifier).
func DefaultDir() string {
	return filepath.Join(filepath.Dir(data.MNISTDir()), "mnist-classifier")
}

// LoadOrTrainMNIST returns the classifier saved in dir (DefaultDir() when
// empty) if there is one, and otherwise trains one with cfg on the MNIST
// training split (data.LoadMNIST; fetch it with `make data`) and saves it
// there. A saved classifier trained with a different config is an error:
// delete dir or pass that config. It trains once, so scripts that need
// FID-MNIST pay for training only on their first run, and processes that ask
// at the same time train once: the others wait on dir's lock, then load.
func LoadOrTrainMNIST(backend compute.Backend, dir string, cfg Config) (*Classifier, error) {
	if dir == "" {
		dir = DefaultDir()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	want := cfg.Resolved()
	// Another process (a second notebook) may be training into dir: wait for
	// it, then load what it saved instead of training again.
	unlock, err := dirlock.Lock(dir)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, metaFile)); err == nil {
		c, err := Load(backend, dir)
		if err != nil {
			return nil, err
		}
		if got := c.Config(); !sameConfig(got, want) {
			return nil, fmt.Errorf("classifier: %s holds a classifier trained with %+v, not the requested %+v; delete the directory or ask for that config", dir, got, want)
		}
		return c, nil
	}
	im, labels, err := data.LoadMNIST(data.MNISTDir(), "train")
	if err != nil {
		return nil, err
	}
	c, err := Train(backend, Scaled(im), labels, cfg)
	if err != nil {
		return nil, err
	}
	if err := c.Save(dir); err != nil {
		return nil, err
	}
	return c, nil
}

func sameConfig(a, b Config) bool {
	return slices.Equal(a.Hidden, b.Hidden) && a.Steps == b.Steps && a.Batch == b.Batch &&
		a.LearningRate == b.LearningRate && a.Seed == b.Seed
}
