// Command exercises writes the exercise notebooks (notebooks/exercises/) from
// the solution notebooks' BEGIN SOLUTION / END SOLUTION markers; see
// internal/exercises for the markers.
//
//	go run ./cmd/exercises            # write notebooks/exercises (make exercises)
//	go run ./cmd/exercises -check     # exit 1 when notebooks/exercises is stale
//	go run ./cmd/exercises -fill DIR notebooks/exercises/01_flows_and_vector_fields.ipynb ...
//
// -fill writes each exercise notebook with its exercises solved (the solution
// notebook's code in place of each stub) to DIR, which must be inside the
// repository (a notebook finds the project's module from its own folder).
// Run it from the repository root.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofm/gofm/internal/exercises"
)

func main() {
	check := flag.Bool("check", false, "only check that "+exercises.Dir+" is up to date (exit 1 if not)")
	fill := flag.String("fill", "", "write the given exercise notebooks, solved, to this folder (inside the repository)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: exercises [-check] | -fill DIR notebook.ipynb ...\n\nWrites %s from the solution notebooks' exercise markers.\n\n", exercises.Dir)
		flag.PrintDefaults()
	}
	flag.Parse()
	if _, err := os.Stat("go.mod"); err != nil {
		fail(2, "exercises: run me from the repository root (no go.mod here)")
	}
	switch {
	case *fill != "":
		if err := fillAll(*fill, flag.Args()); err != nil {
			fail(1, "exercises: "+err.Error())
		}
	case *check:
		stale, err := exercises.Stale(".")
		if err != nil {
			fail(1, "exercises: "+err.Error())
		}
		if len(stale) > 0 {
			fail(1, fmt.Sprintf("%s is stale; run `make exercises` and commit the result:\n  %s", exercises.Dir, strings.Join(stale, "\n  ")))
		}
		fmt.Println(exercises.Dir, "is up to date")
	default:
		paths, err := exercises.Write(".")
		if err != nil {
			fail(1, "exercises: "+err.Error())
		}
		for _, p := range paths {
			fmt.Println("wrote", p)
		}
	}
}

func fillAll(dir string, nbs []string) error {
	if len(nbs) == 0 {
		return fmt.Errorf("-fill: give the exercise notebooks to solve")
	}
	abs, _ := filepath.Abs(dir)
	root, _ := filepath.Abs(".")
	if rel, err := filepath.Rel(root, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("-fill %s: the folder must be inside the repository, where a notebook finds the project's go.mod", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range nbs {
		ex, err := exercises.ReadNotebook(p)
		if err != nil {
			return err
		}
		solPath := filepath.Join(filepath.Dir(filepath.Dir(p)), filepath.Base(p)) // notebooks/exercises/X -> notebooks/X
		sol, err := exercises.ReadNotebook(solPath)
		if err != nil {
			return err
		}
		filled, err := exercises.Fill(ex, sol, filepath.ToSlash(solPath))
		if err != nil {
			return err
		}
		data, err := filled.Marshal()
		if err != nil {
			return err
		}
		out := filepath.Join(dir, filepath.Base(p))
		if err := os.WriteFile(out, data, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", out)
	}
	return nil
}

func fail(code int, msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(code)
}
