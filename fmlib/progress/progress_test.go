package progress

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// fakeClock advances only when told, so rates and ETAs are exact.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "?"},
		{850 * time.Millisecond, "850ms"},
		{12300 * time.Millisecond, "12.3s"},
		{4*time.Minute + 5*time.Second, "4m05s"},
		{time.Hour + 2*time.Minute + 30*time.Second, "1h02m"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	s := Status{Title: "train", Step: 1200, Total: 3000, Start: 1000, Loss: 0.81234, AvgLoss: 0.83111,
		StepsPerSec: 812.4, SamplesPerSec: 207974.4, Elapsed: 1500 * time.Millisecond, ETA: 2200 * time.Millisecond}
	want := "train: step 1200/3000 (40%), resumed at 1000 | loss 0.8123 (avg 0.8311) | 812 steps/s, 207,974 samples/s | 1.5s elapsed, 2.2s left"
	if got := s.Text(); got != want {
		t.Errorf("Text()\n got %q\nwant %q", got, want)
	}
	done := Status{Step: 5, Loss: math.NaN(), AvgLoss: math.NaN(), Done: true, Note: "interrupted", ETA: -1}
	if got, want := done.Text(), "step 5 | 0ms elapsed | interrupted"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}

func TestMeterRateAndETA(t *testing.T) {
	c := &fakeClock{t: time.Unix(0, 0)}
	m := NewMeter("x", 100, 1100, 32)
	m.now = c.now
	m.start, m.lastTime = c.t, c.t
	// 10 steps per second, steady: rate 10, ETA = remaining/10 s.
	var s Status
	for i := int64(1); i <= 50; i++ {
		c.t = c.t.Add(100 * time.Millisecond)
		s = m.Observe(100+i, float64(i))
	}
	// A steady rate is reproduced exactly by the moving average (up to rounding).
	if math.Abs(s.StepsPerSec-10) > 1e-9 {
		t.Errorf("rate = %v, want 10", s.StepsPerSec)
	}
	if math.Abs(s.SamplesPerSec-320) > 1e-6 {
		t.Errorf("samples/s = %v, want 320", s.SamplesPerSec)
	}
	wantETA := 95 * time.Second // (1100-150)/10
	if d := s.ETA - wantETA; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("ETA = %v, want %v", s.ETA, wantETA)
	}
	if s.AvgLoss != 25.5 { // mean of 1..50
		t.Errorf("AvgLoss = %v, want 25.5", s.AvgLoss)
	}
	if s.Start != 100 || s.Elapsed != 5*time.Second {
		t.Errorf("Start %d Elapsed %v, want 100 and 5s", s.Start, s.Elapsed)
	}
	// The loss window keeps only the last lossWindow losses.
	for i := int64(51); i <= 250; i++ {
		c.t = c.t.Add(100 * time.Millisecond)
		s = m.Observe(100+i, float64(i))
	}
	if want := (151.0 + 250.0) / 2; s.AvgLoss != want {
		t.Errorf("AvgLoss after wrap = %v, want %v", s.AvgLoss, want)
	}
	f := m.Final(350, "done")
	if !f.Done || f.Loss != 250 || f.ETA != 0 || f.Note != "done" {
		t.Errorf("Final = %+v", f)
	}
	if math.Abs(f.StepsPerSec-10) > 1e-9 {
		t.Errorf("final rate = %v, want 10", f.StepsPerSec)
	}
}

func TestMeterFollowsSlowdown(t *testing.T) {
	c := &fakeClock{t: time.Unix(0, 0)}
	m := NewMeter("", 0, 0, 0)
	m.now = c.now
	m.start, m.lastTime = c.t, c.t
	var s Status
	for i := int64(1); i <= 100; i++ { // 10 s at 10 steps/s
		c.t = c.t.Add(100 * time.Millisecond)
		s = m.Observe(i, 0)
	}
	for i := int64(101); i <= 120; i++ { // then 10 s at 2 steps/s
		c.t = c.t.Add(500 * time.Millisecond)
		s = m.Observe(i, 0)
	}
	// After 10 s at the new rate with a smoothing time of 1-2 s the average
	// has forgotten the old rate to within 1%.
	if math.Abs(s.StepsPerSec-2) > 0.02 {
		t.Errorf("rate after slow-down = %v, want about 2", s.StepsPerSec)
	}
	if s.ETA != -1 {
		t.Errorf("ETA with unknown total = %v, want -1", s.ETA)
	}
}

func TestTerminalThrottlesAndFinishes(t *testing.T) {
	var buf bytes.Buffer
	c := &fakeClock{t: time.Unix(0, 0)}
	r := &Terminal{W: &buf, Interval: time.Second}
	th := newThrottle(time.Second)
	th.now = c.now
	r.th = &th
	for i := int64(1); i <= 30; i++ { // 3 s of updates every 100 ms
		c.t = c.t.Add(100 * time.Millisecond)
		r.Report(Status{Step: i, Total: 30, Loss: math.NaN(), ETA: -1})
	}
	r.Report(Status{Step: 30, Total: 30, Loss: math.NaN(), Done: true})
	out := buf.String()
	// First update, then one per second (steps 11, 21), then the final one.
	if n := strings.Count(out, "\r"); n != 4 {
		t.Errorf("%d updates, want 4:\n%q", n, out)
	}
	if !strings.HasSuffix(out, "\n") || !strings.Contains(out, "[####################] step 30/30") {
		t.Errorf("final line missing or not ended:\n%q", out)
	}
}

func TestLinesEveryTenth(t *testing.T) {
	var buf bytes.Buffer
	r := &Lines{W: &buf}
	for i := int64(1); i <= 1000; i++ {
		r.Report(Status{Step: i, Total: 1000, Loss: 1, AvgLoss: 1, ETA: -1})
	}
	r.Report(Status{Step: 1000, Total: 1000, Loss: 1, AvgLoss: 1, Done: true})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// Step 1, then 100, 200, ..., 900 (9 lines; step 1000 is left to the
	// final line, which repeats its figures), then the final line.
	if len(lines) != 11 {
		t.Errorf("%d lines, want 11:\n%s", len(lines), buf.String())
	}
}

func TestHTMLEscapesAndColours(t *testing.T) {
	h := HTML(Status{Title: "<b>", Step: 5, Total: 10, Loss: math.NaN(), Done: true, Note: "interrupted"})
	if strings.Contains(h, "<b>:") || !strings.Contains(h, "&lt;b&gt;") {
		t.Errorf("title not escaped: %s", h)
	}
	if !strings.Contains(h, "#e45756") || !strings.Contains(h, "width:50.0%") {
		t.Errorf("stopped run should show a red bar at 50%%: %s", h)
	}
}
