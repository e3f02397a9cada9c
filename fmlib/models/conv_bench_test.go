package models

import (
	"testing"

	"github.com/gofm/gofm/internal/testbe"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

// BenchmarkConv3x3 times one 3x3 "same" convolution with its input and
// kernel gradients (what a training step needs) at the sizes of the
// mnist-unet preset's two levels (batch 64: 32 channels at 14x14, 64 at
// 7x7), three ways: conv3x3Apply (the U-Net's matrix-product convolution),
// GoMLX's ConvGeneral on the same [C, B, H, W] layout, and ConvGeneral on
// the conventional [B, H, W, C] layout.
func BenchmarkConv3x3(b *testing.B) {
	sizes := []struct {
		name          string
		c, n, h, w, o int
	}{
		{"32ch_14x14", 32, 64, 14, 14, 32},
		{"64ch_7x7", 64, 64, 7, 7, 64},
	}
	cbhw := compute.ConvolveAxesConfig{
		InputBatch: 1, InputChannels: 0, InputSpatial: []int{2, 3},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 1, OutputChannels: 0, OutputSpatial: []int{2, 3},
	}
	ways := []struct {
		name string
		fn   func(x, k, bias *graph.Node) *graph.Node
	}{
		{"matmul", conv3x3Apply},
		{"convgeneral_cbhw", func(x, k, bias *graph.Node) *graph.Node {
			y := graph.Convolve(x, k).AxesConfig(cbhw).PadSame().Done()
			return graph.Add(y, graph.Reshape(bias, bias.Shape().Dimensions[0], 1, 1, 1))
		}},
		{"convgeneral_bhwc", func(x, k, bias *graph.Node) *graph.Node {
			xt := graph.TransposeAllAxes(x, 1, 2, 3, 0)
			y := graph.Add(graph.Convolve(xt, k).PadSame().Done(), graph.Reshape(bias, 1, 1, 1, bias.Shape().Dimensions[0]))
			return graph.TransposeAllAxes(y, 3, 0, 1, 2)
		}},
	}
	be := testbe.Go(b)
	for _, s := range sizes {
		for _, way := range ways {
			b.Run(s.name+"/"+way.name, func(b *testing.B) {
				exec, err := graph.NewExec(be, func(x, k, bias, r *graph.Node) []*graph.Node {
					y := way.fn(x, k, bias)
					g := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), x, k, bias)
					return []*graph.Node{graph.ReduceAllSum(y), g[0], g[1], g[2]}
				})
				if err != nil {
					b.Fatal(err)
				}
				args := []any{randomTensor(1, 1, s.c, s.n, s.h, s.w), randomTensor(2, 1, 3, 3, s.c, s.o),
					randomTensor(3, 1, s.o), randomTensor(4, 1, s.o, s.n, s.h, s.w)}
				for b.Loop() {
					outs, err := exec.Exec(args...)
					if err != nil {
						b.Fatal(err)
					}
					for _, o := range outs {
						o.FinalizeAll()
					}
				}
			})
		}
	}
}
