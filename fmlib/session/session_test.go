package session

import (
	"errors"
	"testing"
)

func TestQuickAndPick(t *testing.T) {
	cases := []struct {
		env   string
		quick bool
	}{
		{"", false}, {"0", false}, {"false", false}, {"1", true}, {"true", true}, {" TRUE ", true}, {"yes", true},
	}
	for _, c := range cases {
		t.Setenv(QuickEnv, c.env)
		if got := Quick(); got != c.quick {
			t.Errorf("GOFM_QUICK=%q: Quick() = %v, want %v", c.env, got, c.quick)
		}
		want := 1000
		if c.quick {
			want = 10
		}
		if got := Pick(1000, 10); got != want {
			t.Errorf("GOFM_QUICK=%q: Pick = %d, want %d", c.env, got, want)
		}
	}
}

func TestStartErrorIsReturned(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "nonsense")
	if _, err := Start(); err == nil {
		t.Fatal("Start accepted GOMLX_BACKEND=nonsense")
	}
	// The failure is not remembered: a good setting then works.
	t.Setenv("GOMLX_BACKEND", "go")
	if _, err := Start(); err != nil {
		t.Fatal(err)
	}
}

// A notebook declares `var be = session.Backend()` and calls MustStart in its
// first cell: both must be the same backend, not two.
func TestOneBackendPerProcess(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go")
	a := Backend()
	b := MustStart()
	if a != b || Backend() != a {
		t.Fatalf("Backend and Start returned different backends (%p, %p)", a, b)
	}
}

func TestMustPanicsWithTheError(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name string
		call func()
		err  error // nil: no panic expected
	}{
		{"Must ok", func() { _ = Must(1, nil) }, nil},
		{"Must error", func() { _ = Must(1, boom) }, boom},
		{"Must2 ok", func() { _, _ = Must2(1, 2, nil) }, nil},
		{"Must2 error", func() { _, _ = Must2(1, 2, boom) }, boom},
		{"OK ok", func() { OK(nil) }, nil},
		{"OK error", func() { OK(boom) }, boom},
	}
	for _, c := range cases {
		got := func() (r any) {
			defer func() { r = recover() }()
			c.call()
			return nil
		}()
		if got != c.err && !(got == nil && c.err == nil) {
			t.Errorf("%s: panicked with %v, want %v", c.name, got, c.err)
		}
	}
	if Must(7, nil) != 7 {
		t.Error("Must did not return its value")
	}
}
