package table

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

// CodeVersion identifies the code of this process: git describe and the
// commit of the checkout this package was compiled from (its source path,
// so it works from a notebook's temporary module too) when git is
// available, else the version control stamp Go puts into built binaries,
// else "unknown".
func CodeVersion() Code {
	dir := repoRoot()
	if dir == "" {
		dir = "."
	}
	if out, err := exec.Command("git", "-C", dir, "describe", "--always", "--dirty", "--tags").Output(); err == nil {
		c := Code{Describe: strings.TrimSpace(string(out)), Source: "git"}
		c.Dirty = strings.HasSuffix(c.Describe, "-dirty")
		if out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output(); err == nil {
			c.Commit = strings.TrimSpace(string(out))
		}
		return c
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		c := Code{Describe: bi.Main.Version, Source: "build info"}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				c.Commit = s.Value
			case "vcs.modified":
				c.Dirty = s.Value == "true"
			}
		}
		if c.Commit != "" || (c.Describe != "" && c.Describe != "(devel)") {
			if c.Describe == "" || c.Describe == "(devel)" {
				c.Describe = c.Commit
			}
			return c
		}
	}
	return Code{Describe: "unknown", Source: "unknown"}
}

// repoRoot is the checkout this package was compiled from ("" when the
// binary was built without source paths, e.g. with -trimpath).
func repoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// DefaultOutDir is where `make table` writes: out/table in the checkout
// this package was compiled from (so a notebook, whose program runs in a
// temporary module, finds it), or out/table in the current folder when
// the checkout is unknown.
func DefaultOutDir() string {
	if root := repoRoot(); root != "" {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Join(root, "out", "table")
		}
	}
	return filepath.Join("out", "table")
}

// RecordedDir holds the results files committed with the code
// (docs/results in the checkout): full-scale runs made with `make table`
// and cmd/fmtable and copied there, so that a fresh checkout shows them
// without an hour of training. Each file records the code version, machine
// and settings that made it.
func RecordedDir() string {
	if root := repoRoot(); root != "" {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Join(root, "docs", "results")
		}
	}
	return filepath.Join("docs", "results")
}
