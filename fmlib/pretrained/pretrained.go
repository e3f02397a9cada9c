package pretrained

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gofm/gofm/fmlib/recipe"
	"github.com/gofm/gofm/fmlib/table"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gofm/gofm/internal/atomicfile"
	"github.com/gomlx/compute"
)

//go:embed shipped
var shipped embed.FS

// ShippedDir is where the shipped files live in the repository (named in
// error messages, so a user knows which file to restore).
const ShippedDir = "fmlib/pretrained/shipped"

// RecreateCommand recreates the shipped MNIST weights: a 60-minute
// training run of the mnist-unet preset on 2 cores, its evaluation and
// export into ShippedDir.
const RecreateCommand = "make pretrained"

// FormatVersion is the manifest format Export writes and Load reads.
const FormatVersion = 1

// Manifest describes a weights file: what made it, how good it is, and how
// to check it.
type Manifest struct {
	Format      int           `json:"format"`      // FormatVersion
	Name        string        `json:"name"`        // file stem: NAME.json, NAME.weights
	Preset      string        `json:"preset"`      // recipe preset it was trained from
	Fingerprint string        `json:"fingerprint"` // Config.ID()
	Config      recipe.Config `json:"config"`      // the full set-up (Steps is not part of it)
	Steps       int64         `json:"steps"`       // training steps done
	Weights     string        `json:"weights"`     // "averaged" (EMA) or "raw"
	File        string        `json:"file"`        // NAME.weights
	Bytes       int64         `json:"bytes"`       // its size
	SHA256      string        `json:"sha256"`      // its SHA-256, hex
	Command     string        `json:"command"`     // the command that made it
	Commit      string        `json:"commit"`      // the code it was trained and exported with
	Exported    time.Time     `json:"exported"`
	// TrainSeconds is the wall time of the training sessions.
	TrainSeconds float64 `json:"train_seconds"`
	// FID-MNIST of FIDSamples generated digits against as many test digits,
	// with the floor (held-out against held-out digits) at the same size;
	// zero when not measured (2D sets).
	FID        float64 `json:"fid_mnist,omitempty"`
	FIDFloor   float64 `json:"fid_floor,omitempty"`
	FIDSamples int     `json:"fid_samples,omitempty"`
	FIDSolver  string  `json:"fid_solver,omitempty"`
}

// Names lists the shipped models, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(shipped, "shipped")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Load returns the shipped model name, checked (see the package
// documentation), and its manifest.
func Load(backend compute.Backend, name string) (*recipe.Model, Manifest, error) {
	sub, err := fs.Sub(shipped, "shipped")
	if err != nil {
		return nil, Manifest{}, err
	}
	return load(backend, sub, ShippedDir, name, RecreateCommand)
}

// LoadDir is Load for a folder written by Export.
func LoadDir(backend compute.Backend, dir, name string) (*recipe.Model, Manifest, error) {
	return load(backend, os.DirFS(dir), dir, name, "gofm export")
}

// ReadManifest returns the manifest of the shipped model name, checked for
// consistency but without reading its weights.
func ReadManifest(name string) (Manifest, error) {
	sub, err := fs.Sub(shipped, "shipped")
	if err != nil {
		return Manifest{}, err
	}
	return readManifest(sub, ShippedDir, name, RecreateCommand)
}

func readManifest(fsys fs.FS, where, name, recreate string) (Manifest, error) {
	var m Manifest
	if !fs.ValidPath(name) || strings.ContainsAny(name, `/\`) || name == "" {
		return m, fmt.Errorf("pretrained: %q is not a model name (a file stem like mnist-unet)", name)
	}
	mpath := path.Join(where, name+".json")
	b, err := fs.ReadFile(fsys, name+".json")
	if errors.Is(err, fs.ErrNotExist) {
		have := "none"
		if where == ShippedDir {
			if n := Names(); len(n) > 0 {
				have = strings.Join(n, ", ")
			}
		}
		return m, fmt.Errorf("pretrained: %s does not exist (shipped models: %s); create it with %s", mpath, have, recreate)
	}
	if err != nil {
		return m, fmt.Errorf("pretrained: reading %s: %w", mpath, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("pretrained: %s is damaged (%v); restore it (git checkout -- %s) or recreate it with %s", mpath, err, mpath, recreate)
	}
	bad := func(why string) error {
		return fmt.Errorf("pretrained: %s %s; restore it (git checkout -- %s) or recreate it with %s", mpath, why, mpath, recreate)
	}
	switch {
	case m.Format != FormatVersion:
		return m, bad(fmt.Sprintf("has format %d; this code reads format %d", m.Format, FormatVersion))
	case m.Name != name || m.File != name+".weights":
		return m, bad(fmt.Sprintf("names model %q with file %q, not %q and %q", m.Name, m.File, name, name+".weights"))
	case m.Config.ID() != m.Fingerprint:
		return m, bad(fmt.Sprintf("records fingerprint %s but its set-up's is %s: it was edited", m.Fingerprint, m.Config.ID()))
	case m.Steps < 1 || m.Bytes < 1 || len(m.SHA256) != 64:
		return m, bad("lacks the step count, size or SHA-256 of its weights")
	case m.Weights != training.Averaged.String() && m.Weights != training.Raw.String():
		return m, bad(fmt.Sprintf("has weights %q; expected averaged or raw", m.Weights))
	}
	c := m.Config
	c.Steps = m.Steps
	if err := c.Validate(); err != nil {
		return m, bad(fmt.Sprintf("holds a set-up this code does not accept (%v)", err))
	}
	return m, nil
}

func load(backend compute.Backend, fsys fs.FS, where, name, recreate string) (*recipe.Model, Manifest, error) {
	m, err := readManifest(fsys, where, name, recreate)
	if err != nil {
		return nil, m, err
	}
	wpath := path.Join(where, m.File)
	damaged := func(why string) error {
		return fmt.Errorf("pretrained: %s %s; restore it (git checkout -- %s) or recreate it with %s", wpath, why, wpath, recreate)
	}
	b, err := fs.ReadFile(fsys, m.File)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, m, fmt.Errorf("pretrained: %s is missing (its manifest %s names it); restore it (git checkout -- %s) or recreate it with %s", wpath, path.Join(where, name+".json"), wpath, recreate)
	}
	if err != nil {
		return nil, m, fmt.Errorf("pretrained: reading %s: %w", wpath, err)
	}
	if int64(len(b)) != m.Bytes {
		return nil, m, damaged(fmt.Sprintf("has %d bytes, its manifest says %d: it is truncated or damaged", len(b), m.Bytes))
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != m.SHA256 {
		return nil, m, damaged(fmt.Sprintf("has SHA-256 %s, its manifest says %s: it is damaged or belongs to another manifest", got, m.SHA256))
	}
	vars, err := Decode(b)
	if err != nil {
		return nil, m, damaged(err.Error())
	}
	cfg := m.Config
	cfg.Steps = m.Steps
	model, err := recipe.Restore(backend, cfg, vars)
	if err != nil {
		return nil, m, damaged(err.Error())
	}
	if model.Run().Step() != m.Steps {
		return nil, m, damaged(fmt.Sprintf("holds the weights of step %d, its manifest says %d", model.Run().Step(), m.Steps))
	}
	return model, m, nil
}

// CheckPreset says whether the manifest's set-up is still what its preset
// gives (nil), or how they differ: after a preset changes, its shipped
// weights belong to the old set-up (they still load and sample, with the
// old set-up) until recreated.
func (m Manifest) CheckPreset() error {
	c, err := recipe.Preset(m.Preset)
	if err != nil {
		return fmt.Errorf("pretrained: %s: %w", m.Name, err)
	}
	if c.ID() != m.Fingerprint {
		return fmt.Errorf("pretrained: %s was trained with the %s preset as it was (fingerprint %s); the preset is now %s: recreate the weights with %s", m.Name, m.Preset, m.Fingerprint, c.ID(), RecreateCommand)
	}
	return nil
}

// Info is what Export records beside the weights.
type Info struct {
	Command    string  // the command that trained the model
	FID        float64 // FID-MNIST of FIDSamples generated digits (0: not measured)
	FIDFloor   float64
	FIDSamples int
	FIDSolver  string
	// Replace allows overwriting an existing export of the same name.
	Replace bool
}

// Export writes m's weights (m.Weights: the moving average by default) as
// dir/NAME.weights and its manifest dir/NAME.json, each atomically, the
// weights first. An existing export of that name is kept unless
// info.Replace is set.
func Export(m *recipe.Model, dir, name string, info Info) (Manifest, error) {
	var man Manifest
	if !fs.ValidPath(name) || strings.ContainsAny(name, `/\`) || name == "" {
		return man, fmt.Errorf("pretrained: %q is not a model name (a file stem like mnist-unet)", name)
	}
	mpath := filepath.Join(dir, name+".json")
	if _, err := os.Stat(mpath); err == nil && !info.Replace {
		return man, fmt.Errorf("pretrained: %s exists; export under another name, or allow replacing it", mpath)
	}
	vars, err := m.Export()
	if err != nil {
		return man, err
	}
	b, err := Encode(vars)
	if err != nil {
		return man, err
	}
	sum := sha256.Sum256(b)
	var train float64
	for _, s := range m.Run().History().Sessions {
		train += s.Seconds
	}
	weights := training.Raw.String()
	if m.Weights == training.Averaged && m.Config.EMA > 0 {
		weights = training.Averaged.String()
	}
	preset, _, _ := strings.Cut(m.Config.Name, "/")
	man = Manifest{
		Format: FormatVersion, Name: name, Preset: preset, Fingerprint: m.Config.ID(), Config: m.Config,
		Steps: m.Run().Step(), Weights: weights, File: name + ".weights", Bytes: int64(len(b)),
		SHA256: hex.EncodeToString(sum[:]), Command: info.Command, Commit: commit(), Exported: time.Now().UTC().Truncate(time.Second),
		TrainSeconds: train, FID: info.FID, FIDFloor: info.FIDFloor, FIDSamples: info.FIDSamples, FIDSolver: info.FIDSolver,
	}
	js, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return man, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return man, err
	}
	if err := atomicfile.Write(filepath.Join(dir, man.File), b); err != nil {
		return man, err
	}
	return man, atomicfile.Write(mpath, append(js, '\n'))
}

// commit is the code version the export records: the git commit, marked
// when the working tree had uncommitted changes.
func commit() string {
	c := table.CodeVersion()
	s := c.Commit
	if s == "" {
		s = c.Describe
	}
	if c.Dirty {
		s += " (with uncommitted changes)"
	}
	return s
}
