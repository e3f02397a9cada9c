package training_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gofm/gofm/fmlib/training"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// fuzzStep is the step of the checkpoint FuzzOpenRunFiles resumes from.
const fuzzStep = 3

// checkpointFiles writes a run directory holding one checkpoint at step
// fuzzStep of a store with no network (only the optimizer's step and the
// RNG state: no backend needed) and returns its files' names and contents,
// run.json and history.json left out.
func checkpointFiles(f *testing.F) map[string][]byte {
	dir := f.TempDir()
	store, err := training.NewStore(1)
	if err != nil {
		f.Fatal(err)
	}
	optimizer.GetGlobalStepVar(store).MustSetValue(tensors.FromValue(int64(fuzzStep)))
	run, err := training.Open(store, dir, small)
	if err != nil {
		f.Fatal(err)
	}
	if err := run.Save(); err != nil {
		f.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if n := e.Name(); n != training.SettingsFile && n != training.HistoryFile {
			if files[n], err = os.ReadFile(filepath.Join(dir, n)); err != nil {
				f.Fatal(err)
			}
		}
	}
	if len(files) != 2 {
		f.Fatalf("want one checkpoint (.json and .bin), found %v", entries)
	}
	return files
}

// FuzzOpenRunFiles: Open of a run directory whose checkpoint is intact but
// whose run.json and history.json hold any bytes (or are missing) either
// resumes at the checkpoint's step with a history that describes exactly
// the steps done (one loss per step since History.Start, sessions that
// run forward through them) and settings equal to the given ones, or fails with an error that
// names the directory, without changing either file. Without history.json
// (moved aside, as the errors about a damaged one advise) it resumes.
func FuzzOpenRunFiles(f *testing.F) {
	ckpt := checkpointFiles(f)
	okRun, _ := json.Marshal(small)
	okHist, _ := json.Marshal(training.History{Loss: []float64{3, 2, 1, 0.5},
		Sessions: []training.Session{{From: 0, To: 2, Seconds: 1, Batch: 32, StepsPerSec: 2}, {From: 2, To: 4, Seconds: 2, Batch: 32, StepsPerSec: 1}}})
	f.Add(okRun, okHist, true, true)
	f.Add(okRun, okHist, false, false)
	f.Add([]byte(`{"Hidden": [16, 16], "Batch": 64}`), okHist, true, true)
	f.Add(okRun, []byte(`{"loss": [1, 2], "sessions": []}`), true, true)                                                                          // fewer losses than steps
	f.Add(okRun, []byte(`{"loss": [1, 2, 3], "sessions": [{"From": 2, "To": 1, "Seconds": -1}]}`), true, true)                                    // a session backwards
	f.Add(okRun, []byte(`{"loss": [1, 2, 3], "sessions": [{"From": 0, "To": 2, "Seconds": 1}, {"From": 1, "To": 3, "Seconds": 1}]}`), true, true) // overlapping
	f.Add(okRun, []byte(`{"start": 2, "loss": [1, 2], "sessions": [{"From": 2, "To": 4, "Seconds": 1}]}`), true, true)                            // resumed once without history
	f.Add(okRun, []byte(`{"start": 5, "loss": [1], "sessions": []}`), true, true)                                                                 // starts after the checkpoint
	f.Add([]byte(`{"Hidden": [16, 16], "Batch": 32`), []byte(`{"loss": [1, 2, 3, 4e400]}`), true, true)
	f.Fuzz(func(t *testing.T, runJSON, histJSON []byte, haveRun, haveHist bool) {
		dir := t.TempDir()
		for name, b := range ckpt {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		files := map[string][]byte{}
		if haveRun {
			files[training.SettingsFile] = runJSON
		}
		if haveHist {
			files[training.HistoryFile] = histJSON
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		store, err := training.NewStore(7)
		if err != nil {
			t.Fatal(err)
		}
		run, err := training.Open(store, dir, small)
		if err != nil && !haveHist && (!haveRun || string(runJSON) == string(okRun)) {
			// What the errors about a damaged history.json advise: moving
			// it aside resumes without the old loss curve.
			t.Fatalf("a checkpoint without history.json does not open: %v", err)
		}
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "training: ") || !strings.Contains(msg, dir) {
				t.Fatalf("error %q does not name the run directory %s", msg, dir)
			}
			for name, b := range files {
				if now, _ := os.ReadFile(filepath.Join(dir, name)); string(now) != string(b) {
					t.Fatalf("a failed Open changed %s", name)
				}
			}
			return
		}
		if run.Resumed() != fuzzStep {
			t.Fatalf("resumed at step %d, want %d", run.Resumed(), fuzzStep)
		}
		if haveRun {
			var saved, given any
			_ = json.Unmarshal(okRun, &given)
			if json.Unmarshal(runJSON, &saved) != nil || !reflect.DeepEqual(saved, given) {
				t.Fatalf("run.json %q does not hold the given settings %s, but Open accepted it", runJSON, okRun)
			}
		}
		h := run.History()
		if h.Start < 0 || h.Start+int64(len(h.Loss)) != fuzzStep || (!haveHist && h.Start != fuzzStep) {
			t.Fatalf("history of %d losses from step %d at step %d", len(h.Loss), h.Start, fuzzStep)
		}
		prev := h.Start
		for i, s := range h.Sessions {
			if s.From < prev || s.To <= s.From || s.To > fuzzStep || !(s.Seconds >= 0) || !(s.StepsPerSec >= 0) || s.Batch < 0 ||
				math.IsInf(s.Seconds, 0) || math.IsInf(s.StepsPerSec, 0) {
				t.Fatalf("session %d of %q is %+v after resuming at step %d", i, histJSON, s, fuzzStep)
			}
			prev = s.To
		}
	})
}
