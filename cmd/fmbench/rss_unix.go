//go:build linux || darwin

package main

import (
	"runtime"
	"syscall"
)

// peakRSSKiB returns the peak resident set size of this process in KiB:
// getrusage(RUSAGE_SELF).ru_maxrss, which Linux gives in KiB and macOS in
// bytes. Child processes (the PyTorch side) are not included.
func peakRSSKiB() (int64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) / 1024, nil
	}
	return int64(ru.Maxrss), nil
}
