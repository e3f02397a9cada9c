package data_test

import (
	"fmt"
	"math"

	"github.com/gofm/gofm/fmlib/data"
)

func ExampleGenerate() {
	fmt.Println(data.Names())
	p, err := data.Generate("checkerboard", 1000, 42)
	if err != nil {
		panic(err)
	}
	black := 0
	for _, q := range p {
		if (int(math.Floor(q[0]))+int(math.Floor(q[1])))%2 == 0 {
			black++
		}
	}
	fmt.Printf("%d points of dimension %d, %d in black squares\n", len(p), len(p[0]), black)
	_, err = data.Generate("swissroll", 10, 1)
	fmt.Println(err)
	// Output:
	// [8gaussians checkerboard circles moons spirals]
	// 1000 points of dimension 2, 1000 in black squares
	// data: unknown dataset "swissroll"; valid names are 8gaussians, checkerboard, circles, moons, spirals
}
