package progress_test

import (
	"fmt"
	"math"
	"time"

	"github.com/gofm/gofm/fmlib/progress"
)

// The one-line summary every reporter shows, for a run 40% done.
func ExampleStatus_Text() {
	s := progress.Status{
		Title: "train", Step: 1200, Total: 3000,
		Loss: 0.8123, AvgLoss: 0.8311,
		StepsPerSec: 812, SamplesPerSec: 812 * 256,
		Elapsed: 1500 * time.Millisecond, ETA: 2200 * time.Millisecond,
	}
	fmt.Println(s.Text())
	fmt.Printf("fraction %.2f\n", s.Fraction())
	// A run of unknown length that has seen no loss yet.
	fmt.Println(progress.Status{Step: 5, Loss: math.NaN(), AvgLoss: math.NaN(), ETA: -1}.Text())
	// Output:
	// train: step 1200/3000 (40%) | loss 0.8123 (avg 0.8311) | 812 steps/s, 207,872 samples/s | 1.5s elapsed, 2.2s left
	// fraction 0.40
	// step 5 | 0ms elapsed
}
