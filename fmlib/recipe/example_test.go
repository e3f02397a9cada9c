package recipe_test

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/recipe"
)

// A preset, its quick-mode step count and its fingerprint (which ignores the
// step count, so quick and full runs of one set-up share a folder name
// pattern), without training anything.
func ExamplePreset() {
	fmt.Println(recipe.Presets())
	c, err := recipe.Preset("checkerboard")
	if err != nil {
		fmt.Println(err)
		return
	}
	q := c.Quick()
	fmt.Printf("%s: %s data, dimension %d, image: %v\n", c.Name, c.Data, c.Dim(), c.IsImage())
	fmt.Printf("steps %d, quick mode %d\n", c.Steps, q.Steps)
	fmt.Printf("ID %d hex digits, the same in quick mode: %v\n", len(c.ID()), c.ID() == q.ID())
	_, err = recipe.Preset("swissroll")
	fmt.Println(err)
	// Output:
	// [8gaussians 8gaussians-cond checkerboard mnist-cond mnist-mlp mnist-unet moons]
	// checkerboard: checkerboard data, dimension 2, image: false
	// steps 6000, quick mode 1500
	// ID 8 hex digits, the same in quick mode: true
	// recipe: unknown preset "swissroll"; choose one of 8gaussians, 8gaussians-cond, checkerboard, mnist-cond, mnist-mlp, mnist-unet, moons
}
