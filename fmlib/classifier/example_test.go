package classifier_test

import (
	"fmt"
	"math/rand/v2"

	fmbackend "github.com/gofm/gofm/fmlib/backend"
	"github.com/gofm/gofm/fmlib/classifier"
)

// tenBlobs draws n rows of width 64 in 10 classes: class k lights up pixels
// 6k..6k+5 (value 1) on a background of 0.1-std noise, clipped to [-1, 1].
func tenBlobs(rng *rand.Rand, n int) ([][]float64, []uint8) {
	x := make([][]float64, n)
	y := make([]uint8, n)
	for i := range x {
		k := rng.IntN(10)
		y[i] = uint8(k)
		x[i] = make([]float64, 64)
		for j := range x[i] {
			v := 0.1 * rng.NormFloat64()
			if j/6 == k {
				v = 1
			}
			x[i][j] = max(-1, min(1, v))
		}
	}
	return x, y
}

func ExampleTrain() {
	backend, err := fmbackend.NewGo()
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := tenBlobs(rng, 500)
	c, err := classifier.Train(backend, x, y, classifier.Config{Hidden: []int{32}, Steps: 150, Batch: 50, Seed: 1})
	if err != nil {
		panic(err)
	}
	hx, hy := tenBlobs(rng, 200) // held out
	acc, err := c.Accuracy(hx, hy)
	if err != nil {
		panic(err)
	}
	f, err := c.Features(hx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("held-out accuracy %.2f, %d x %d features\n", acc, len(f), len(f[0]))

	_, err = c.Features([][]float64{make([]float64, 63)})
	fmt.Println(err)
	// Output:
	// held-out accuracy 1.00, 200 x 32 features
	// classifier: Features: image 0 has 63 values; this classifier takes rows of 64 (e.g. a flattened 28 x 28 MNIST image)
}

func ExampleConfig_Validate() {
	fmt.Println(classifier.Config{}.Validate())
	fmt.Println(classifier.Config{Hidden: []int{128, 0}}.Validate())
	// Output:
	// <nil>
	// classifier: Config.Hidden[1] = 0; hidden widths must be positive (e.g. []int{512, 256}, or nil for that default)
}
