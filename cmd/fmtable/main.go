// Command fmtable reproduces Table 1 of Lipman et al. (2023), "Flow Matching
// for Generative Modeling", at a scale that runs here: it trains every method
// of the scale (DDPM, Score Matching, ScoreFlow on the U-Net scales, FM w/
// Diffusion, FM w/ OT, OT-CFM, 2-RF), evaluates NLL, sample quality and
// Dopri5 NFE, and writes
//
//	<out>/results-<scale>.json   every setting and measurement (read by notebook 10)
//	<out>/results-<scale>.md     the table beside the paper's, and the paper's claims tested
//
// Checkpoints go to <out>/<scale>/...; Ctrl-C stops after saving one, and
// running the same command again resumes (finished models are neither
// trained nor evaluated again).
//
// The results file is written after every finished model: until the run is
// done it is a partial file, whose "pending" field lists the models still
// to run and whose report opens with "Partial run: k of n models
// finished". A run longer than one sitting is kept part-way with -record
// (into docs/results, committed) and continued in a later sitting, even on
// a machine without the checkpoints, with -resume naming the recorded file
// or its folder: every model recorded there with the same settings is
// reused as it is (the report names the file and the commits that made
// it), and only the rest is trained. -record also keeps the weights of the
// models that 2-RF trains from (FM w/ OT), which 2-RF needs to make its
// pairs when their checkpoints are gone.
//
//	go run ./cmd/fmtable -scale 2d -out out/table     (what `make table` runs)
//	go run ./cmd/fmtable -scale mnist -out out/table -resume docs/results   (make table-mnist: continues the recorded run)
//	go run ./cmd/fmtable -list
//	go run ./cmd/fmtable -scale mnist -record docs/results   (keep a run, finished or not, with the code)
//
// Build with GOEXPERIMENT=simd and run with GODEBUG=cpu.fma=off (the
// Makefile sets both). See package fmlib/table for the methods and metrics.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/table"
	"github.com/gofm/gofm/fmlib/training"
	"github.com/gomlx/compute"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fmtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scale := fs.String("scale", "2d", "the scale to run: "+strings.Join(table.ScaleNames(), ", ")+
		"\n(2d-quick ~1 min, 2d ~25 min, mnist-quick ~1 min, mnist 6-7 hours (make table-mnist) on 2 CPU cores,\n"+
		"mnist-gpu ~10 min on one H200 (an estimate), mnist-mlp-quick ~1 min, mnist-mlp ~55 min (the earlier MLP run);\n"+
		"cifar10 explains what it needs)")
	out := fs.String("out", "out/table", "output folder: results-<scale>.json and .md (written after every finished model: partial until\n"+
		"the run is done), and checkpoints under <out>/<scale>/ (running again with the same folder resumes)")
	list := fs.Bool("list", false, "list the scales with their settings and exit")
	record := fs.String("record", "", "do not run: copy the results of -scale from -out, finished or partial, into this folder (e.g. docs/results),\n"+
		"with the samples cut to what notebook 10 shows and rounded to 3 decimals, and the weights of the models 2-RF\n"+
		"trains from (see table.Results.RecordRun)")
	resume := fs.String("resume", "", "continue from these results: a results file, or the folder holding results-<scale>.json (e.g. docs/results,\n"+
		"where -record keeps a run part-way); models recorded there with the same settings are reused, not trained\n"+
		"(a folder without the file: nothing to resume). The results file in -out is used the same way without it")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "fmtable: reproduce Table 1 of the flow-matching paper (NLL, sample quality, NFE) at a CPU scale.")
		fmt.Fprintln(stderr, "\nUsage: fmtable [-scale NAME] [-out DIR] [-resume PATH] [-list] [-record DIR]\n\nFlags:")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nCtrl-C stops after saving a checkpoint; the same command resumes. A run longer than a sitting: -record DIR")
		fmt.Fprintln(stderr, "after each sitting (commit DIR), then the same command with -resume DIR, on any machine, continues it.")
		fmt.Fprintln(stderr, "Exit status: 0 done, 1 error, 2 bad usage, 130 interrupted. Build with GOEXPERIMENT=simd, run with")
		fmt.Fprintln(stderr, "GODEBUG=cpu.fma=off (make table does).")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fmtable: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		fs.Usage()
		return 2
	}
	if *list {
		for _, name := range table.ScaleNames() {
			s, err := table.ScaleByName(name)
			if err != nil {
				fmt.Fprintf(stdout, "%s: %v\n\n", name, err)
				continue
			}
			fmt.Fprintf(stdout, "%s: %s\n    data %v, methods %v, seeds %v, %d steps, %s\n\n", s.Name, s.About, s.Data, s.Methods, s.Seeds, s.Steps, s.Config(s.Data[0], "fm-ot", s.Seeds[0]))
		}
		return 0
	}
	s, err := table.ScaleByName(*scale)
	if err != nil {
		fmt.Fprintln(stderr, "fmtable:", err)
		return 2
	}
	if *record != "" {
		if *resume != "" {
			fmt.Fprintln(stderr, "fmtable: -record copies the results in -out; -resume is for a run: give one of them")
			return 2
		}
		res, err := table.Read(table.ResultsPath(*out, s.Name))
		if err == nil {
			var be compute.Backend
			if be, err = backend.New(); err == nil { // to export the weights 2-RF trains from
				err = res.RecordRun(be, *out, *record)
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "fmtable:", err)
			return 1
		}
		fmt.Fprintf(stdout, "recorded %s as %s and %s\n", table.ResultsPath(*out, s.Name), table.ResultsPath(*record, s.Name), table.MarkdownPath(*record, s.Name))
		if p := table.PartialNote(res); p != "" {
			fmt.Fprintln(stdout, strings.ReplaceAll(p, "**", ""))
		}
		return 0
	}
	be, err := backend.New()
	if err != nil {
		fmt.Fprintln(stderr, "fmtable:", err)
		return 1
	}
	fmt.Fprintln(stdout, backend.Last())
	if w := backend.SpeedWarning(); w != "" && backend.Last().Name == "go" {
		fmt.Fprintln(stdout, w)
	}
	fmt.Fprintf(stdout, "scale %s: %s\nwriting %s\n", s.Name, s.About, table.ResultsPath(*out, s.Name))
	ctx, stop := training.InterruptContext()
	defer stop()
	start := time.Now()
	rep := progress.Auto()
	if l, ok := rep.(*progress.Lines); ok {
		l.Every = 0.25 // a log, not a terminal: five lines per model are enough
	}
	res, err := table.RunWith(ctx, be, s, *out, rep, table.RunOptions{Resume: *resume, Command: command(args)})
	if err != nil {
		fmt.Fprintln(stderr, "fmtable:", err)
		if errors.Is(err, training.ErrInterrupted) {
			return training.ExitInterrupted
		}
		return 1
	}
	fmt.Fprintf(stdout, "\n%s\nwrote %s and %s in %s\n", table.Markdown(res), table.ResultsPath(*out, s.Name),
		table.MarkdownPath(*out, s.Name), time.Since(start).Round(time.Second))
	return 0
}

// command is the command line a results file records: fmtable and its
// arguments, each quoted when the shell would need it.
func command(args []string) string {
	parts := []string{"fmtable"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
			a = strconv.Quote(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
