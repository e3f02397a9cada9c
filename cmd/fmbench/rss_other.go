//go:build !(linux || darwin)

package main

import (
	"errors"
	"runtime"
)

// peakRSSKiB is only implemented on Linux and macOS (getrusage).
func peakRSSKiB() (int64, error) {
	return 0, errors.New("peak memory is only measured on Linux and macOS, not " + runtime.GOOS)
}
