package points_test

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/points"
)

func ExampleToTensor() {
	t, err := points.ToTensor([][]float64{{1, 2}, {3, 4}, {5, 6}})
	if err != nil {
		panic(err)
	}
	back, _ := points.FromTensor(t)
	fmt.Println(t.Shape(), back[2])
	// Output: (Float32)[3, 2] [5 6]
}
