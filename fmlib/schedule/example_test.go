package schedule_test

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/schedule"
)

func Example() {
	for _, s := range []schedule.Scheduler{
		schedule.CondOT{SigmaMin: 0.01},
		schedule.VP{},
		schedule.Cosine{},
	} {
		if err := s.Validate(); err != nil {
			panic(err)
		}
		c := s.At(0.5)
		fmt.Printf("%-30s alpha=%.4f sigma=%.4f dalpha=%.4f dsigma=%.4f\n",
			s.Name(), c.Alpha, c.Sigma, c.DAlpha, c.DSigma)
	}
	fmt.Println(schedule.VE{SigmaMin: 1}.Validate())
	// Output:
	// CondOT(sigma_min=0.01)         alpha=0.5000 sigma=0.5050 dalpha=1.0000 dsigma=-0.9900
	// VP(beta_min=0.1, beta_max=20)  alpha=0.2812 sigma=0.9597 dalpha=1.4129 dsigma=-0.4140
	// Cosine                         alpha=0.7071 sigma=0.7071 dalpha=1.1107 dsigma=-1.1107
	// schedule.VE: SigmaMax = 0; need a finite SigmaMax > SigmaMin = 1 (e.g. 50 for images, a few times the data spread for 2D)
}
