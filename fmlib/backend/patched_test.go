package backend

import (
	"path/filepath"
	"runtime/debug"
	"testing"
)

// TestComputeIsPatched checks that this build links gofm's copy of GoMLX's
// compute module (go.mod's replace): the upstream module's pure-Go backend
// faults on short SIMD tails that end where mapped memory ends
// (third_party/compute-patch/README.md). The fault itself is tested in
// third_party/compute/internal/safesimd (make unit runs it).
func TestComputeIsPatched(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build information in this test binary")
	}
	for _, d := range info.Deps {
		if d.Path != "github.com/gomlx/compute" {
			continue
		}
		if d.Replace == nil {
			t.Fatalf("github.com/gomlx/compute %s is linked unpatched: go.mod must replace it with ./third_party/compute (bash scripts/vendor-compute.sh)", d.Version)
		}
		if got := filepath.ToSlash(d.Replace.Path); filepath.Base(filepath.Dir(got)) != "third_party" || filepath.Base(got) != "compute" {
			t.Fatalf("github.com/gomlx/compute is replaced by %s, want gofm's third_party/compute", d.Replace.Path)
		}
		return
	}
	t.Fatal("github.com/gomlx/compute is not among the build's modules")
}
