package models_test

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/models"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// An MLP velocity field on 2D points: 3 points in, 3 velocities out.
func ExampleMLP() {
	cfg := models.MLPConfig{Hidden: []int{64, 64}} // SiLU, 64-wide time embedding
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	n, _ := cfg.NumParams(2)
	fmt.Println("parameters:", n)

	backend, err := gobackend.New("")
	if err != nil {
		panic(err)
	}
	store := model.NewStore()
	_ = store.SetRNGStateFromSeed(1) // deterministic initialization
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, x, t *graph.Node) *graph.Node {
		return models.MLP(scope.In("velocity"), x, t, cfg)
	})
	v := exec.MustCall1([][]float32{{0, 0}, {1, 0}, {0, 1}}, float32(0.5)) // scalar t for the whole batch
	fmt.Println("output shape:", v.Shape())
	fmt.Println("bad activation:", models.MLPConfig{Activation: "swish"}.Validate())
	// Output:
	// parameters: 8578
	// output shape: (Float32)[3, 2]
	// bad activation: models: MLPConfig.Activation "swish" is unknown; valid names are gelu, relu, selu, silu, tanh ("" means "silu")
}
