package table_test

import (
	"fmt"

	"github.com/gofm/gofm/fmlib/table"
)

// The methods of the table, in order, with the row of the paper's Table 1
// each reproduces, and the named scales.
func ExampleMethods() {
	for _, m := range table.Methods() {
		row := m.PaperRow
		if row == "" {
			row = "(extra)"
		}
		fmt.Printf("%-8s %-16s %-16s diffusion: %v\n", m.Key, m.Name, row, m.Diffusion())
	}
	fmt.Println(table.ScaleNames())
	// Output:
	// ddpm     DDPM             DDPM             diffusion: true
	// sm       Score Matching   Score Matching   diffusion: true
	// sf       ScoreFlow        ScoreFlow        diffusion: true
	// fm-diff  FM w/ Diffusion  FM w/ Diffusion  diffusion: false
	// fm-ot    FM w/ OT         FM w/ OT         diffusion: false
	// ot-cfm   OT-CFM           (extra)          diffusion: false
	// 2-rf     2-RF (reflow)    (extra)          diffusion: false
	// [2d-quick 2d mnist-quick mnist mnist-gpu mnist-mlp-quick mnist-mlp cifar10]
}
