package training_test

import (
	"math"
	"slices"
	"testing"

	"github.com/gofm/gofm/fmlib/training"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// rngState returns the flat RNG state of a store made by NewStore(seed).
func rngState(t *testing.T, seed int64) []uint64 {
	t.Helper()
	store, err := training.NewStore(seed)
	if err != nil {
		t.Fatalf("NewStore(%d): %v", seed, err)
	}
	v := store.GetVariable(model.JoinPath("/", model.RNGStateVariableName))
	if v == nil || !v.HasValue() {
		t.Fatalf("NewStore(%d): the store has no RNG state", seed)
	}
	val, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	state, err := tensors.CopyFlatData[uint64](val)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// TestNewStoreSeeds: every int64 seed, the extremes included, gives a store
// seeded without error; one seed gives one state, and neighbouring seeds
// give different ones.
func TestNewStoreSeeds(t *testing.T) {
	for _, seed := range []int64{0, 1, -1, 7, math.MinInt64, math.MaxInt64} {
		a, b := rngState(t, seed), rngState(t, seed)
		if !slices.Equal(a, b) {
			t.Errorf("seed %d: two stores have different RNG states", seed)
		}
		if seed != math.MaxInt64 && slices.Equal(a, rngState(t, seed+1)) {
			t.Errorf("seeds %d and %d give the same RNG state", seed, seed+1)
		}
	}
}
