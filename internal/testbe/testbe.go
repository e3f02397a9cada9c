// Package testbe gives the tests of every package one shared pure-Go backend,
// created on first use.
package testbe

import (
	"sync"
	"testing"

	fmbackend "github.com/gofm/gofm/fmlib/backend"
	"github.com/gomlx/compute"
)

var (
	once    sync.Once
	backend compute.Backend
	err     error
)

// Go returns the shared pure-Go backend, failing the test if it cannot be created.
func Go(t testing.TB) compute.Backend {
	t.Helper()
	once.Do(func() { backend, err = fmbackend.NewGo() })
	if err != nil {
		t.Fatalf("creating the pure-Go backend: %v", err)
	}
	return backend
}
