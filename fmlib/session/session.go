package session

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gomlx/compute"
)

// QuickEnv is the environment variable that turns quick mode on.
const QuickEnv = "GOFM_QUICK"

// Quick reports whether quick mode is on (GOFM_QUICK=1 or true).
func Quick() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(QuickEnv)))
	return v == "1" || v == "true" || v == "yes"
}

// Pick returns quick in quick mode and full otherwise.
func Pick[T any](full, quick T) T {
	if Quick() {
		return quick
	}
	return full
}

var (
	mu     sync.Mutex
	shared compute.Backend // the process's backend, once created
)

// Backend returns the process's compute backend: the first call selects it
// (backend.New) and every later call, Start's included, returns the same one,
// so a notebook that declares `var be = session.Backend()` and calls
// session.MustStart() in its first cell starts exactly one backend. A failed
// selection is not remembered: the next call tries again. It panics with
// backend.New's error (use Start for the error as a value).
func Backend() compute.Backend {
	b, err := get()
	if err != nil {
		panic(err)
	}
	return b
}

func get() (compute.Backend, error) {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		return shared, nil
	}
	b, err := backend.New()
	if err != nil {
		return nil, err
	}
	shared = b
	return b, nil
}

// Start returns the process's backend (see Backend) and prints its one-line
// description ("backend: go (pure-Go backend) -- ..."), a warning when the
// process lacks GODEBUG=cpu.fma=off (backend.SpeedWarning) and, in quick mode,
// a line saying so. It returns backend.New's error unchanged.
func Start() (compute.Backend, error) {
	b, err := get()
	if err != nil {
		return nil, err
	}
	fmt.Println(backend.Last())
	if w := backend.SpeedWarning(); w != "" && backend.Last().Name == "go" {
		fmt.Println(w)
	}
	if Quick() {
		fmt.Println("quick mode (" + QuickEnv + " set): small settings for a fast run")
	}
	return b, nil
}

// MustStart is Start for notebooks: it panics with Start's error.
func MustStart() compute.Backend {
	b, err := Start()
	if err != nil {
		panic(err)
	}
	return b
}

// Must returns v, or panics with err: for notebook cells, where an error from
// fixed settings is a bug to stop at, not a case to handle.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Must2 is Must for functions that return two values and an error.
func Must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// OK panics with err when it is not nil: Must for functions that return only
// an error.
func OK(err error) {
	if err != nil {
		panic(err)
	}
}
