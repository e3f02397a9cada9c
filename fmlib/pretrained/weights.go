package pretrained

import (
	"fmt"

	"github.com/gofm/gofm/internal/weightsfile"
	"github.com/gomlx/gomlx/core/tensors"
)

// magic starts every weights file (version 1 of the format).
const magic = weightsfile.Magic

// Encode returns the weights file of vars (store path to value): the
// variables sorted by path, their values little-endian. The format (see the
// package documentation) lives in internal/weightsfile, which package table
// shares for the weights it records beside its results.
func Encode(vars map[string]*tensors.Tensor) ([]byte, error) {
	b, err := weightsfile.Encode(vars)
	if err != nil {
		return nil, fmt.Errorf("pretrained: %w", err)
	}
	return b, nil
}

// Decode reads a weights file written by Encode. Every inconsistency (wrong
// magic, an index that does not parse or describes more or fewer bytes
// than follow it, a repeated path, a NaN) is an error saying what is wrong.
func Decode(b []byte) (map[string]*tensors.Tensor, error) {
	return weightsfile.Decode(b)
}
