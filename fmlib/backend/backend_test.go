package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeEnv builds a lookup function over a fixed map, so tests do not depend on
// the machine's environment.
func fakeEnv(m map[string]string) lookupFn {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestChooseDefaultIsGoWithoutPlugin(t *testing.T) {
	home := t.TempDir()
	b, sel, err := choose("", fakeEnv(map[string]string{"HOME": home}))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if sel.Name != "go" {
		t.Fatalf("selection %+v, want go", sel)
	}
	if !strings.Contains(sel.String(), "pure-Go") {
		t.Errorf("description %q does not say pure-Go", sel.String())
	}
}

func TestExplicitChoices(t *testing.T) {
	home := t.TempDir()
	env := fakeEnv(map[string]string{"HOME": home, "PJRT_PLUGIN_LIBRARY_PATH": filepath.Join(home, "plugins")})
	cases := []struct {
		env      string
		wantName string   // backend name on success
		wantErr  []string // substrings the error must contain; nil means success
	}{
		{"go", "go", nil},
		{"  go  ", "go", nil},
		{"xla:cuda", "", []string{`GOMLX_BACKEND="xla:cuda"`, "no CUDA PJRT plugin found", "pjrt_c_api_cuda_plugin.so", filepath.Join(home, "plugins"), "jax_plugins"}},
		{"xla", "", []string{"no CUDA PJRT plugin found"}},
		{"xla:/nonexistent/dir/plugin.so", "", []string{"/nonexistent/dir/plugin.so does not exist"}},
		{"tpu", "", []string{`unknown backend "tpu"`, `"go"`}},
	}
	for _, c := range cases {
		b, sel, err := choose(c.env, env)
		if c.wantErr == nil {
			if err != nil {
				t.Errorf("%q: unexpected error %v", c.env, err)
				continue
			}
			b.Finalize()
			if sel.Name != c.wantName {
				t.Errorf("%q: backend %q, want %q", c.env, sel.Name, c.wantName)
			}
			continue
		}
		if err == nil {
			b.Finalize()
			t.Errorf("%q: no error, want one", c.env)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error spans several lines: %q", c.env, err)
		}
		for _, w := range c.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not contain %q", c.env, err, w)
			}
		}
	}
}

func TestFindPluginInFakeFolders(t *testing.T) {
	root := t.TempDir()
	// A jax-style CUDA install reached through a symlink, and a go-xla-style CPU plugin.
	jax := filepath.Join(root, "venv", "lib", "python3.12", "site-packages", "jax_plugins", "xla_cuda13")
	if err := os.MkdirAll(jax, 0o755); err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(jax, "xla_cuda_plugin.so")
	if err := os.WriteFile(real, []byte("not really a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := filepath.Join(root, "links")
	os.MkdirAll(links, 0o755)
	if err := os.Symlink(real, filepath.Join(links, "pjrt_c_api_cuda_plugin.so")); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(root, "dangling")
	os.MkdirAll(dangling, 0o755)
	os.Symlink(filepath.Join(root, "missing.so"), filepath.Join(dangling, "pjrt_c_api_cuda_plugin.so"))

	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"virtualenv", map[string]string{"VIRTUAL_ENV": filepath.Join(root, "venv")}, real},
		{"symlink resolved", map[string]string{"PJRT_PLUGIN_LIBRARY_PATH": links}, real},
		{"dangling link skipped", map[string]string{"PJRT_PLUGIN_LIBRARY_PATH": dangling}, ""},
		{"LD_LIBRARY_PATH", map[string]string{"LD_LIBRARY_PATH": "/nope:" + links}, real},
		{"nothing", map[string]string{"HOME": root}, ""},
	}
	for _, c := range cases {
		got, searched := FindPlugin("cuda", fakeEnv(c.env))
		if got != c.want {
			t.Errorf("%s: found %q, want %q (searched %v)", c.name, got, c.want, searched)
		}
		if len(searched) == 0 {
			t.Errorf("%s: no folders reported as searched", c.name)
		}
	}
}

func TestExplicitXLAWithFakePluginFailsCleanly(t *testing.T) {
	// A file that is not a real plugin: XLA must fail with an error, not panic.
	dir := t.TempDir()
	p := filepath.Join(dir, "pjrt_c_api_cuda_plugin.so")
	if err := os.WriteFile(p, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := choose("xla:cuda", fakeEnv(map[string]string{"PJRT_PLUGIN_LIBRARY_PATH": dir}))
	if err == nil || !strings.Contains(err.Error(), "XLA failed to start with plugin "+p) {
		t.Fatalf("err = %v, want an XLA start failure naming %s", err, p)
	}
}

func TestNewRecordsSelection(t *testing.T) {
	t.Setenv(EnvVar, "go")
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if s := Last(); s.Name != "go" || !strings.Contains(s.Reason, "GOMLX_BACKEND=go") {
		t.Errorf("Last() = %+v", s)
	}
}
