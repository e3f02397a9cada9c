package plots

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
)

// The APNG tests read the output with a chunk parser of their own (not the
// encoder's readChunks), so that a misreading of the format is not shared
// by encoder and test.

type testChunk struct {
	typ  string
	data []byte
}

// parseTestChunks splits an APNG into chunks, failing the test on a bad
// signature, a truncated chunk or a wrong CRC.
func parseTestChunks(t *testing.T, b []byte) []testChunk {
	t.Helper()
	sig := []byte("\x89PNG\r\n\x1a\n")
	if !bytes.HasPrefix(b, sig) {
		t.Fatalf("output starts with %x, want the PNG signature %x", b[:min(8, len(b))], sig)
	}
	b = b[8:]
	var out []testChunk
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("%d trailing bytes, too few for a chunk", len(b))
		}
		n := int(binary.BigEndian.Uint32(b[:4]))
		if 12+n > len(b) {
			t.Fatalf("chunk %q claims %d bytes, only %d left", b[4:8], n, len(b)-12)
		}
		c := testChunk{typ: string(b[4:8]), data: b[8 : 8+n]}
		crc := binary.BigEndian.Uint32(b[8+n : 12+n])
		h := crc32.NewIEEE()
		h.Write(b[4:8])
		h.Write(c.data)
		if crc != h.Sum32() {
			t.Errorf("chunk %d (%s): CRC %08x, want %08x", len(out), c.typ, crc, h.Sum32())
		}
		out = append(out, c)
		b = b[12+n:]
	}
	return out
}

// testPNGChunk returns one chunk with its length and CRC.
func testPNGChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// samePixels fails unless got and want have the same size and identical
// 8-bit non-premultiplied colours at every pixel: PNG is lossless, so the
// tolerance is zero.
func samePixels(t *testing.T, what string, got, want image.Image) {
	t.Helper()
	gb, wb := got.Bounds(), want.Bounds()
	if gb.Dx() != wb.Dx() || gb.Dy() != wb.Dy() {
		t.Fatalf("%s: size %v, want %v", what, gb.Size(), wb.Size())
	}
	bad := 0
	for y := range wb.Dy() {
		for x := range wb.Dx() {
			g := color.NRGBAModel.Convert(got.At(gb.Min.X+x, gb.Min.Y+y))
			w := color.NRGBAModel.Convert(want.At(wb.Min.X+x, wb.Min.Y+y))
			if g != w {
				if bad < 3 {
					t.Errorf("%s: pixel (%d, %d) = %v, want %v", what, x, y, g, w)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d pixels differ", what, bad, wb.Dx()*wb.Dy())
	}
}

func solidNRGBA(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

// noiseRGBA returns an opaque image of random pixels; noise does not
// compress, so image/png splits it over several IDAT chunks.
func noiseRGBA(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 2))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.Uint32())
		if i%4 == 3 {
			m.Pix[i] = 255
		}
	}
	return m
}

// offsetGray is a grey ramp whose bounds do not start at (0, 0), to check
// that frames of other image types and origins are converted correctly.
func offsetGray(w, h int) *image.Gray {
	m := image.NewGray(image.Rect(5, 7, 5+w, 7+h))
	for y := range h {
		for x := range w {
			m.SetGray(5+x, 7+y, color.Gray{Y: uint8(10*x + 30*y)})
		}
	}
	return m
}

// apngFrame is what the test reads back about one frame.
type apngFrame struct {
	fctl []byte
	data [][]byte // IDAT data, or fdAT data without the sequence number
}

func TestAPNG(t *testing.T) {
	red := color.NRGBA{R: 255, A: 255}
	green := color.NRGBA{G: 200, A: 255}
	blue := color.NRGBA{B: 255, A: 255}
	cases := []struct {
		name   string
		frames []image.Image
		delay  time.Duration
		loops  int
		opts   []AnimOption
		// want delays as (num, den) per frame: exact, they are integers.
		wantDelays [][2]uint16
		// minChunks is the least number of IDAT/fdAT chunks expected per
		// frame (noise frames are larger than image/png's 32 KiB chunks).
		minChunks int
	}{
		{
			name:       "three solid colours, forever",
			frames:     []image.Image{solidNRGBA(4, 3, red), solidNRGBA(4, 3, green), solidNRGBA(4, 3, blue)},
			delay:      100 * time.Millisecond,
			loops:      0,
			wantDelays: [][2]uint16{{100, 1000}, {100, 1000}, {100, 1000}},
			minChunks:  1,
		},
		{
			name:   "mixed image types, per-frame delays, hold, 3 plays",
			frames: []image.Image{offsetGray(6, 5), solidNRGBA(6, 5, blue), noiseRGBA(6, 5, 1)},
			loops:  3,
			opts: []AnimOption{FrameDelays(40*time.Millisecond, 1500*time.Microsecond, 70*time.Second),
				HoldLast(2 * time.Second)},
			// 1.5 ms rounds to 2 ms; 70 s > 65.535 s switches to hundredths,
			// but HoldLast replaces it with 2 s.
			wantDelays: [][2]uint16{{40, 1000}, {2, 1000}, {2000, 1000}},
			minChunks:  1,
		},
		{
			name:       "translucent frames",
			frames:     []image.Image{solidNRGBA(3, 2, color.NRGBA{R: 255, A: 128}), solidNRGBA(3, 2, color.NRGBA{B: 90, A: 0})},
			delay:      90 * time.Second, // 9000 hundredths
			loops:      1,
			wantDelays: [][2]uint16{{9000, 100}, {9000, 100}},
			minChunks:  1,
		},
		{
			name:       "one frame",
			frames:     []image.Image{solidNRGBA(2, 2, green)},
			delay:      time.Second,
			wantDelays: [][2]uint16{{1000, 1000}},
			minChunks:  1,
		},
		{
			name: "large noise frames need several fdAT chunks",
			// 160 x 120 x 3 bytes = 57600 > 32768: at least 2 chunks.
			frames:     []image.Image{noiseRGBA(160, 120, 1), noiseRGBA(160, 120, 2), noiseRGBA(160, 120, 3)},
			delay:      50 * time.Millisecond,
			wantDelays: [][2]uint16{{50, 1000}, {50, 1000}, {50, 1000}},
			minChunks:  2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := APNG(tc.frames, tc.delay, tc.loops, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			w, h := tc.frames[0].Bounds().Dx(), tc.frames[0].Bounds().Dy()

			// (a) A plain PNG decoder sees frame 0.
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("image/png cannot decode the APNG: %v", err)
			}
			samePixels(t, "png.Decode", img, tc.frames[0])

			// (b) Chunk order, acTL, sequence numbers, fcTL fields.
			chunks := parseTestChunks(t, b)
			var types []string
			for _, c := range chunks {
				types = append(types, c.typ)
			}
			order := regexp.MustCompile(`^IHDR acTL fcTL (IDAT )+(fcTL (fdAT )+)*IEND$`)
			if s := strings.Join(types, " "); !order.MatchString(s) {
				t.Fatalf("chunk order %s, want IHDR acTL fcTL IDAT... (fcTL fdAT...)* IEND", s)
			}
			ihdr := chunks[0].data
			if gw, gh := binary.BigEndian.Uint32(ihdr[0:]), binary.BigEndian.Uint32(ihdr[4:]); int(gw) != w || int(gh) != h {
				t.Errorf("IHDR size %d x %d, want %d x %d", gw, gh, w, h)
			}
			actl := chunks[1].data
			if len(actl) != 8 {
				t.Fatalf("acTL has %d bytes, want 8", len(actl))
			}
			if n := binary.BigEndian.Uint32(actl[0:]); int(n) != len(tc.frames) {
				t.Errorf("acTL num_frames = %d, want %d", n, len(tc.frames))
			}
			if n := binary.BigEndian.Uint32(actl[4:]); int(n) != tc.loops {
				t.Errorf("acTL num_plays = %d, want %d", n, tc.loops)
			}
			var frames []apngFrame
			wantSeq := uint32(0)
			for _, c := range chunks[2:] {
				switch c.typ {
				case "fcTL", "fdAT":
					if got := binary.BigEndian.Uint32(c.data); got != wantSeq {
						t.Errorf("%s sequence number %d, want %d", c.typ, got, wantSeq)
					}
					wantSeq++
				}
				switch c.typ {
				case "fcTL":
					frames = append(frames, apngFrame{fctl: c.data})
				case "IDAT":
					frames[0].data = append(frames[0].data, c.data)
				case "fdAT":
					k := len(frames) - 1
					frames[k].data = append(frames[k].data, c.data[4:])
				}
			}
			if len(frames) != len(tc.frames) {
				t.Fatalf("%d fcTL chunks, want %d", len(frames), len(tc.frames))
			}
			for k, f := range frames {
				if len(f.fctl) != 26 {
					t.Fatalf("frame %d: fcTL has %d bytes, want 26", k, len(f.fctl))
				}
				be := binary.BigEndian
				got := [...]uint32{be.Uint32(f.fctl[4:]), be.Uint32(f.fctl[8:]), be.Uint32(f.fctl[12:]), be.Uint32(f.fctl[16:]),
					uint32(be.Uint16(f.fctl[20:])), uint32(be.Uint16(f.fctl[22:])), uint32(f.fctl[24]), uint32(f.fctl[25])}
				want := [...]uint32{uint32(w), uint32(h), 0, 0,
					uint32(tc.wantDelays[k][0]), uint32(tc.wantDelays[k][1]), 0, 0}
				if got != want {
					t.Errorf("frame %d: fcTL (width, height, x, y, delay_num, delay_den, dispose, blend) = %v, want %v", k, got, want)
				}
				if len(f.data) < tc.minChunks {
					t.Errorf("frame %d: %d data chunks, want at least %d", k, len(f.data), tc.minChunks)
				}

				// (c) Frame k's data with the shared IHDR is a PNG of frame k.
				var syn bytes.Buffer
				syn.WriteString("\x89PNG\r\n\x1a\n")
				syn.Write(testPNGChunk("IHDR", ihdr))
				syn.Write(testPNGChunk("IDAT", bytes.Join(f.data, nil)))
				syn.Write(testPNGChunk("IEND", nil))
				img, err := png.Decode(&syn)
				if err != nil {
					t.Fatalf("frame %d: decoding the reassembled PNG: %v", k, err)
				}
				samePixels(t, fmt.Sprintf("frame %d", k), img, tc.frames[k])
			}

			if dir := os.Getenv("PLOTS_DEMO_DIR"); dir != "" {
				name := strings.NewReplacer(" ", "_", ",", "").Replace(tc.name)
				if err := os.WriteFile(filepath.Join(dir, "apng_"+name+".png"), b, 0o644); err != nil {
					t.Error(err)
				}
			}

			// EncodeAPNG writes the same bytes.
			var buf bytes.Buffer
			if err := EncodeAPNG(&buf, tc.frames, tc.delay, tc.loops, tc.opts...); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), b) {
				t.Error("EncodeAPNG and APNG wrote different bytes")
			}
		})
	}
}

func TestDelayFraction(t *testing.T) {
	// Results are exact integers: no tolerance.
	cases := []struct {
		d        time.Duration
		num, den uint16
		err      string
	}{
		{d: 100 * time.Millisecond, num: 100, den: 1000},
		{d: time.Millisecond, num: 1, den: 1000},                         // smallest allowed
		{d: 1499 * time.Microsecond, num: 1, den: 1000},                  // rounds down
		{d: 1500 * time.Microsecond, num: 2, den: 1000},                  // half rounds up
		{d: 65535 * time.Millisecond, num: 65535, den: 1000},             // largest in ms
		{d: 65536 * time.Millisecond, num: 6554, den: 100},               // next: hundredths
		{d: 65535 * 10 * time.Millisecond, num: 65535, den: 100},         // largest of all
		{d: 65535*10*time.Millisecond + 5*time.Millisecond, err: "long"}, // rounds to 65536 hundredths
		{d: 999 * time.Microsecond, err: "at least 1ms"},
		{d: 0, err: "at least 1ms"},
		{d: -time.Second, err: "at least 1ms"},
	}
	for _, tc := range cases {
		num, den, err := delayFraction(tc.d)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("delayFraction(%v): err = %v, want one containing %q", tc.d, err, tc.err)
			}
			continue
		}
		if err != nil || num != tc.num || den != tc.den {
			t.Errorf("delayFraction(%v) = %d/%d, %v; want %d/%d", tc.d, num, den, err, tc.num, tc.den)
		}
	}
}

func TestAPNGErrors(t *testing.T) {
	ok := solidNRGBA(4, 4, color.NRGBA{R: 9, A: 255})
	okFrames := []image.Image{ok, ok}
	ms := time.Millisecond
	cases := []struct {
		name   string
		frames []image.Image
		delay  time.Duration
		loops  int
		opts   []AnimOption
		want   string // part of the error message
	}{
		{"no frames", nil, 100 * ms, 0, nil, "no frames given"},
		{"nil frame", []image.Image{ok, nil}, 100 * ms, 0, nil, "frame 1 is nil"},
		{"empty frame", []image.Image{image.NewRGBA(image.Rect(0, 0, 0, 3))}, 100 * ms, 0, nil, "frame 0 is empty"},
		{"sizes differ", []image.Image{ok, solidNRGBA(4, 5, color.NRGBA{A: 255})}, 100 * ms, 0, nil,
			"frame 1 is 4 x 5 pixels but frame 0 is 4 x 4: all frames must have the same size"},
		{"opaque then translucent", []image.Image{ok, solidNRGBA(4, 4, color.NRGBA{A: 7})}, 100 * ms, 0, nil,
			"frame 1 encodes as PNG colour type 6 (RGBA, with transparency) but frame 0 as 2 (RGB, opaque)"},
		{"zero delay", okFrames, 0, 0, nil, "frame 0: delay 0s is too short: need at least 1ms"},
		{"negative delay", okFrames, -ms, 0, nil, "need at least 1ms"},
		{"sub-millisecond delay", okFrames, 999 * time.Microsecond, 0, nil, "need at least 1ms"},
		{"delay too long", okFrames, 11 * time.Minute, 0, nil, "at most 655.35s"},
		{"bad FrameDelays entry", okFrames, 100 * ms, 0, []AnimOption{FrameDelays(100*ms, 0)}, "frame 1: delay 0s"},
		{"FrameDelays length", okFrames, 100 * ms, 0, []AnimOption{FrameDelays(100 * ms)}, "FrameDelays got 1 delays for 2 frames"},
		{"empty FrameDelays", okFrames, 100 * ms, 0, []AnimOption{FrameDelays()}, "FrameDelays got 0 delays for 2 frames"},
		{"HoldLast zero", okFrames, 100 * ms, 0, []AnimOption{HoldLast(0)}, "HoldLast: delay 0s is too short"},
		{"negative loops", okFrames, 100 * ms, -1, nil, "loops = -1: must be in [0, 2147483647], 0 meaning forever"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := EncodeAPNG(&buf, tc.frames, tc.delay, tc.loops, tc.opts...)
			if err == nil {
				t.Fatalf("no error, want one containing %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), "plots.EncodeAPNG: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want plots.EncodeAPNG: ...%s...", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
			if _, err := APNG(tc.frames, tc.delay, tc.loops, tc.opts...); err == nil || !strings.HasPrefix(err.Error(), "plots.APNG: ") {
				t.Errorf("APNG: err = %v, want a plots.APNG error", err)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncodeAPNGWriteError(t *testing.T) {
	err := EncodeAPNG(failWriter{}, []image.Image{solidNRGBA(2, 2, color.NRGBA{A: 255})}, time.Second, 0)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

func TestPlotFramesAnimation(t *testing.T) {
	// Points move on straight lines from a Gaussian cloud (t = 0) to a
	// ring (t = 1), as flow matching's linear interpolation paths do.
	const n, steps = 200, 12
	x0 := gaussCloud(n, 0, 0, 0.6, 3)
	x1 := make([][]float64, n)
	for i := range x1 {
		a := 2 * math.Pi * float64(i) / n
		x1[i] = []float64{2 * math.Cos(a), 2 * math.Sin(a)}
	}
	var ps []*plot.Plot
	for s := range steps {
		tt := float64(s) / (steps - 1)
		pts := make([][]float64, n)
		for i := range pts {
			pts[i] = []float64{(1-tt)*x0[i][0] + tt*x1[i][0], (1-tt)*x0[i][1] + tt*x1[i][1]}
		}
		p, err := Scatter(Options{Title: fmt.Sprintf("t = %.2f", tt), XRange: Range{Min: -3, Max: 3}, YRange: Range{Min: -3, Max: 3}, Equal: true},
			PointSet{Points: pts})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	const w, h = 240, 240 // small but with readable tick labels
	frames, err := PlotFrames(ps, w, h)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != steps {
		t.Fatalf("%d frames, want %d", len(frames), steps)
	}
	var prev []byte
	for k, f := range frames {
		if f.Bounds() != image.Rect(0, 0, w, h) {
			t.Fatalf("frame %d bounds %v, want (0,0)-(%d,%d)", k, f.Bounds(), w, h)
		}
		// Each frame must match PNG's rendering of the same plot exactly:
		// both draw the same plot on the same canvas.
		b, err := PNG(ps[k], w, h)
		if err != nil {
			t.Fatal(err)
		}
		img, _ := png.Decode(bytes.NewReader(b))
		samePixels(t, "PlotFrames vs PNG", f, img)
		pix := f.(*image.RGBA).Pix
		if prev != nil && bytes.Equal(prev, pix) {
			t.Errorf("frame %d equals frame %d: the points did not move", k, k-1)
		}
		prev = pix
	}
	b, err := APNG(frames, 80*time.Millisecond, 0, HoldLast(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != w || cfg.Height != h {
		t.Fatalf("DecodeConfig = %+v, %v; want %d x %d", cfg, err, w, h)
	}
	if dir := os.Getenv("PLOTS_DEMO_DIR"); dir != "" {
		if err := SaveAPNG(filepath.Join(dir, "flow.apng.png"), frames, 80*time.Millisecond, 0, HoldLast(time.Second)); err != nil {
			t.Error(err)
		}
	}

	// Bad input.
	for _, tc := range []struct {
		name  string
		plots []*plot.Plot
		w, h  int
		want  string
	}{
		{"no plots", nil, w, h, "plots.PlotFrames: no plots given"},
		{"nil plot", []*plot.Plot{ps[0], nil}, w, h, "plots.PlotFrames: plot 1 is nil"},
		{"too small", ps[:1], 10, h, "plots.PlotFrames: image size 10 x 240 pixels"},
	} {
		if _, err := PlotFrames(tc.plots, tc.w, tc.h); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestSaveAPNG(t *testing.T) {
	frames := []image.Image{solidNRGBA(3, 3, color.NRGBA{R: 1, A: 255}), solidNRGBA(3, 3, color.NRGBA{G: 2, A: 255})}
	path := filepath.Join(t.TempDir(), "a.png")
	if err := SaveAPNG(path, frames, time.Second, 2); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := APNG(frames, time.Second, 2)
	if !bytes.Equal(b, want) {
		t.Error("file differs from APNG's bytes")
	}
	for _, tc := range []struct{ path, want string }{
		{"", "plots.SaveAPNG: empty file path"},
		{filepath.Join(t.TempDir(), "no", "dir", "a.png"), "plots.SaveAPNG: open"},
	} {
		if err := SaveAPNG(tc.path, frames, time.Second, 0); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SaveAPNG(%q): err = %v, want one containing %q", tc.path, err, tc.want)
		}
	}
	if err := SaveAPNG(path, nil, time.Second, 0); err == nil || !strings.Contains(err.Error(), "plots.SaveAPNG: no frames") {
		t.Errorf("SaveAPNG without frames: err = %v", err)
	}
}

func TestDisplayAnimationOutsideNotebook(t *testing.T) {
	old := gonbui.IsNotebook
	gonbui.IsNotebook = false // tests never run under a GoNB kernel; make it explicit
	defer func() { gonbui.IsNotebook = old }()
	err := DisplayAnimation([]image.Image{solidNRGBA(2, 2, color.NRGBA{A: 255})}, time.Second, 0)
	if !errors.Is(err, ErrNotNotebook) || !strings.Contains(err.Error(), "SaveAPNG") {
		t.Errorf("err = %v, want ErrNotNotebook suggesting SaveAPNG", err)
	}
}
