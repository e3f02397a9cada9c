// Command nbrun executes notebooks with the project's Go kernel, headless, and
// fails when any cell errors, panics, exits non-zero or loses a plot.
//
//	go run ./cmd/nbrun [-out out/notebooks] [-quick] [-exercises] [-jobs N] [notebook.ipynb ...]
//	go run ./cmd/nbrun [-quick] -reference notebooks/01_x.ipynb filled/01_x.ipynb
//
// With no arguments it runs every notebooks/*.ipynb in name order. Executed
// notebooks and HTML reports go to -out (ignored by git). See internal/nbrun for
// what counts as a problem.
//
// -exercises runs exercise notebooks (notebooks/exercises, make exercises-check):
// each exercise must report NOT YET IMPLEMENTED and nothing else may fail.
// -reference runs the reference notebook too and fails unless the notebook's
// check lines (fmlib/verify) are the reference's, line for line: a solved
// exercise notebook must check what its solution notebook checks.
// -jobs N runs N notebooks at once: most cells use one core (compiling the
// cell, host-side Go), so two at a time finish a set of short notebooks
// sooner on two cores; the order of the report does not change.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/gofm/gofm/internal/nbrun"
)

func main() {
	out := flag.String("out", "out/notebooks", "folder for executed notebooks and HTML reports")
	quick := flag.Bool("quick", false, "quick mode: set GOFM_QUICK=1 so long notebooks use small settings")
	html := flag.Bool("html", true, "also write an HTML report per notebook")
	kernel := flag.String("kernel", "gofm", "kernelspec name")
	cellTimeout := flag.Duration("cell-timeout", 10*time.Minute, "timeout for one cell")
	exercises := flag.Bool("exercises", false, "exercise notebooks: expect every exercise to report NOT YET IMPLEMENTED, and nothing else to fail")
	reference := flag.String("reference", "", "also run this notebook and require the same check lines (one notebook argument)")
	jobs := flag.Int("jobs", 1, "notebooks run at the same time, each with its own kernel (their timings then include the sharing)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: nbrun [flags] [notebook.ipynb ...]\n\nExecutes notebooks (default notebooks/*.ipynb) with the Go kernel and checks their outputs.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	nbs := flag.Args()
	if len(nbs) == 0 {
		nbs, _ = filepath.Glob("notebooks/*.ipynb")
		sort.Strings(nbs)
		if len(nbs) == 0 {
			fmt.Fprintln(os.Stderr, "nbrun: no notebooks given and none in notebooks/ (run from the repository root)")
			os.Exit(2)
		}
	}
	if *jobs < 1 {
		fmt.Fprintf(os.Stderr, "nbrun: -jobs %d; give 1 or more\n", *jobs)
		os.Exit(2)
	}
	if *reference != "" && len(flag.Args()) != 1 {
		fmt.Fprintln(os.Stderr, "nbrun: -reference compares one notebook with it; give exactly one notebook")
		os.Exit(2)
	}
	if *reference != "" && *exercises {
		fmt.Fprintln(os.Stderr, "nbrun: -reference is for solved notebooks; it cannot be combined with -exercises")
		os.Exit(2)
	}
	opts := nbrun.Options{Kernel: *kernel, OutDir: *out, HTML: *html, CellTimeout: *cellTimeout, Exercises: *exercises}
	if *quick {
		opts.Env = append(opts.Env, "GOFM_QUICK=1")
	}
	if err := nbrun.KernelInstalled(opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	failed := 0
	start := time.Now()
	var refChecks []string
	if *reference != "" {
		nbs = append([]string{*reference}, nbs...) // run first, into its own folder (same file name)
	}
	// -jobs workers (each notebook its own kernel) take the notebooks in the
	// order given; results are reported in that order, each as soon as it
	// and those before it are done.
	type outcome struct {
		res *nbrun.Result
		err error
	}
	done := make([]chan outcome, len(nbs))
	next := make(chan int, len(nbs))
	for k := range nbs {
		done[k] = make(chan outcome, 1)
		next <- k
	}
	close(next)
	for range min(*jobs, len(nbs)) {
		go func() {
			for k := range next {
				o := opts
				if *reference != "" && k == 0 {
					o.OutDir = filepath.Join(opts.OutDir, "reference")
				}
				res, err := nbrun.Run(nbs[k], o)
				done[k] <- outcome{res, err}
			}
		}()
	}
	for k, nb := range nbs {
		got := <-done[k]
		if got.err != nil {
			fmt.Fprintln(os.Stderr, got.err)
			os.Exit(2)
		}
		res := got.res
		if *reference != "" {
			if k == 0 {
				refChecks = res.Checks
			} else if d := nbrun.CompareChecks(refChecks, res.Checks); d != "" {
				res.Problems = append(res.Problems, nbrun.Problem{Cell: -1, Reason: "check lines differ from " + *reference + "'s: " + d})
			}
		}
		status := "ok"
		if !res.OK() {
			status = "FAIL"
			failed++
		}
		fmt.Printf("%-4s %-45s %6.1fs  -> %s\n", status, nb, res.Duration.Seconds(), res.Executed)
		for _, p := range res.Problems {
			fmt.Printf("       %s\n", p)
		}
		if !res.OK() && os.Getenv("NBRUN_LOG") != "" {
			fmt.Println(res.Log)
		}
	}
	fmt.Printf("notebooks took %.1fs\n", time.Since(start).Seconds())
	fmt.Printf("notebooks: %d passed, %d failed\n", len(nbs)-failed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
