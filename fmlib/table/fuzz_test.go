package table

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallResults is a complete results file of one method on one 2D data set
// (a small seed for the fuzzer to mutate), with a few kept samples.
func smallResults() *Results {
	r := fakeOrdered()
	r.Scale.Methods = []string{"fm-ot"}
	r.Rows = []Row{*r.Row("8gaussians", "fm-ot")}
	r.Rows[0].Samples = [][]float64{{0.5, -1}, {2, 0.25}}
	r.Claims = Claims(r)
	return r
}

// imageResults is smallResults on the mnist scale's data (FID, images).
func imageResults() *Results {
	r := smallResults()
	r.Scale.Data = []string{"mnist"}
	r.Rows[0].Data = "mnist"
	r.Rows[0].Samples = [][]float64{make([]float64, 4)}
	r.Floors = []Floor{{Data: "mnist", Energy: 1, W2: 2, FID: 3}}
	r.Claims = Claims(r)
	return r
}

// partialResults is fakeOrdered with the last two methods still to run
// (a partial file).
func partialResults() *Results {
	r := fakeOrdered()
	n := len(r.Rows) - 2
	for _, row := range r.Rows[n:] {
		r.Pending = append(r.Pending, ModelID{Data: row.Data, Method: row.Method.Key, Seed: row.Seeds[0].Seed})
	}
	r.Rows = r.Rows[:n]
	r.Claims = Claims(r)
	return r
}

// FuzzReadResults: Read returns a results file that validates and that
// every consumer takes without a panic (Markdown, Summary, Claims, the
// recorded copy, the figures), and that Write and Read give back
// unchanged; anything else is an error that names the file.
func FuzzReadResults(f *testing.F) {
	for _, r := range []*Results{smallResults(), imageResults(), fakeOrdered(), partialResults()} {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format": "gofm-table/1"}`))
	f.Add([]byte(`{"format": "gofm-table/1", "scale": {"name": "x"}, "rows": null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "results-x.json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Read(path)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "table: ") || !strings.Contains(msg, path) {
				t.Fatalf("error %q does not name the file %s", msg, path)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Read returned a file that does not validate: %v", err)
		}
		if md := Markdown(r); !strings.Contains(md, r.Scale.Name) {
			t.Fatalf("Markdown does not name the scale %q", r.Scale.Name)
		}
		_ = Summary(r)
		if n := len(Claims(r)); n != 4*len(r.Scale.Data) {
			t.Fatalf("%d claims for %d data sets, want 4 each", n, len(r.Scale.Data))
		}
		for _, d := range r.Scale.Data {
			if _, err := NFEBars(r, d); err != nil && !strings.HasPrefix(err.Error(), "table: ") {
				t.Fatalf("NFEBars: %v", err)
			}
			if _, err := FixedPlots(r, d); err != nil && !strings.HasPrefix(err.Error(), "table: ") {
				t.Fatalf("FixedPlots: %v", err)
			}
			if _, err := SamplePlots(r, d); err != nil && !strings.HasPrefix(err.Error(), "table: ") {
				t.Fatalf("SamplePlots: %v", err)
			}
		}
		if err := r.Recorded(RecordImages).Validate(); err != nil {
			t.Fatalf("the recorded copy of a valid file does not validate: %v", err)
		}
		again := filepath.Join(dir, "again.json")
		if err := r.Write(again); err != nil {
			t.Fatalf("Write of a file Read accepted: %v", err)
		}
		back, err := Read(again)
		if err != nil {
			t.Fatalf("a file Write made from a valid one does not read: %v", err)
		}
		first, _ := json.Marshal(r)
		second, _ := json.Marshal(back)
		if !bytes.Equal(first, second) {
			t.Fatalf("Write and Read changed the results:\n%s\n%s", first, second)
		}
	})
}
