package points

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Check validates a point set and returns its size n (rows) and dimension d
// (columns). It fails on an empty set, a row of a different length than the
// first (a ragged set), a zero-dimensional row, or a NaN/Inf coordinate, naming
// the offending row.
func Check(p [][]float64) (n, d int, err error) {
	if len(p) == 0 {
		return 0, 0, fmt.Errorf("points: empty point set (need at least one row)")
	}
	d = len(p[0])
	if d == 0 {
		return 0, 0, fmt.Errorf("points: row 0 has no coordinates (need D >= 1)")
	}
	for i, row := range p {
		if len(row) != d {
			return 0, 0, fmt.Errorf("points: ragged point set: row %d has %d coordinates, row 0 has %d", i, len(row), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, 0, fmt.Errorf("points: row %d coordinate %d is %v (coordinates must be finite)", i, j, v)
			}
		}
	}
	return len(p), d, nil
}

// ToTensor copies a point set into a new float32 tensor of shape [N, D]. It
// fails as Check does, and on a coordinate beyond float32's range
// (|v| > math.MaxFloat32, about 3.4e38), which would become ±Inf.
func ToTensor(p [][]float64) (*tensors.Tensor, error) {
	n, d, err := Check(p)
	if err != nil {
		return nil, err
	}
	flat := make([]float32, n*d)
	for i, row := range p {
		for j, v := range row {
			f := float32(v)
			if math.IsInf(float64(f), 0) {
				return nil, fmt.Errorf("points: row %d coordinate %d is %v, beyond the range of float32 (the tensors' type, at most %g in magnitude); rescale the points", i, j, v, math.MaxFloat32)
			}
			flat[i*d+j] = f
		}
	}
	return tensors.FromFlatDataAndDimensions(flat, n, d), nil
}

// FromTensor copies a rank-2 float32 or float64 tensor of shape [N, D] into a
// new point set.
func FromTensor(t *tensors.Tensor) ([][]float64, error) {
	if t == nil {
		return nil, fmt.Errorf("points: nil tensor")
	}
	s := t.Shape()
	if s.Rank() != 2 {
		return nil, fmt.Errorf("points: tensor shape %s has rank %d, want rank 2 [N, D]", s, s.Rank())
	}
	n, d := s.Dimensions[0], s.Dimensions[1]
	out := make([][]float64, n)
	back := make([]float64, n*d)
	for i := range out {
		out[i] = back[i*d : (i+1)*d : (i+1)*d]
	}
	switch s.DType {
	case dtypes.Float32:
		tensors.MustConstFlatData[float32](t, func(flat []float32) {
			for k, v := range flat {
				back[k] = float64(v)
			}
		})
	case dtypes.Float64:
		tensors.MustConstFlatData[float64](t, func(flat []float64) { copy(back, flat) })
	default:
		return nil, fmt.Errorf("points: tensor dtype %s not supported, want Float32 or Float64", s.DType)
	}
	return out, nil
}

// Moments returns the sample mean and the sample standard deviation (with the
// n-1 denominator) of every coordinate of a point set. With one point the
// standard deviations are 0.
func Moments(p [][]float64) (mean, std []float64, err error) {
	n, d, err := Check(p)
	if err != nil {
		return nil, nil, err
	}
	mean, std = make([]float64, d), make([]float64, d)
	for _, row := range p {
		for j, v := range row {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	if n == 1 {
		return mean, std, nil
	}
	for _, row := range p {
		for j, v := range row {
			std[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(n-1))
	}
	return mean, std, nil
}
