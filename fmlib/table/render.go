package table

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofm/gofm/fmlib/ode"
)

// Markdown renders r as a report: the settings, one table per data set
// with the paper's CIFAR-10 values beside ours, the fixed-step curve, and
// the claims with their evidence, and the orderings against the paper
// (Agreements).
//
// The report of a partial file (a run that has not finished every model)
// opens with PartialNote.
func Markdown(r *Results) string {
	var b strings.Builder
	s := r.Scale
	if p := PartialNote(r); p != "" {
		b.WriteString(p + "\n\n")
	}
	fmt.Fprintf(&b, "# Table 1 of Lipman et al. (2023) at the %s scale\n\n", s.Name)
	fmt.Fprintf(&b, "%s.\n\n", s.About)
	b.WriteString(Settings(r))
	b.WriteString("\n")
	if s.IsImage() {
		b.WriteString("The paper's values are **CIFAR-10** (NLL in bits/dim, FID on Inception features); ours are **MNIST** " +
			"(NLL in bits/dim with uniform dequantization, FID-MNIST on the features of our digit classifier). Different data " +
			"and networks: compare the orderings of the rows, not the values.\n\n")
	} else {
		fmt.Fprintf(&b, "The paper's values are **CIFAR-10** (NLL in bits/dim, FID, Dopri5 NFE); ours are **2D data** (NLL in nats "+
			"per point by the exact divergence, energy distance and W2 of %d samples to as many held-out points, Dopri5 NFE). "+
			"Different data sets: compare the orderings of the rows, not the values.\n\n", s.Eval.Samples)
	}
	for _, d := range s.Data {
		fmt.Fprintf(&b, "## %s\n\n", d)
		b.WriteString(DataTable(r, d))
		b.WriteString("\n")
		b.WriteString(FixedTable(r, d))
		b.WriteString("\n")
	}
	b.WriteString("## The paper's claims at this scale\n\n")
	for _, c := range r.Claims {
		fmt.Fprintf(&b, "- **Claim %d on %s** (%s): **%s**. %s.\n", c.ID, c.Data, c.Claim, c.Verdict, c.Evidence)
	}
	b.WriteString("\n" + r.SENote + "\n")
	b.WriteString("\n## Our orderings against the paper's\n\n" +
		"For each metric, the paper's rows in our order and in the paper's (lower is better), and how many pairs of rows " +
		"are ordered as in the paper.\n\n")
	for _, d := range s.Data {
		if as := Agreements(r, d); len(as) > 0 {
			if len(s.Data) > 1 {
				fmt.Fprintf(&b, "%s:\n\n", d)
			}
			b.WriteString(AgreementMarkdown(as) + "\n")
		}
	}
	if p := Provenance(r); p != "" {
		b.WriteString("\n## Which code made each model\n\n" + p)
	}
	return b.String()
}

// PartialNote is the line that opens the report of a partial results file
// ("" for a complete one): how many models are finished, which are still
// to run, and what that means for the table and the claims.
func PartialNote(r *Results) string {
	if r.Complete() {
		return ""
	}
	done, total := r.Done()
	var b strings.Builder
	fmt.Fprintf(&b, "**Partial run: %d of %d models finished; still to run: %s.**", done, total, pendingList(r.Pending))
	if n := len(r.Scale.Seeds); n > 1 {
		fmt.Fprintf(&b, " A method marked (k of %d seeds) averages the seeds finished so far; with one seed it has no +- (the standard error is over seeds, undefined for one).", n)
	}
	b.WriteString(" The claims are provisional. Running the scale again continues the run (cmd/fmtable with the same -out, or -resume naming this file).")
	return b.String()
}

// seedsNote marks a row that has fewer seeds than its scale runs (a
// partial file): " (1 of 2 seeds)"; "" for a row with all its seeds.
func seedsNote(r *Results, row *Row) string {
	if n := len(r.Scale.Seeds); len(row.Seeds) < n {
		return fmt.Sprintf(" (%d of %d seeds)", len(row.Seeds), n)
	}
	return ""
}

// stillToRun reports whether method key on data has no row because its
// models are still to run (a partial file).
func stillToRun(r *Results, data, key string) bool {
	return r.Row(data, key) == nil && slices.ContainsFunc(r.Pending, func(id ModelID) bool { return id.Data == data && id.Method == key })
}

// bothBounds reports whether r's image rows carry the one-sample NLL bound
// beside the K-sample one (K >= 2 and written by code that records it).
func bothBounds(r *Results) bool {
	if !r.Scale.IsImage() || r.Scale.Eval.K < 2 {
		return false
	}
	for _, row := range r.Rows {
		if row.NLLOneSample != nil {
			return true
		}
	}
	return false
}

// Provenance is a Markdown table of the code that trained (per training
// session: its steps) and evaluated each model, for results files that
// record it ("" otherwise): a run resumed across several sessions and
// commits says which commits produced which rows.
func Provenance(r *Results) string {
	var b strings.Builder
	has := false
	for _, row := range r.Rows {
		for _, sr := range row.Seeds {
			has = has || sr.Commit != "" || len(sr.Trained) > 0
		}
	}
	if !has {
		return ""
	}
	b.WriteString("| Data | Method | seed | trained by (steps) | evaluated by |\n|---|---|---|---|---|\n")
	short := func(describe, commit string) string {
		if commit != "" && len(commit) >= 12 && !strings.HasPrefix(describe, commit[:7]) {
			return fmt.Sprintf("%s (%s)", describe, commit[:12])
		}
		return orUnknown(describe)
	}
	for _, row := range r.Rows {
		for _, sr := range row.Seeds {
			var parts []string
			for _, sp := range sr.Trained {
				parts = append(parts, fmt.Sprintf("%s (%d-%d)", short(sp.Describe, sp.Commit), sp.From, sp.To))
			}
			trained := strings.Join(parts, ", ")
			if trained == "" {
				trained = "not recorded (trained before code.json)"
			}
			evaluated := short(sr.Code, sr.Commit)
			if sr.Reused != "" {
				evaluated += "; reused from " + sr.Reused
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s |\n", row.Data, row.Method.Name, sr.Seed, trained, evaluated)
		}
	}
	return b.String()
}

// Settings is the block of a report that says how the numbers were made.
func Settings(r *Results) string {
	s := r.Scale
	var b strings.Builder
	net := fmt.Sprintf("MLP %v %s", s.Base.Hidden, s.Base.Activation)
	if s.Base.Net == "unet" {
		net = "U-Net"
	}
	params := 0
	if len(r.Rows) > 0 {
		params = r.Rows[0].Params
	}
	dirty := ""
	if r.Code.Dirty {
		dirty = " (uncommitted changes)"
	}
	fmt.Fprintf(&b, "- code: %s%s, commit %s (from %s)\n", r.Code.Describe, dirty, orUnknown(r.Code.Commit), r.Code.Source)
	count := map[string]int{}
	var versions []string
	for _, row := range r.Rows {
		for _, sr := range row.Seeds {
			v := orUnknown(sr.Code)
			if count[v] == 0 {
				versions = append(versions, v)
			}
			count[v]++
		}
	}
	if len(versions) > 1 || (len(versions) == 1 && versions[0] != r.Code.Describe) {
		parts := make([]string, len(versions))
		for i, v := range versions {
			parts[i] = fmt.Sprintf("%s (%d)", v, count[v])
		}
		fmt.Fprintf(&b, "- models evaluated by code: %s (resumed from earlier runs)\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "- %s; %s, %s, %d CPUs; GOEXPERIMENT=%s GODEBUG=%s\n", r.Env.Backend, r.Env.Go, r.Env.OS, r.Env.CPUs, r.Env.GOEXPERIMENT, r.Env.GODEBUG)
	fmt.Fprintf(&b, "- started %s; wall time of the run that wrote this file %s; training + evaluation time of all models %s\n",
		r.Started.Format(time.RFC3339), dur(r.WallSeconds), dur(r.ComputeSeconds))
	if len(r.Sittings) > 0 {
		wall := 0.0
		for _, st := range r.Sittings {
			wall += st.WallSeconds
		}
		fmt.Fprintf(&b, "- made in %d sitting(s), %s of wall time in all:\n", len(r.Sittings), dur(wall))
		for _, st := range r.Sittings {
			commit := ""
			if st.Code.Commit != "" && !strings.HasPrefix(st.Code.Describe, st.Code.Commit[:min(7, len(st.Code.Commit))]) {
				commit = " (" + st.Code.Commit[:min(12, len(st.Code.Commit))] + ")"
			}
			fmt.Fprintf(&b, "  - %s, code %s%s, %s: %d model(s) trained and evaluated, %d reused", st.Started.Format(time.RFC3339),
				orUnknown(st.Code.Describe), commit, dur(st.WallSeconds), st.Ran, st.Reused)
			if st.Command != "" {
				fmt.Fprintf(&b, "; `%s`", st.Command)
			}
			b.WriteString("\n")
		}
	}
	decay := ""
	if s.Base.CosineDecay {
		decay = " with cosine decay"
	}
	fmt.Fprintf(&b, "- network: %s (%d parameters), Adam lr %g%s, batch %d, %d steps per model, seeds %v\n",
		net, params, s.Base.LearningRate, decay, s.Base.Batch, s.Steps, s.Seeds)
	e := s.Eval
	fmt.Fprintf(&b, "- evaluation: Dopri5 atol = rtol = %g; %d samples in solves of %d points (NFE per solve, averaged); NLL on %d held-out points",
		e.Tol, e.Samples, e.Chunk, e.NLLPoints)
	if bothBounds(r) {
		fmt.Fprintf(&b, " (Hutchinson, %d probe(s), K = %d uniform dequantizations per image: the importance-weighted K = %d bound "+
			"and, from the same solves, the mean of the K one-sample bounds, the K = 1 column)", e.Probes, e.K, e.K)
	} else if s.IsImage() {
		fmt.Fprintf(&b, " (Hutchinson, %d probe(s), K = %d dequantization(s))", e.Probes, e.K)
	} else {
		b.WriteString(" (exact divergence)")
	}
	fmt.Fprintf(&b, "; evaluation seed %d\n", e.Seed)
	fmt.Fprintf(&b, "- fixed-step curve: %s at NFE %v from the same noise\n", s.Fixed.Solver, s.Fixed.NFE)
	for _, k := range s.Methods {
		if m, _ := MethodByKey(k); m.ReflowOf != "" {
			fmt.Fprintf(&b, "- 2-RF: %d pairs from the %s model (%s), a fresh network trained %d steps on them\n",
				s.Reflow.Pairs, methodName(m.ReflowOf), solverText(s.Reflow.Solver), s.Steps)
		}
	}
	return b.String()
}

func solverText(s Solver) string {
	if m, err := ode.ParseMethod(s.Method); err == nil && m == ode.Dopri5 {
		return fmt.Sprintf("dopri5, tol %g", s.Tol)
	}
	return fmt.Sprintf("%s, %d steps", s.Method, s.Steps)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func dur(sec float64) string {
	return (time.Duration(sec*10) * time.Second / 10).String()
}

// DataTable is the Markdown table of one data set: each method's paper
// CIFAR-10 values (where it is a paper row) beside ours.
func DataTable(r *Results, data string) string {
	var b strings.Builder
	unit := "nats"
	if r.Scale.IsImage() {
		unit = "bits/dim"
	}
	both := bothBounds(r)
	if both {
		fmt.Fprintf(&b, "| Method | paper NLL | paper FID | paper NFE | NLL K = 1 (%s) | NLL K = %d (%s) | FID-MNIST | NFE |\n|---|---|---|---|---|---|---|---|\n",
			unit, r.Scale.Eval.K, unit)
	} else if r.Scale.IsImage() {
		fmt.Fprintf(&b, "| Method | paper NLL | paper FID | paper NFE | NLL (%s) | FID-MNIST | NFE |\n|---|---|---|---|---|---|---|\n", unit)
	} else {
		fmt.Fprintf(&b, "| Method | paper NLL | paper FID | paper NFE | NLL (%s) | energy dist. | W2 | NFE |\n|---|---|---|---|---|---|---|---|\n", unit)
	}
	paper := func(m Method) string {
		p, ok := PaperCIFAR10(m.PaperRow)
		if !ok {
			return "– | – | –"
		}
		return fmt.Sprintf("%.2f | %.2f | %.0f", p.NLL, p.FID, p.NFE)
	}
	// blank is a row without our values: " | note" and empty cells to the
	// table's width.
	blank := func(name, paper, note string) {
		cells := 4 // ours: NLL, energy, W2, NFE (2D); K = 1, K, FID, NFE (both bounds)
		if r.Scale.IsImage() && !both {
			cells = 3 // NLL, FID, NFE
		}
		fmt.Fprintf(&b, "| %s | %s | %s |%s\n", name, paper, note, strings.Repeat(" |", cells-1))
	}
	for _, k := range r.Scale.Methods {
		row := r.Row(data, k)
		if row == nil && !stillToRun(r, data, k) {
			continue
		}
		if k == "fm-diff" && !slices.Contains(r.Scale.Methods, "sf") { // the paper's ScoreFlow row sits before FM w/ Diffusion
			p, _ := PaperCIFAR10("ScoreFlow")
			blank("ScoreFlow", fmt.Sprintf("%.2f | %.2f | %.0f", p.NLL, p.FID, p.NFE), "not run")
		}
		if row == nil {
			m, _ := MethodByKey(k)
			blank(m.Name, paper(m), "still to run")
			continue
		}
		name := row.Method.Name + seedsNote(r, row)
		if both {
			k1 := "n/a"
			if row.NLLOneSample != nil {
				k1 = fmtStat(*row.NLLOneSample, "%.3f")
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", name, paper(row.Method), k1,
				fmtStat(row.NLL, "%.3f"), fmtStat(row.FID, "%.2f"), fmtStat(row.NFE, "%.1f"))
		} else if r.Scale.IsImage() {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, paper(row.Method),
				fmtStat(row.NLL, "%.3f"), fmtStat(row.FID, "%.2f"), fmtStat(row.NFE, "%.1f"))
		} else {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", name, paper(row.Method),
				fmtStat(row.NLL, "%.3f"), fmtStat(row.Energy, "%.4f"), fmtStat(row.W2, "%.3f"), fmtStat(row.NFE, "%.1f"))
		}
	}
	if f := r.Floor(data); f.Energy.OK() {
		fmt.Fprintf(&b, "| *two held-out samples (floor)* | | | | | %.4f | %.3f | |\n", float64(f.Energy), float64(f.W2))
	} else if f.FID.OK() && both {
		fmt.Fprintf(&b, "| *two held-out samples (floor)* | | | | | | %.2f | |\n", float64(f.FID))
	} else if f.FID.OK() {
		fmt.Fprintf(&b, "| *two held-out samples (floor)* | | | | | %.2f | |\n", float64(f.FID))
	}
	return b.String()
}

// FixedTable is the Markdown table of the fixed-step curve of one data set:
// sample quality and distance to the Dopri5 sample at each NFE.
func FixedTable(r *Results, data string) string {
	var b strings.Builder
	q := "energy distance"
	if r.Scale.IsImage() {
		q = "FID-MNIST"
	}
	fmt.Fprintf(&b, "%s at fixed NFE: %s to held-out data / RMS distance to the model's Dopri5 sample (same noise)\n\n",
		r.Scale.Fixed.Solver, q)
	b.WriteString("| Method |")
	for _, n := range r.Scale.Fixed.NFE {
		fmt.Fprintf(&b, " NFE %d |", n)
	}
	b.WriteString("\n|---|")
	for range r.Scale.Fixed.NFE {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	qv := "%.4f"
	if r.Scale.IsImage() {
		qv = "%.2f"
	}
	for _, k := range r.Scale.Methods {
		row := r.Row(data, k)
		if row == nil {
			if stillToRun(r, data, k) {
				fmt.Fprintf(&b, "| %s | still to run |%s\n", methodName(k), strings.Repeat(" |", max(0, len(r.Scale.Fixed.NFE)-1)))
			}
			continue
		}
		fmt.Fprintf(&b, "| %s |", row.Method.Name+seedsNote(r, row))
		for _, fp := range row.Fixed {
			fmt.Fprintf(&b, " %s / %s |", fmtMean(fp.Quality, qv), fmtMean(fp.Error, "%.3g"))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func fmtMean(st Stat, verb string) string {
	if !st.Mean.OK() {
		return "n/a"
	}
	return fmt.Sprintf(verb, float64(st.Mean))
}

// Summary says in plain sentences, per data set, which of the paper's rows
// needs the fewest NFE and has the best NLL and sample quality here, by how
// much (in standard errors, flagged when under two), and whether that
// agrees with the paper (where FM w/ OT is best on all three).
func Summary(r *Results) string {
	var b strings.Builder
	type metric struct {
		what, verb string
		f          func(*Row) Stat
		floor      func(Floor) Num
	}
	ms := []metric{{"fewest Dopri5 NFE", "%.1f", func(row *Row) Stat { return row.NFE }, nil},
		{"best NLL", "%.3f", func(row *Row) Stat { return row.NLL }, nil}}
	if r.Scale.IsImage() {
		ms = append(ms, metric{"best FID-MNIST", "%.2f", func(row *Row) Stat { return row.FID }, func(f Floor) Num { return f.FID }})
	} else {
		ms = append(ms, metric{"best energy distance", "%.4f", func(row *Row) Stat { return row.Energy }, func(f Floor) Num { return f.Energy }},
			metric{"best W2", "%.3f", func(row *Row) Stat { return row.W2 }, func(f Floor) Num { return f.W2 }})
	}
	for _, d := range r.Scale.Data {
		fmt.Fprintf(&b, "%s (%s scale):\n", d, r.Scale.Name)
		for _, m := range ms {
			es, missing := ranked(r, d, paperKeysOf(r), m.f)
			if len(missing) > 0 || len(es) == 0 {
				yet := ""
				if !r.Complete() {
					yet = " (this is a partial run: they may be still to run)"
				}
				fmt.Fprintf(&b, "  - %s: not measured for %s%s\n", m.what, strings.Join(missing, ", "), yet)
				continue
			}
			best := es[0]
			fmt.Fprintf(&b, "  - %s among the paper's rows: %s (%s)", m.what, best.name, best.text(m.verb))
			if best.key == "fm-ot" {
				b.WriteString(", as in the paper")
				if len(es) > 1 {
					fmt.Fprintf(&b, "; ahead of %s (%s) %s", es[1].name, es[1].text(m.verb), lead(best.st, es[1].st, m.verb))
				}
			} else {
				for _, e := range es {
					if e.key == "fm-ot" {
						fmt.Fprintf(&b, ", ahead of FM w/ OT (%s) %s. The paper has FM w/ OT best: our ordering differs",
							e.text(m.verb), lead(best.st, e.st, m.verb))
					}
				}
			}
			if m.floor != nil {
				if f := m.floor(r.Floor(d)); f.OK() {
					fmt.Fprintf(&b, " [two held-out samples score "+m.verb+"]", float64(f))
				}
			}
			// The extra rows, for context.
			all, _ := ranked(r, d, r.Scale.Methods, m.f)
			if len(all) > 0 && !isPaperKey(r, all[0].key) {
				fmt.Fprintf(&b, " (of all rows: %s, %s)", all[0].name, all[0].text(m.verb))
			}
			b.WriteString(".\n")
		}
	}
	return b.String()
}
