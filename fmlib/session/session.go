package session

import (
	"fmt"
	"os"
	"strings"

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

// Start selects the compute backend (see package backend), prints the one-line
// description ("backend: go (pure-Go backend) -- ..."), a warning when the process
// lacks GODEBUG=cpu.fma=off (backend.SpeedWarning) and, in quick mode, a line
// saying so. It returns backend.New's error unchanged.
func Start() (compute.Backend, error) {
	b, err := backend.New()
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

// MustStart is Start for notebook cells: it panics with Start's error, which
// the notebook runner reports as a failure.
func MustStart() compute.Backend {
	b, err := Start()
	if err != nil {
		panic(err)
	}
	return b
}
