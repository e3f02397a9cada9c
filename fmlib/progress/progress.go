package progress

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// Status is one snapshot of a loop.
type Status struct {
	Title string // what runs, e.g. "training checkerboard"
	Step  int64  // steps done so far (counting steps of earlier, resumed runs)
	Total int64  // steps the run goes to; 0 if unknown
	Start int64  // step this process started from (> 0 after a resume)

	Loss    float64 // loss of the last step; NaN if none
	AvgLoss float64 // mean loss over the recent steps; NaN if none

	StepsPerSec   float64       // recent rate (this process)
	SamplesPerSec float64       // StepsPerSec times the batch size; 0 if unknown
	Elapsed       time.Duration // wall time of this process's loop
	ETA           time.Duration // estimated time left; < 0 if unknown

	Done bool   // the loop ended (finished, interrupted or failed)
	Note string // a last word: "checkpoint saved at step 1200", "interrupted", an error
}

// Fraction is Step/Total in [0, 1], or 0 when Total is unknown.
func (s Status) Fraction() float64 {
	if s.Total <= 0 {
		return 0
	}
	return math.Min(1, math.Max(0, float64(s.Step)/float64(s.Total)))
}

// Text is the one-line summary every reporter shows:
//
//	step 1200/3000 (40%) | loss 0.8123 (avg 0.8311) | 812 steps/s, 207,872 samples/s | 1.5s elapsed, 2.2s left
func (s Status) Text() string {
	var b strings.Builder
	if s.Title != "" {
		b.WriteString(s.Title)
		b.WriteString(": ")
	}
	if s.Total > 0 {
		fmt.Fprintf(&b, "step %d/%d (%.0f%%)", s.Step, s.Total, 100*s.Fraction())
	} else {
		fmt.Fprintf(&b, "step %d", s.Step)
	}
	if s.Start > 0 {
		fmt.Fprintf(&b, ", resumed at %d", s.Start)
	}
	if !math.IsNaN(s.Loss) {
		fmt.Fprintf(&b, " | loss %.4g", s.Loss)
		if !math.IsNaN(s.AvgLoss) {
			fmt.Fprintf(&b, " (avg %.4g)", s.AvgLoss)
		}
	}
	if s.StepsPerSec > 0 {
		fmt.Fprintf(&b, " | %s steps/s", rate(s.StepsPerSec))
		if s.SamplesPerSec > 0 {
			fmt.Fprintf(&b, ", %s samples/s", rate(s.SamplesPerSec))
		}
	}
	fmt.Fprintf(&b, " | %s elapsed", Duration(s.Elapsed))
	if !s.Done && s.ETA >= 0 {
		fmt.Fprintf(&b, ", %s left", Duration(s.ETA))
	}
	if s.Note != "" {
		b.WriteString(" | ")
		b.WriteString(s.Note)
	}
	return b.String()
}

// rate formats a rate with 3 significant digits and thousands separators.
func rate(r float64) string {
	switch {
	case r >= 100:
		return thousands(int64(math.Round(r)))
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	default:
		return fmt.Sprintf("%.2f", r)
	}
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Duration formats d for humans: 850ms, 12.3s, 4m05s, 1h02m.
func Duration(d time.Duration) string {
	switch {
	case d < 0:
		return "?"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		m := int(d / time.Minute)
		return fmt.Sprintf("%dm%02ds", m, int((d-time.Duration(m)*time.Minute)/time.Second))
	default:
		h := int(d / time.Hour)
		return fmt.Sprintf("%dh%02dm", h, int((d-time.Duration(h)*time.Hour)/time.Minute))
	}
}

// Reporter receives the status of a loop after every step (throttling is
// the reporter's job) and once more with Done set at the end.
type Reporter interface {
	Report(Status)
}

// DefaultInterval is the shortest time between two displayed updates: fast
// enough to look live, slow enough to cost nothing next to a training step.
const DefaultInterval = 250 * time.Millisecond

// throttle passes the first status, the final one, and at most one per interval.
type throttle struct {
	interval time.Duration
	last     time.Time
	started  bool
	now      func() time.Time
}

func (t *throttle) pass(s Status) bool {
	now := t.now()
	if !t.started || s.Done || now.Sub(t.last) >= t.interval {
		t.started = true
		t.last = now
		return true
	}
	return false
}

func newThrottle(interval time.Duration) throttle {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return throttle{interval: interval, now: time.Now}
}

// Terminal rewrites one line of w (a terminal) with a carriage return and
// ends it with a newline when the loop is done.
type Terminal struct {
	W        io.Writer
	Interval time.Duration // 0 means DefaultInterval
	mu       sync.Mutex
	th       *throttle
	width    int
}

// Report implements Reporter.
func (r *Terminal) Report(s Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.th == nil {
		th := newThrottle(r.Interval)
		r.th = &th
	}
	if !r.th.pass(s) {
		return
	}
	line := bar(s.Fraction(), 20) + " " + s.Text()
	pad := ""
	if n := len(line); n < r.width {
		pad = strings.Repeat(" ", r.width-n) // erase the rest of a longer previous line
	}
	r.width = len(line)
	end := ""
	if s.Done {
		end = "\n"
	}
	fmt.Fprintf(r.W, "\r%s%s%s", line, pad, end)
}

// bar draws [#####.....] with n cells.
func bar(frac float64, n int) string {
	k := int(math.Round(frac * float64(n)))
	return "[" + strings.Repeat("#", k) + strings.Repeat(".", n-k) + "]"
}

// Lines writes one line per update to W, at most one per Every fraction of
// the run (default 0.1) and at least Interval apart, plus the final line.
// When Total is unknown it writes at most one line per MinGap (default 10 s).
type Lines struct {
	W      io.Writer
	Every  float64       // fraction of Total between lines; 0 means 0.1
	MinGap time.Duration // shortest time between lines when Total is unknown; 0 means 10s
	mu     sync.Mutex
	next   float64
	last   time.Time
	begun  bool
}

// Report implements Reporter.
func (r *Lines) Report(s Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	every := r.Every
	if every <= 0 {
		every = 0.1
	}
	gap := r.MinGap
	if gap <= 0 {
		gap = 10 * time.Second
	}
	show := !r.begun || s.Done
	if !show && s.Total > 0 && s.Step >= s.Total {
		return // the final status (Done) follows with the same figures
	}
	if !show {
		if s.Total > 0 {
			show = s.Fraction() >= r.next
		} else {
			show = time.Since(r.last) >= gap
		}
	}
	if !show {
		return
	}
	r.begun = true
	r.last = time.Now()
	r.next = (math.Floor(s.Fraction()/every) + 1) * every
	fmt.Fprintln(r.W, s.Text())
}

// Notebook shows the status as an HTML block in the current GoNB cell,
// replaced in place on every update. Outside a notebook it does nothing
// (use Auto to fall back to a terminal).
type Notebook struct {
	Interval time.Duration // 0 means DefaultInterval
	mu       sync.Mutex
	id       string
	th       *throttle
}

// Report implements Reporter.
func (r *Notebook) Report(s Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !gonbui.IsNotebook {
		return
	}
	if r.th == nil {
		th := newThrottle(r.Interval)
		r.th = &th
		r.id = "gofm_progress_" + gonbui.UniqueID()
	}
	if !r.th.pass(s) {
		return
	}
	gonbui.UpdateHTML(r.id, HTML(s))
	if s.Done {
		// Flush before the cell's program may exit, or the last update can be lost.
		gonbui.Sync()
	}
}

// HTML renders s as the block Notebook shows: a progress bar and the text.
func HTML(s Status) string {
	color := "#4c78a8"
	if s.Done && s.Total > 0 && s.Step < s.Total {
		color = "#e45756" // stopped early: interrupted or failed
	}
	pct := 100 * s.Fraction()
	return fmt.Sprintf(`<div style="font-family:monospace;font-size:90%%">`+
		`<div style="width:360px;height:10px;border:1px solid #999;border-radius:3px;overflow:hidden">`+
		`<div style="width:%.1f%%;height:100%%;background:%s"></div></div>%s</div>`,
		pct, color, html.EscapeString(s.Text()))
}

// Auto returns the reporter for where the program runs: Notebook inside a
// GoNB cell, Terminal when stderr is a terminal, Lines on stderr otherwise.
func Auto() Reporter {
	if gonbui.IsNotebook {
		return &Notebook{}
	}
	if isTerminal(os.Stderr) {
		return &Terminal{W: os.Stderr}
	}
	return &Lines{W: os.Stderr}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Discard is a Reporter that shows nothing.
var Discard Reporter = discard{}

type discard struct{}

func (discard) Report(Status) {}

// Meter turns step completions into Status values: it keeps the rate (an
// exponential moving average), the recent mean loss and the time left.
type Meter struct {
	Title string
	Total int64 // target step count; 0 if unknown
	Batch int   // samples per step, for SamplesPerSec; 0 if unknown

	start     time.Time
	startStep int64
	lastTime  time.Time
	lastStep  int64
	rate      float64
	losses    []float64 // ring of recent losses
	pos       int
	now       func() time.Time
}

// lossWindow is how many recent steps AvgLoss averages: long enough to
// smooth minibatch noise, short enough to show the trend.
const lossWindow = 100

// NewMeter starts measuring at step (the step count already done).
func NewMeter(title string, step, total int64, batch int) *Meter {
	m := &Meter{Title: title, Total: total, Batch: batch, now: time.Now}
	m.start = m.now()
	m.lastTime = m.start
	m.startStep, m.lastStep = step, step
	return m
}

// Observe records that the loop is at step after a step with loss, and
// returns the status to report.
func (m *Meter) Observe(step int64, loss float64) Status {
	now := m.now()
	if dt := now.Sub(m.lastTime).Seconds(); dt > 0 && step > m.lastStep {
		inst := float64(step-m.lastStep) / dt
		// Smoothing time: 10% of the elapsed time, at least 1 s.
		tau := math.Max(1, 0.1*now.Sub(m.start).Seconds())
		w := 1 - math.Exp(-dt/tau)
		if m.rate == 0 {
			w = 1
		}
		m.rate += w * (inst - m.rate)
		m.lastTime, m.lastStep = now, step
	}
	if len(m.losses) < lossWindow {
		m.losses = append(m.losses, loss)
	} else {
		m.losses[m.pos] = loss
		m.pos = (m.pos + 1) % lossWindow
	}
	return m.status(step, loss)
}

// Final returns the closing status (Done set) with note.
func (m *Meter) Final(step int64, note string) Status {
	loss := math.NaN()
	if len(m.losses) > 0 {
		last := m.pos - 1
		if len(m.losses) < lossWindow {
			last = len(m.losses) - 1
		} else if last < 0 {
			last = lossWindow - 1
		}
		loss = m.losses[last]
	}
	s := m.status(step, loss)
	// The overall rate of this process is the honest figure at the end.
	if el := s.Elapsed.Seconds(); el > 0 && step > m.startStep {
		s.StepsPerSec = float64(step-m.startStep) / el
		s.SamplesPerSec = s.StepsPerSec * float64(m.Batch)
	}
	s.Done, s.Note, s.ETA = true, note, 0
	return s
}

func (m *Meter) status(step int64, loss float64) Status {
	avg := math.NaN()
	if len(m.losses) > 0 {
		sum := 0.0
		for _, l := range m.losses {
			sum += l
		}
		avg = sum / float64(len(m.losses))
	}
	eta := time.Duration(-1)
	if m.Total > 0 && m.rate > 0 {
		eta = time.Duration(float64(max(0, m.Total-step)) / m.rate * float64(time.Second))
	}
	return Status{
		Title: m.Title, Step: step, Total: m.Total, Start: m.startStep,
		Loss: loss, AvgLoss: avg,
		StepsPerSec: m.rate, SamplesPerSec: m.rate * float64(m.Batch),
		Elapsed: m.now().Sub(m.start), ETA: eta,
	}
}
