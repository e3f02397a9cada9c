package session

import "testing"

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
	t.Setenv("GOMLX_BACKEND", "go")
	b, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	b.Finalize()
}
