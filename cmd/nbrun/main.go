// Command nbrun executes notebooks with the project's Go kernel, headless, and
// fails when any cell errors, panics, exits non-zero or loses a plot.
//
//	go run ./cmd/nbrun [-out out/notebooks] [-quick] [notebook.ipynb ...]
//
// With no arguments it runs every notebooks/*.ipynb in name order. Executed
// notebooks and HTML reports go to -out (ignored by git). See internal/nbrun for
// what counts as a problem.
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
	opts := nbrun.Options{Kernel: *kernel, OutDir: *out, HTML: *html, CellTimeout: *cellTimeout}
	if *quick {
		opts.Env = append(opts.Env, "GOFM_QUICK=1")
	}
	if err := nbrun.KernelInstalled(opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	failed := 0
	start := time.Now()
	for _, nb := range nbs {
		res, err := nbrun.Run(nb, opts)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
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
