package table

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/internal/weightsfile"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
)

// The weights of a model that another method trains from (2-RF's base),
// recorded beside a results file by Results.RecordRun, so that a run
// resumed from that file can make the 2-RF pairs when the base's
// checkpoint is gone. The weights are what the model samples with (the
// moving average of a set-up with EMA, else the raw weights) and its step
// counter, as recipe.Model.Export gives them, in the weights format of
// package pretrained (about 1.5 MB for the mnist-unet U-Net, a quarter of a
// checkpoint, which also holds Adam's moments and the raw weights); a
// manifest beside them names the set-up they belong to and their checksum.

// weightsFormat tags a recorded weights manifest.
const weightsFormat = "gofm-table-weights/1"

// WeightsPath is where Results.RecordRun keeps, beside the results of scale
// in dir, the weights of method key on data with seed:
// dir/results-<scale>-weights/<data>/<key>/seed-<n>.weights, with its
// manifest seed-<n>.json beside it.
func WeightsPath(dir, scale, data, key string, seed uint64) string {
	return filepath.Join(dir, "results-"+scale+"-weights", data, key, fmt.Sprintf("seed-%d.weights", seed))
}

func manifestPath(weights string) string {
	return strings.TrimSuffix(weights, ".weights") + ".json"
}

// weightsManifest describes recorded weights.
type weightsManifest struct {
	Format      string        `json:"format"`      // weightsFormat
	Config      recipe.Config `json:"config"`      // the model's set-up (without Steps)
	Fingerprint string        `json:"fingerprint"` // Config.ID()
	Steps       int64         `json:"steps"`       // training steps of the weights
	Weights     string        `json:"weights"`     // "averaged" (EMA) or "raw"
	Bytes       int64         `json:"bytes"`       // size of the weights file
	SHA256      string        `json:"sha256"`      // its SHA-256, hex
	Commit      string        `json:"commit,omitempty"`
}

// writeWeights writes the weights m samples with to path and the manifest
// beside it (the weights first), each atomically. commit is the code that
// trained and evaluated the model (SeedResult.Commit). The bytes depend
// only on the weights, so recording the same model again changes nothing.
func writeWeights(m *recipe.Model, path, commit string) error {
	vars, err := m.Export()
	if err != nil {
		return fmt.Errorf("table: exporting the weights for %s: %w", path, err)
	}
	b, err := weightsfile.Encode(vars)
	if err != nil {
		return fmt.Errorf("table: encoding the weights for %s: %w", path, err)
	}
	sum := sha256.Sum256(b)
	kind := training.Raw.String()
	if m.Weights == training.Averaged && m.Config.EMA > 0 {
		kind = training.Averaged.String()
	}
	man := weightsManifest{Format: weightsFormat, Config: m.Config, Fingerprint: m.Config.ID(), Steps: m.Run().Step(),
		Weights: kind, Bytes: int64(len(b)), SHA256: hex.EncodeToString(sum[:]), Commit: commit}
	js, err := json.MarshalIndent(man, "", " ")
	if err != nil {
		return fmt.Errorf("table: encoding %s: %w", manifestPath(path), err)
	}
	if err := writeAtomic(path, b); err != nil {
		return err
	}
	return writeAtomic(manifestPath(path), append(js, '\n'))
}

// checkWeights reads the recorded weights at path and checks them against
// the model they must be (set-up cfg trained steps): the manifest, the
// size, the checksum and the decoding. It returns the weights file's bytes
// and the variables they decode to.
func checkWeights(path string, cfg recipe.Config, steps int64) ([]byte, map[string]*tensors.Tensor, error) {
	mpath := manifestPath(path)
	mb, err := os.ReadFile(mpath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("no recorded weights at %s", path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("table: %w", err)
	}
	bad := func(what string) error {
		return fmt.Errorf("table: %s %s: restore it (git checkout -- %s) or record the run again (fmtable -record)", mpath, what, filepath.Dir(mpath))
	}
	var man weightsManifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil {
		return nil, nil, bad(fmt.Sprintf("is damaged (%v)", err))
	}
	switch {
	case man.Format != weightsFormat:
		return nil, nil, bad(fmt.Sprintf("has format %q, not %q", man.Format, weightsFormat))
	case man.Config.ID() != man.Fingerprint:
		return nil, nil, bad(fmt.Sprintf("records fingerprint %s, but its set-up's is %s: it was edited", man.Fingerprint, man.Config.ID()))
	case man.Fingerprint != cfg.ID():
		a, _ := json.Marshal(man.Config)
		b, _ := json.Marshal(cfg)
		return nil, nil, fmt.Errorf("the weights at %s belong to another set-up (%s)", path, jsonDiff(a, b))
	case man.Steps != steps:
		return nil, nil, fmt.Errorf("the weights at %s were trained %d steps, not %d", path, man.Steps, steps)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, bad(fmt.Sprintf("names %s, which is missing", filepath.Base(path)))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("table: %w", err)
	}
	sum := sha256.Sum256(b)
	if int64(len(b)) != man.Bytes || hex.EncodeToString(sum[:]) != man.SHA256 {
		return nil, nil, fmt.Errorf("table: %s has %d bytes and SHA-256 %s, its manifest says %d and %s: it is damaged; restore it (git checkout -- %s) or record the run again (fmtable -record)",
			path, len(b), hex.EncodeToString(sum[:]), man.Bytes, man.SHA256, path)
	}
	vars, err := weightsfile.Decode(b)
	if err != nil {
		return nil, nil, fmt.Errorf("table: %s: %v; restore it (git checkout -- %s) or record the run again (fmtable -record)", path, err, path)
	}
	return b, vars, nil
}

// loadWeights returns the model of set-up cfg trained steps from the
// recorded weights at path, checked (checkWeights). It samples and
// evaluates but does not train (recipe.Restore).
func loadWeights(be compute.Backend, cfg recipe.Config, steps int64, path string) (*recipe.Model, error) {
	_, vars, err := checkWeights(path, cfg, steps)
	if err != nil {
		return nil, err
	}
	c := cfg
	c.Steps = steps
	m, err := recipe.Restore(be, c, vars)
	if err != nil {
		return nil, fmt.Errorf("table: %s: %w", path, err)
	}
	if m.Run().Step() != steps {
		return nil, fmt.Errorf("table: %s holds the weights of step %d, its manifest says %d: record the run again (fmtable -record)", path, m.Run().Step(), steps)
	}
	return m, nil
}
