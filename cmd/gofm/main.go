// Command gofm trains, samples and evaluates flow-matching models from the
// command line, with the preset names the notebooks use (gofm presets lists
// them). Training shows a progress bar, saves checkpoints in -dir and
// resumes from them; Ctrl-C stops cleanly after saving.
//
//	gofm train  -preset checkerboard           # checkpoints in ~/.cache/gofm/runs/checkerboard
//	gofm sample -preset checkerboard -n 2000 -solver midpoint -nfe 20 -out samples.png
//	gofm eval   -preset checkerboard
//	gofm sample -pretrained mnist-unet -out digits.png   # the weights shipped with gofm
//	gofm train  -preset mnist-cond                       # class-conditional (digit labels, label dropout 0.1)
//	gofm sample -preset mnist-cond -label 7 -guidance 2  # sevens, classifier-free guidance w = 2
//
// Run "gofm help" or "gofm COMMAND -help" for every flag.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gofm/gofm/fmlib/training"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

var commands = []struct {
	name, summary string
	fn            func(args []string, stdout, stderr io.Writer) error
}{
	{"train", "train a preset (resumes from the checkpoints in -dir)", cmdTrain},
	{"sample", "draw samples from a trained model and write an image (and optionally CSV)", cmdSample},
	{"eval", "measure NFE, sample quality and NLL of a trained model", cmdEval},
	{"export", "write a trained model's weights and manifest for pretrained.Load (and -pretrained)", cmdExport},
	{"presets", "list the presets and their settings", cmdPresets},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "gofm: flow matching from the command line.")
	fmt.Fprintln(w, "\nUsage: gofm COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun gofm COMMAND -help for the flags of a command.")
	fmt.Fprintln(w, "Build with GOEXPERIMENT=simd and run with GODEBUG=cpu.fma=off (the Makefile sets both).")
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.fn(args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.Is(err, training.ErrInterrupted):
			fmt.Fprintln(stderr, "gofm:", err)
			return training.ExitInterrupted
		default:
			fmt.Fprintln(stderr, "gofm:", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "gofm: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// errUsage marks a flag error already reported by the flag package.
var errUsage = errors.New("usage error")

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return errUsage
	}
	return nil
}
