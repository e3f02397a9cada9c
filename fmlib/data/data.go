package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Parameters of the toy distributions (see the package documentation for the
// exact definitions).
const (
	// MoonsNoise is the std of the isotropic Gaussian noise added to Moons.
	MoonsNoise = 0.1
	// EightGaussiansRadius is the distance of the 8 mixture centres from the origin.
	EightGaussiansRadius = 2.0
	// EightGaussiansStd is the std of each of the 8 isotropic mixture components.
	EightGaussiansStd = 0.2
	// SpiralsNoise is the std of the isotropic Gaussian noise added to Spirals.
	SpiralsNoise = 0.08
	// CirclesInner and CirclesOuter are the radii of the two Circles.
	CirclesInner = 1.0
	CirclesOuter = 2.0
	// CirclesNoise is the std of the isotropic Gaussian noise added to Circles.
	CirclesNoise = 0.08
)

// Dim is the dimension of every toy dataset.
const Dim = 2

// generator fills flat (length 2n) with n points drawn from rng and, when
// labels is not nil (length n), each point's class. The draws from rng do
// not depend on labels, so labelled and plain data of one stream are the
// same points.
type generator func(flat []float64, labels []int, rng *rand.Rand)

type dataset struct {
	gen     generator
	stream  uint64 // second PCG word, so that equal seeds give unrelated datasets
	classes int    // number of classes the generator labels its points with
}

var registry = map[string]dataset{
	"moons":        {func(f []float64, l []int, r *rand.Rand) { moons(f, l, r, MoonsNoise) }, 0x6d6f6f6e73, 2},
	"8gaussians":   {func(f []float64, l []int, r *rand.Rand) { eightGaussians(f, l, r, EightGaussiansStd) }, 0x3867617573, 8},
	"checkerboard": {checkerboard, 0x636865636b, 8},
	"spirals":      {func(f []float64, l []int, r *rand.Rand) { spirals(f, l, r, SpiralsNoise) }, 0x7370697261, 2},
	"circles":      {func(f []float64, l []int, r *rand.Rand) { circles(f, l, r, CirclesNoise) }, 0x636972636c, 2},
}

// Classes returns the number of classes the named dataset labels its points
// with (see the package documentation for what each class is), or an error
// for an unknown name.
func Classes(name string) (int, error) {
	ds, err := lookup(name, 1)
	if err != nil {
		return 0, err
	}
	return ds.classes, nil
}

// Names returns the dataset names accepted by Generate and Sample, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for k := range registry {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func lookup(name string, n int) (dataset, error) {
	ds, ok := registry[strings.ToLower(name)]
	if !ok {
		return dataset{}, fmt.Errorf("data: unknown dataset %q; valid names are %s", name, strings.Join(Names(), ", "))
	}
	if n <= 0 {
		return dataset{}, fmt.Errorf("data: dataset %q: number of points n = %d, want n >= 1", name, n)
	}
	return ds, nil
}

// Generate returns n points of the named dataset (one of Names(), case
// insensitive), fully determined by seed.
func Generate(name string, n int, seed uint64) ([][]float64, error) {
	ds, err := lookup(name, n)
	if err != nil {
		return nil, err
	}
	return build(n, ds.gen, nil, rand.New(rand.NewPCG(seed, ds.stream))), nil
}

// GenerateLabeled is Generate with the class of every point (0 to
// Classes(name)-1): the same points as Generate(name, n, seed).
func GenerateLabeled(name string, n int, seed uint64) ([][]float64, []int, error) {
	ds, err := lookup(name, n)
	if err != nil {
		return nil, nil, err
	}
	labels := make([]int, n)
	return build(n, ds.gen, labels, rand.New(rand.NewPCG(seed, ds.stream))), labels, nil
}

// SampleLabeled is Sample with the class of every point (0 to
// Classes(name)-1): the same points as Sample with an equal rng.
func SampleLabeled(name string, n int, rng *rand.Rand) ([][]float64, []int, error) {
	ds, err := lookup(name, n)
	if err != nil {
		return nil, nil, err
	}
	if rng == nil {
		return nil, nil, fmt.Errorf("data: SampleLabeled(%q): rng is nil; use rand.New(rand.NewPCG(seed, 0)) or GenerateLabeled with a seed", name)
	}
	labels := make([]int, n)
	return build(n, ds.gen, labels, rng), labels, nil
}

// Sample returns n points of the named dataset drawn from rng (which must not
// be nil). Use it to draw fresh batches from one stream in a training loop.
func Sample(name string, n int, rng *rand.Rand) ([][]float64, error) {
	ds, err := lookup(name, n)
	if err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("data: Sample(%q): rng is nil; use rand.New(rand.NewPCG(seed, 0)) or Generate with a seed", name)
	}
	return build(n, ds.gen, nil, rng), nil
}

// Moons returns n points of the two-moons distribution (see the package doc).
func Moons(n int, seed uint64) ([][]float64, error) { return Generate("moons", n, seed) }

// EightGaussians returns n points of the 8-Gaussians mixture.
func EightGaussians(n int, seed uint64) ([][]float64, error) { return Generate("8gaussians", n, seed) }

// Checkerboard returns n points uniform on the black squares of a 4x4 board on [-2, 2]^2.
func Checkerboard(n int, seed uint64) ([][]float64, error) { return Generate("checkerboard", n, seed) }

// Spirals returns n points of the two-spirals distribution.
func Spirals(n int, seed uint64) ([][]float64, error) { return Generate("spirals", n, seed) }

// Circles returns n points of the two-concentric-circles distribution.
func Circles(n int, seed uint64) ([][]float64, error) { return Generate("circles", n, seed) }

// build allocates the point set (one backing array) and fills it.
func build(n int, gen generator, labels []int, rng *rand.Rand) [][]float64 {
	flat := make([]float64, Dim*n)
	gen(flat, labels, rng)
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = flat[Dim*i : Dim*i+Dim : Dim*i+Dim]
	}
	return rows
}

// moons: upper moon (cos θ, sin θ), lower moon (1 - cos θ, 0.5 - sin θ) in the
// unit construction, then x -> 2x - (1, 0.5). The noise is added after scaling.
// Each point picks its moon with a fair coin, so points are i.i.d. Class 0
// is the upper moon, 1 the lower.
func moons(flat []float64, labels []int, rng *rand.Rand, noise float64) {
	for i := 0; i < len(flat)/2; i++ {
		s, c := math.Sincos(math.Pi * rng.Float64())
		var x, y float64
		k := int(rng.Uint64() & 1)
		if k == 0 {
			x, y = c, s
		} else {
			x, y = 1-c, 0.5-s
		}
		setLabel(labels, i, k)
		flat[2*i] = 2*x - 1 + noise*rng.NormFloat64()
		flat[2*i+1] = 2*y - 0.5 + noise*rng.NormFloat64()
	}
}

// EightGaussiansMeans returns the centres of the 8 gaussians' components in
// class order: class k is centred at EightGaussiansRadius (cos k pi/4,
// sin k pi/4), each component with standard deviation EightGaussiansStd
// and weight 1/8 (probpath.Mixture gives the exact fields of its path).
func EightGaussiansMeans() [][]float64 {
	out := make([][]float64, len(eightCentres))
	for k, c := range eightCentres {
		out[k] = []float64{EightGaussiansRadius * c[0], EightGaussiansRadius * c[1]}
	}
	return out
}

// eightCentres holds the unit-circle directions of the 8 mixture components.
var eightCentres = func() (c [8][2]float64) {
	for k := range c {
		c[k][1], c[k][0] = math.Sincos(float64(k) * math.Pi / 4)
	}
	return
}()

// setLabel records the class of point i when labels are asked for.
func setLabel(labels []int, i, k int) {
	if labels != nil {
		labels[i] = k
	}
}

// eightGaussians: class k is the component centred at angle k pi/4.
func eightGaussians(flat []float64, labels []int, rng *rand.Rand, std float64) {
	for i := 0; i < len(flat)/2; i++ {
		k := rng.IntN(8)
		setLabel(labels, i, k)
		c := eightCentres[k]
		flat[2*i] = EightGaussiansRadius*c[0] + std*rng.NormFloat64()
		flat[2*i+1] = EightGaussiansRadius*c[1] + std*rng.NormFloat64()
	}
}

// checkerboard: pick one of the 8 black squares uniformly, then a uniform point
// inside it. Square k = 0..7 has column a = k%4 and row b = 2*(k/4) + a%2, so
// a + b is even and all 8 black squares are reached; coordinates are shifted
// by -2. Class k is square k.
func checkerboard(flat []float64, labels []int, rng *rand.Rand) {
	for i := 0; i < len(flat)/2; i++ {
		k := rng.IntN(8)
		setLabel(labels, i, k)
		a := k % 4             // column 0..3
		b := 2*(k/4) + (a % 2) // row 0..3 with the same parity as a
		flat[2*i] = float64(a-2) + rng.Float64()
		flat[2*i+1] = float64(b-2) + rng.Float64()
	}
}

// spirals: θ = 3π sqrt(u), r = θ/π; a fair coin picks the second arm
// (rotated by π, class 1).
func spirals(flat []float64, labels []int, rng *rand.Rand, noise float64) {
	for i := 0; i < len(flat)/2; i++ {
		theta := 3 * math.Pi * math.Sqrt(rng.Float64())
		r := theta / math.Pi
		s, c := math.Sincos(theta)
		k := int(rng.Uint64() & 1)
		if k == 1 {
			r = -r
		}
		setLabel(labels, i, k)
		flat[2*i] = r*c + noise*rng.NormFloat64()
		flat[2*i+1] = r*s + noise*rng.NormFloat64()
	}
}

// circles: a fair coin picks the inner (class 0) or the outer (class 1) circle.
func circles(flat []float64, labels []int, rng *rand.Rand, noise float64) {
	for i := 0; i < len(flat)/2; i++ {
		r := CirclesInner
		k := int(rng.Uint64() & 1)
		if k == 1 {
			r = CirclesOuter
		}
		setLabel(labels, i, k)
		s, c := math.Sincos(2 * math.Pi * rng.Float64())
		flat[2*i] = r*c + noise*rng.NormFloat64()
		flat[2*i+1] = r*s + noise*rng.NormFloat64()
	}
}
