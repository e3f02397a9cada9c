//go:build !(goexperiment.simd && amd64)

package coupling

func bestTwo(row, v []float64) (int, float64, float64) { return bestTwoScalar(row, v) }

func dot32(k []float32, v []float64) float64 { return dot32Scalar(k, v) }

func axpy32(dst []float64, a float64, k []float32) { axpy32Scalar(dst, a, k) }
