package table

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Verdict is the outcome of testing one of the paper's claims.
type Verdict string

const (
	Holds       Verdict = "holds"
	Partly      Verdict = "partly holds"
	DoesNotHold Verdict = "does not hold"
	NotTested   Verdict = "not tested" // a method the claim needs was not run
)

// Claim is one of the paper's claims tested on one data set of a results file.
type Claim struct {
	ID       int     `json:"id"`
	Data     string  `json:"data"`
	Claim    string  `json:"claim"`
	Verdict  Verdict `json:"verdict"`
	Evidence string  `json:"evidence"` // the numbers the verdict rests on
}

// The paper's claims a scaled reproduction can test (see the package doc).
var claimTexts = []string{
	1: "FM w/ OT needs the fewest function evaluations (Dopri5 NFE at equal tolerance)",
	2: "FM w/ OT gives the best (lowest) NLL and sample-quality score of the rows",
	3: "FM w/ Diffusion needs fewer function evaluations than the diffusion-trained models (DDPM, Score Matching)",
	4: "OT paths are straighter: a fixed-step solver gets closer to the exact flow with the same NFE",
}

// ClaimText returns the statement of claim id (1..4).
func ClaimText(id int) string {
	if id < 1 || id >= len(claimTexts) {
		return ""
	}
	return claimTexts[id]
}

// paperKeys are the methods that are rows of the paper's table and that
// every claim compares: ScoreFlow ("sf") joins them in results whose scale
// runs it (files of scales without it are judged exactly as before).
var paperKeys = []string{"ddpm", "sm", "fm-diff", "fm-ot"}

// paperKeysOf are the paper rows the claims compare in r: paperKeys, with
// ScoreFlow after Score Matching when r's scale runs it.
func paperKeysOf(r *Results) []string {
	if !slices.Contains(r.Scale.Methods, "sf") {
		return paperKeys
	}
	return []string{"ddpm", "sm", "sf", "fm-diff", "fm-ot"}
}

// diffusionKeysOf are the diffusion-trained paper rows of claim 3 in r.
func diffusionKeysOf(r *Results) []string {
	if slices.Contains(r.Scale.Methods, "sf") {
		return []string{"ddpm", "sm", "sf"}
	}
	return []string{"ddpm", "sm"}
}

// claimText is ClaimText(id) as it applies to r: claim 3 names ScoreFlow
// among the diffusion-trained rows when r runs it.
func claimText(r *Results, id int) string {
	if id == 3 && slices.Contains(r.Scale.Methods, "sf") {
		return "FM w/ Diffusion needs fewer function evaluations than the diffusion-trained models (DDPM, Score Matching, ScoreFlow)"
	}
	return ClaimText(id)
}

// Claims tests the paper's four claims on every data set of r from the
// means and standard errors of its rows. A claim that an ordering holds
// compares FM w/ OT (or FM w/ Diffusion) with the paper's other rows; the
// extra rows (OT-CFM, 2-RF) are reported in the evidence but are not part
// of the comparison. When the winner's lead is under two standard errors
// of the difference the evidence says that the ordering is not resolved.
//
// On a partial file (a run that has not finished every model) a claim
// whose rows are still to run is not tested, and the others are tested on
// the seeds finished so far: the evidence marks a row with fewer seeds
// than the scale runs ("1 of 2 seeds"; with one, no standard error over
// seeds) and says that the verdict is provisional.
func Claims(r *Results) []Claim {
	var out []Claim
	for _, d := range r.Scale.Data {
		out = append(out, claimFewestNFE(r, d), claimBest(r, d), claimDiffusionNFE(r, d), claimStraight(r, d))
	}
	if !r.Complete() {
		done, total := r.Done()
		for i := range out {
			if out[i].Verdict != NotTested {
				out[i].Evidence += fmt.Sprintf(". Provisional: %d of %d models of the run are finished", done, total)
			}
		}
	}
	return out
}

type entry struct {
	key, name string
	st        Stat
	note      string // seedsNote of the row
}

// text is the entry's value with verb and its seeds note.
func (e entry) text(verb string) string { return fmtStat(e.st, verb) + e.note }

// ranked returns the paper rows with a finite value of f, lowest mean first,
// and the paper rows that are missing or unmeasured.
func ranked(r *Results, data string, keys []string, f func(*Row) Stat) (got []entry, missing []string) {
	for _, k := range keys {
		row := r.Row(data, k)
		if row == nil || !f(row).Mean.OK() {
			missing = append(missing, methodName(k))
			continue
		}
		got = append(got, entry{k, row.Method.Name, f(row), seedsNote(r, row)})
	}
	sort.SliceStable(got, func(i, j int) bool { return got[i].st.Mean < got[j].st.Mean })
	return got, missing
}

// fmtStat formats mean +- se with the given verb ("%.1f").
func fmtStat(st Stat, verb string) string {
	if !st.Mean.OK() {
		return "n/a"
	}
	s := fmt.Sprintf(verb, float64(st.Mean))
	if st.SE.OK() {
		s += " +- " + fmt.Sprintf(verb, float64(st.SE))
	}
	return s
}

// lead describes by how much a (the lower) beats b, in standard errors of
// the difference when both have one.
func lead(a, b Stat, verb string) string {
	d := float64(b.Mean - a.Mean)
	s := fmt.Sprintf("by "+verb, d)
	if se, ok := diffSE(a, b); ok {
		if se > 0 {
			z := d / se
			s += fmt.Sprintf(" (%.1f SE", z)
			if z < 2 {
				s += ": within the noise, not resolved"
			}
			s += ")"
		} else {
			s += " (both without spread: every repetition gave the same value)"
		}
	} else {
		s += " (no error bar)"
	}
	return s
}

// diffSE is the standard error of the difference of two means,
// sqrt(SE_a^2 + SE_b^2), and whether both have one.
func diffSE(a, b Stat) (float64, bool) {
	if !a.SE.OK() || !b.SE.OK() {
		return 0, false
	}
	return math.Hypot(float64(a.SE), float64(b.SE)), true
}

func listing(es []entry, verb string) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.name + " " + e.text(verb)
	}
	return strings.Join(parts, ", ")
}

func extras(r *Results, data string, f func(*Row) Stat, verb string) string {
	var parts []string
	for _, k := range r.Scale.Methods {
		if isPaperKey(r, k) {
			continue
		}
		if row := r.Row(data, k); row != nil && f(row).Mean.OK() {
			parts = append(parts, row.Method.Name+" "+fmtStat(f(row), verb)+seedsNote(r, row))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; extra rows (not in the comparison): " + strings.Join(parts, ", ")
}

func isPaperKey(r *Results, k string) bool {
	for _, p := range paperKeysOf(r) {
		if p == k {
			return true
		}
	}
	return false
}

func notTested(r *Results, id int, data string, missing []string) Claim {
	ev := "needs " + strings.Join(missing, ", ") + ", which this scale did not run or could not measure"
	if !r.Complete() {
		ev += " (or which this partial run has not finished yet)"
		var pending []string
		for _, k := range r.Scale.Methods {
			if stillToRun(r, data, k) && slices.Contains(missing, methodName(k)) {
				pending = append(pending, methodName(k))
			}
		}
		if len(pending) == len(missing) {
			ev = "needs " + strings.Join(missing, ", ") + ", still to run: this is a partial run"
		}
	}
	return Claim{ID: id, Data: data, Claim: claimText(r, id), Verdict: NotTested, Evidence: ev}
}

// minOf checks whether target has the lowest mean of the ranked entries
// and returns the evidence sentence.
func minOf(es []entry, target, what, verb string) (bool, string) {
	best := es[0]
	if best.key == target {
		if len(es) == 1 {
			return true, fmt.Sprintf("%s: %s", what, listing(es, verb))
		}
		return true, fmt.Sprintf("%s: %s; %s is lowest, ahead of %s %s", what, listing(es, verb), best.name, es[1].name, lead(best.st, es[1].st, verb))
	}
	var t entry
	for _, e := range es {
		if e.key == target {
			t = e
		}
	}
	return false, fmt.Sprintf("%s: %s; %s is lowest, ahead of %s %s", what, listing(es, verb), best.name, t.name, lead(best.st, t.st, verb))
}

func claimFewestNFE(r *Results, data string) Claim {
	f := func(row *Row) Stat { return row.NFE }
	es, missing := ranked(r, data, paperKeysOf(r), f)
	if len(missing) > 0 {
		return notTested(r, 1, data, missing)
	}
	ok, ev := minOf(es, "fm-ot", "Dopri5 NFE", "%.1f")
	v := DoesNotHold
	if ok {
		v = Holds
	}
	return Claim{ID: 1, Data: data, Claim: claimText(r, 1), Verdict: v, Evidence: ev + extras(r, data, f, "%.1f")}
}

func claimBest(r *Results, data string) Claim {
	type metric struct {
		what, verb string
		f          func(*Row) Stat
	}
	ms := []metric{{"NLL", "%.3f", func(row *Row) Stat { return row.NLL }}}
	fl := r.Floor(data)
	floorOf := map[string]Num{"energy distance": fl.Energy, "W2": fl.W2, "FID-MNIST": fl.FID}
	if r.Scale.IsImage() {
		ms = append(ms, metric{"FID-MNIST", "%.2f", func(row *Row) Stat { return row.FID }})
	} else {
		ms = append(ms, metric{"energy distance", "%.4f", func(row *Row) Stat { return row.Energy }},
			metric{"W2", "%.3f", func(row *Row) Stat { return row.W2 }})
	}
	held, tested := 0, 0
	var evs, miss []string
	for _, m := range ms {
		es, missing := ranked(r, data, paperKeysOf(r), m.f)
		if len(missing) > 0 {
			miss = append(miss, m.what+" of "+strings.Join(missing, ", "))
			continue
		}
		tested++
		ok, ev := minOf(es, "fm-ot", m.what, m.verb)
		if ok {
			held++
			ev = "holds for " + ev
		} else {
			ev = "not for " + ev
		}
		if f, ok := floorOf[m.what]; ok && f.OK() {
			ev += fmt.Sprintf(" (two held-out samples score "+m.verb+": the floor at this sample size)", float64(f))
		}
		evs = append(evs, ev+extras(r, data, m.f, m.verb))
	}
	if tested == 0 {
		return notTested(r, 2, data, miss)
	}
	v := Partly
	switch held {
	case tested:
		v = Holds
	case 0:
		v = DoesNotHold
	}
	ev := strings.Join(evs, ". ")
	if len(miss) > 0 {
		ev += ". Not measured: " + strings.Join(miss, "; ")
	}
	return Claim{ID: 2, Data: data, Claim: claimText(r, 2), Verdict: v, Evidence: ev}
}

func claimDiffusionNFE(r *Results, data string) Claim {
	f := func(row *Row) Stat { return row.NFE }
	es, missing := ranked(r, data, append(diffusionKeysOf(r), "fm-diff"), f)
	if len(missing) > 0 {
		return notTested(r, 3, data, missing)
	}
	var fm entry
	for _, e := range es {
		if e.key == "fm-diff" {
			fm = e
		}
	}
	beaten := 0
	var parts []string
	for _, e := range es {
		if e.key == "fm-diff" {
			continue
		}
		if fm.st.Mean < e.st.Mean {
			beaten++
			parts = append(parts, fmt.Sprintf("fewer than %s (%s) %s", e.name, e.text("%.1f"), lead(fm.st, e.st, "%.1f")))
		} else {
			parts = append(parts, fmt.Sprintf("not fewer than %s (%s): %s is lower %s", e.name, e.text("%.1f"), e.name, lead(e.st, fm.st, "%.1f")))
		}
	}
	v := Partly
	switch beaten {
	case len(es) - 1:
		v = Holds
	case 0:
		v = DoesNotHold
	}
	ev := fmt.Sprintf("FM w/ Diffusion NFE %s: %s", fm.text("%.1f"), strings.Join(parts, "; "))
	return Claim{ID: 3, Data: data, Claim: claimText(r, 3), Verdict: v, Evidence: ev}
}

func claimStraight(r *Results, data string) Claim {
	var missing []string
	rows := map[string]*Row{}
	for _, k := range paperKeysOf(r) {
		if rows[k] = r.Row(data, k); rows[k] == nil || len(rows[k].Fixed) == 0 {
			missing = append(missing, methodName(k))
		}
	}
	if len(missing) > 0 {
		return notTested(r, 4, data, missing)
	}
	won := 0
	var parts []string
	nfes := rows["fm-ot"].Fixed
	for i, fp := range nfes {
		f := func(row *Row) Stat {
			if i < len(row.Fixed) {
				return row.Fixed[i].Error
			}
			return Stat{Mean: Num(math.NaN())}
		}
		es, miss := ranked(r, data, paperKeysOf(r), f)
		if len(miss) > 0 || len(es) == 0 {
			parts = append(parts, fmt.Sprintf("NFE %d: not measured", fp.NFE))
			continue
		}
		if es[0].key == "fm-ot" {
			won++
			p := fmt.Sprintf("NFE %d: FM w/ OT %s is lowest", fp.NFE, es[0].text("%.3g"))
			if len(es) > 1 {
				p += fmt.Sprintf(" (next %s %s)", es[1].name, es[1].text("%.3g"))
			}
			parts = append(parts, p)
		} else {
			parts = append(parts, fmt.Sprintf("NFE %d: %s %s is lowest, FM w/ OT %s", fp.NFE, es[0].name, es[0].text("%.3g"), fmtStat(fp.Error, "%.3g")+seedsNote(r, rows["fm-ot"])))
		}
	}
	v := Partly
	switch won {
	case len(nfes):
		v = Holds
	case 0:
		v = DoesNotHold
	}
	ev := fmt.Sprintf("RMS distance of %s samples to the model's own Dopri5 samples (same noise): ", r.Scale.Fixed.Solver) + strings.Join(parts, "; ")
	return Claim{ID: 4, Data: data, Claim: claimText(r, 4), Verdict: v, Evidence: ev}
}
