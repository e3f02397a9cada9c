package table

import (
	"fmt"
	"slices"
	"strings"
)

// formerNames maps the names scales were written under before a rename to
// the names they have now. A results file keeps the name it was written
// with, so a recorded file of a renamed scale still reads as that scale's.
//
// On 2026-12-03 the U-Net run became the MNIST table: mnist-unet (and its
// -quick and -gpu variants) took the name mnist, and the MLP scales that
// had it became mnist-mlp and mnist-mlp-quick. The name mnist is thus
// ambiguous in files written before that day; sameExperiment tells them
// apart by their network.
var formerNames = map[string]string{
	"mnist-unet":       "mnist",
	"mnist-unet-quick": "mnist-quick",
	"mnist-unet-gpu":   "mnist-gpu",
	"mnist":            "mnist-mlp",
	"mnist-quick":      "mnist-mlp-quick",
}

// sameExperiment reports whether two scales train on the same data with
// the same kind of network: what no change of sizes or budget turns one
// scale into another (an MLP run is never a U-Net run).
func sameExperiment(a, b Scale) bool {
	return slices.Equal(a.Data, b.Data) && a.Base.Net == b.Base.Net && slices.Equal(a.Base.Hidden, b.Base.Hidden)
}

// netText names a scale's network for messages ("unet", "mlp 1024x1024x1024").
func netText(s Scale) string {
	if len(s.Base.Hidden) == 0 {
		return s.Base.Net
	}
	w := make([]string, len(s.Base.Hidden))
	for i, h := range s.Base.Hidden {
		w[i] = fmt.Sprint(h)
	}
	return s.Base.Net + " " + strings.Join(w, "x")
}

// heldScale returns the current name of the scale whose results r holds
// when that is not the scale s: r's own name, or the name a renamed
// scale has now (see formerNames). It returns "" when r holds results of
// s: written under s's name or a former one, with s's data and network.
// A file under s's name with another network (an MLP run recorded as
// mnist before the rename) is not s's.
func heldScale(r *Results, s Scale) string {
	named := r.Scale.Name == s.Name || formerNames[r.Scale.Name] == s.Name
	if named && sameExperiment(r.Scale, s) {
		return ""
	}
	for _, n := range []string{r.Scale.Name, formerNames[r.Scale.Name]} {
		if o, err := ScaleByName(n); err == nil && n != s.Name && sameExperiment(r.Scale, o) {
			return n
		}
	}
	if named { // s's name, another experiment, and no scale of today matches
		return r.Scale.Name + " (" + netText(r.Scale) + ", not " + netText(s) + ")"
	}
	return r.Scale.Name
}

// setupScaleName is the scale name in the set-ups of scale name (their
// Config.Name, "table-<it>/<method>"): the name the scale had when its
// models were first recorded. The set-up is compared whole when a recorded
// model, its weights or a checkpoint folder is reused, so a rename that
// changed it would orphan every model trained before.
func setupScaleName(name string) string {
	for former, now := range formerNames {
		if now == name {
			return former
		}
	}
	return name
}
