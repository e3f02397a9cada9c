package table

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Agreement compares, for one metric, the order of the paper's rows in a
// results file with their order in the paper's Table 1 on CIFAR-10. Values
// are never compared (other data, other networks): only which of two rows
// is better. Of the n rows present, each of the n(n-1)/2 pairs is ordered
// as in the paper, the other way (a swap), or tied in the file (equal
// means: NFE are often whole numbers); without ties Agree/Pairs is
// (1 + tau)/2 for Kendall's tau between the two orders.
type Agreement struct {
	Metric string   // "NLL", "FID" (FID-MNIST in the file) or "NFE"
	Ours   []string // the rows' names, best (lowest) first, by the file's means
	Paper  []string // the same rows, best first in the paper
	Agree  int      // pairs ordered as in the paper
	Ties   int      // pairs with equal means in the file
	Pairs  int
	Swaps  []Swap // pairs ordered the other way, in the order of Ours
}

// Swap is a pair of rows ordered against the paper: Better beats Worse in
// the results file, Worse beats Better in the paper. Z is the file's
// margin in standard errors of the difference (NaN without error bars);
// under 2 the swap is within the noise.
type Swap struct {
	Better, Worse string
	Margin        float64 // Worse's mean minus Better's (> 0)
	Z             float64
}

// Resolved reports whether the swap's margin is at least two standard
// errors of the difference.
func (s Swap) Resolved() bool { return s.Z >= 2 }

// Agreements compares the paper rows of r on data with the paper, metric
// by metric: NLL, then FID when the scale measures FID-MNIST (2D scales
// have no FID, and their energy distance is not the paper's metric), then
// NFE. A metric with fewer than two measured paper rows is left out.
func Agreements(r *Results, data string) []Agreement {
	metrics := []struct {
		name  string
		stat  func(*Row) Stat
		paper func(PaperValues) float64
	}{
		{"NLL", func(w *Row) Stat { return w.NLL }, func(p PaperValues) float64 { return p.NLL }},
		{"FID", func(w *Row) Stat { return w.FID }, func(p PaperValues) float64 { return p.FID }},
		{"NFE", func(w *Row) Stat { return w.NFE }, func(p PaperValues) float64 { return p.NFE }},
	}
	var out []Agreement
	for _, m := range metrics {
		if m.name == "FID" && !(r.Scale.FID && r.Scale.IsImage()) {
			continue
		}
		got, _ := ranked(r, data, paperKeysOf(r), m.stat) // lowest first
		if len(got) < 2 {
			continue
		}
		paperOf := func(e entry) float64 {
			row := r.Row(data, e.key)
			p, _ := PaperCIFAR10(row.Method.PaperRow)
			return m.paper(p)
		}
		a := Agreement{Metric: m.name}
		for _, e := range got {
			a.Ours = append(a.Ours, e.name)
		}
		paper := slices.Clone(got)
		slices.SortStableFunc(paper, func(x, y entry) int { return cmp.Compare(paperOf(x), paperOf(y)) })
		for _, e := range paper {
			a.Paper = append(a.Paper, e.name)
		}
		for i := range got {
			for j := i + 1; j < len(got); j++ {
				a.Pairs++
				better, worse := got[i], got[j] // better has the lower (or equal) mean here
				if better.st.Mean == worse.st.Mean {
					a.Ties++
					continue
				}
				if paperOf(better) <= paperOf(worse) {
					a.Agree++
					continue
				}
				s := Swap{Better: better.name, Worse: worse.name, Margin: float64(worse.st.Mean - better.st.Mean), Z: math.NaN()}
				if se, ok := diffSE(better.st, worse.st); ok && se > 0 {
					s.Z = s.Margin / se
				}
				a.Swaps = append(a.Swaps, s)
			}
		}
		out = append(out, a)
	}
	return out
}

// AgreementMarkdown renders Agreements as a table: per metric the two
// orders, the pairs ordered as in the paper, and each swap with its margin
// in standard errors.
func AgreementMarkdown(as []Agreement) string {
	var b strings.Builder
	b.WriteString("| metric | our order (best first) | the paper's order of the same rows | pairs as in the paper | pairs the other way (margin in SE), ties |\n|---|---|---|---|---|\n")
	for _, a := range as {
		swaps := make([]string, len(a.Swaps))
		for i, s := range a.Swaps {
			z := "no error bar"
			if !math.IsNaN(s.Z) {
				z = fmt.Sprintf("%.1f SE", s.Z)
				if !s.Resolved() {
					z += ", within the noise"
				}
			}
			swaps[i] = fmt.Sprintf("%s before %s (%s)", s.Better, s.Worse, z)
		}
		if a.Ties > 0 {
			swaps = append(swaps, fmt.Sprintf("%d tied", a.Ties))
		}
		if len(swaps) == 0 {
			swaps = []string{"none"}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d of %d | %s |\n", a.Metric, strings.Join(a.Ours, " < "), strings.Join(a.Paper, " < "),
			a.Agree, a.Pairs, strings.Join(swaps, "; "))
	}
	return b.String()
}
