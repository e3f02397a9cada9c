package pretrained_test

import (
	"context"
	"fmt"
	"os"

	"github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/ode"
	"github.com/gofm/gofm/fmlib/pretrained"
	"github.com/gofm/gofm/fmlib/progress"
	"github.com/gofm/gofm/fmlib/recipe"
)

// Train a small 2D model with a moving average of its weights, export the
// average with its manifest, and load it back: the loaded model samples
// exactly as the trained one did, and a damaged weights file is an error
// that says how to get it back. Load(backend, "mnist-unet") does the same
// for the weights shipped with gofm.
func Example() {
	be, err := backend.NewGo()
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := recipe.Preset("moons")
	c.Hidden, c.Steps, c.Batch, c.EMA = []int{16, 16}, 20, 32, 0.9
	m, _ := recipe.Open(be, c, "")
	if err := m.Train(context.Background(), progress.Discard); err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "export")
	defer os.RemoveAll(dir)
	man, err := pretrained.Export(m, dir, "moons-small", pretrained.Info{Command: "the example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("exported the %s weights of %d steps (%s)\n", man.Weights, man.Steps, man.File)

	loaded, _, err := pretrained.LoadDir(be, dir, "moons-small")
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := ode.Options{Method: ode.Midpoint, Steps: 4}
	a, _ := m.Sample(3, 1, opts)
	b, _ := loaded.Sample(3, 1, opts)
	fmt.Println("same samples:", fmt.Sprint(a.X) == fmt.Sprint(b.X))

	os.WriteFile(dir+"/moons-small.weights", []byte("damaged"), 0o644)
	_, _, err = pretrained.LoadDir(be, dir, "moons-small")
	fmt.Println(err != nil)
	// Output:
	// exported the averaged weights of 20 steps (moons-small.weights)
	// same samples: true
	// true
}
