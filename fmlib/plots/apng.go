package plots

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	stddraw "image/draw"
	"image/png"
	"io"
	"math"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
)

var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

// Frame control constants of the APNG specification.
const (
	apngDisposeNone = 0 // APNG_DISPOSE_OP_NONE: leave the frame as is
	apngBlendSource = 0 // APNG_BLEND_OP_SOURCE: overwrite, alpha included
)

// maxPNGUint is the largest value of a PNG four-byte unsigned integer (the
// PNG specification limits them to 2^31 - 1).
const maxPNGUint = math.MaxInt32

// AnimOption changes how EncodeAPNG, APNG, SaveAPNG and DisplayAnimation
// time the frames.
type AnimOption func(*animConfig)

type animConfig struct {
	delays []time.Duration // nil: every frame uses the delay argument
	hold   time.Duration   // the last frame's delay, if holdOn
	holdOn bool
}

// FrameDelays gives each frame its own delay: frame i is shown for
// delays[i]. It replaces the delay argument, and len(delays) must equal the
// number of frames.
func FrameDelays(delays ...time.Duration) AnimOption {
	d := make([]time.Duration, len(delays)) // non-nil even when empty
	copy(d, delays)
	return func(c *animConfig) { c.delays = d }
}

// HoldLast shows the last frame for d instead of its usual delay, so that
// the end state (e.g. the samples at t = 1) stays visible before the
// animation starts over. It takes precedence over FrameDelays for the last
// frame.
func HoldLast(d time.Duration) AnimOption {
	return func(c *animConfig) { c.hold, c.holdOn = d, true }
}

// delayFraction writes d as delay_num/delay_den seconds with 16-bit
// numerator and denominator: milliseconds (den 1000) up to 65.535 s, else
// hundredths of a second (den 100) up to 655.35 s. d is rounded to the
// nearest unit.
func delayFraction(d time.Duration) (num, den uint16, err error) {
	if d < time.Millisecond {
		return 0, 0, fmt.Errorf("delay %v is too short: need at least 1ms (e.g. 100*time.Millisecond for 10 frames per second)", d)
	}
	if ms := (d + time.Millisecond/2) / time.Millisecond; ms <= math.MaxUint16 {
		return uint16(ms), 1000, nil
	}
	const cs = 10 * time.Millisecond
	if n := (d + cs/2) / cs; n <= math.MaxUint16 {
		return uint16(n), 100, nil
	}
	return 0, 0, fmt.Errorf("delay %v is too long: APNG allows at most 655.35s per frame", d)
}

// pngChunk is one chunk of a PNG stream.
type pngChunk struct {
	typ  string
	data []byte
}

// readChunks splits a PNG stream (signature included) into its chunks and
// checks every CRC.
func readChunks(b []byte) ([]pngChunk, error) {
	if !bytes.HasPrefix(b, pngSignature) {
		return nil, errors.New("not a PNG stream (bad signature)")
	}
	b = b[len(pngSignature):]
	var out []pngChunk
	for len(b) > 0 {
		if len(b) < 12 {
			return nil, errors.New("truncated chunk")
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(n)+12 > uint64(len(b)) {
			return nil, errors.New("truncated chunk")
		}
		typ, data := b[4:8], b[8:8+n]
		if got, want := binary.BigEndian.Uint32(b[8+n:]), crc32.ChecksumIEEE(b[4:8+n]); got != want {
			return nil, fmt.Errorf("chunk %q: CRC %08x, want %08x", typ, got, want)
		}
		out = append(out, pngChunk{typ: string(typ), data: data})
		b = b[12+n:]
	}
	return out, nil
}

// chunkWriter writes PNG chunks, remembering the first error.
type chunkWriter struct {
	w   io.Writer
	err error
	hdr [8]byte
	crc [4]byte
}

func (cw *chunkWriter) write(typ string, parts ...[]byte) {
	if cw.err != nil {
		return
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	binary.BigEndian.PutUint32(cw.hdr[:4], uint32(n))
	copy(cw.hdr[4:], typ)
	h := crc32.NewIEEE()
	h.Write(cw.hdr[4:])
	for _, p := range parts {
		h.Write(p)
	}
	binary.BigEndian.PutUint32(cw.crc[:], h.Sum32())
	if _, cw.err = cw.w.Write(cw.hdr[:]); cw.err != nil {
		return
	}
	for _, p := range parts {
		if _, cw.err = cw.w.Write(p); cw.err != nil {
			return
		}
	}
	_, cw.err = cw.w.Write(cw.crc[:])
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// pngColorTypes names the PNG colour types image/png can write for the
// frames given to it here.
var pngColorTypes = map[byte]string{2: "RGB, opaque", 6: "RGBA, with transparency"}

// encodedFrame is one frame encoded by image/png: its IHDR data and the
// data of its IDAT chunks.
type encodedFrame struct {
	ihdr []byte
	idat [][]byte
}

// encodeFrame encodes img with image/png, after converting it to
// *image.NRGBA unless it is an *image.RGBA or *image.NRGBA already, so that
// every frame gets 8-bit RGB (all pixels opaque) or RGBA.
func encodeFrame(enc *png.Encoder, img image.Image) (encodedFrame, error) {
	switch img.(type) {
	case *image.RGBA, *image.NRGBA:
	default:
		b := img.Bounds()
		m := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		stddraw.Draw(m, m.Bounds(), img, b.Min, stddraw.Src)
		img = m
	}
	var buf bytes.Buffer
	if err := enc.Encode(&buf, img); err != nil {
		return encodedFrame{}, err
	}
	chunks, err := readChunks(buf.Bytes())
	if err != nil {
		return encodedFrame{}, fmt.Errorf("reading image/png output: %w", err)
	}
	var f encodedFrame
	for _, c := range chunks {
		switch c.typ {
		case "IHDR":
			f.ihdr = c.data
		case "IDAT":
			f.idat = append(f.idat, c.data)
		case "IEND":
		default:
			// Ancillary chunks (first letter lower case) are optional
			// extras and can be dropped; a critical one such as PLTE
			// would change how IDAT is read.
			if c.typ[0]&0x20 == 0 {
				return encodedFrame{}, fmt.Errorf("image/png wrote an unexpected critical chunk %q", c.typ)
			}
		}
	}
	if len(f.ihdr) != 13 || len(f.idat) == 0 {
		return encodedFrame{}, errors.New("image/png output lacks IHDR or IDAT")
	}
	return f, nil
}

// EncodeAPNG writes frames as an animated PNG (APNG) to w: each frame is
// shown for delay (rounded to the nearest millisecond; to 10 ms above
// 65.535 s), and the animation plays loops times, 0 meaning forever. opts
// can give frames their own delays (FrameDelays) or hold the last one longer
// (HoldLast).
//
// An APNG is a PNG with extra chunks that hold the further frames. Browsers
// play it in a plain <img> element, so it animates in Jupyter and in
// exported HTML; a viewer that does not know the chunks shows frame 0 as a
// still image.
//
// All frames must have the same size, and either all be fully opaque or all
// have some transparency: the frames share one PNG header, whose colour
// type image/png picks from the pixels (RGB when every pixel is opaque, RGBA
// otherwise). Frames of any image type are accepted; others than
// *image.RGBA and *image.NRGBA are converted to *image.NRGBA first. The
// whole animation is built in memory, and nothing is written to w on error.
// Browsers often stretch delays of 10 ms or less to 100 ms, so use 20 ms
// (50 frames per second) or more.
//
// Format. Each frame is encoded with image/png and its chunks are taken
// apart. All integers are big-endian; every chunk is length(4) type(4)
// data(length) CRC-32(4), the CRC (IEEE polynomial) taken over type and
// data. The stream is
//
//	signature  89 50 4E 47 0D 0A 1A 0A
//	IHDR       of frame 0 (all frames share it)
//	acTL       num_frames(4) num_plays(4)
//	fcTL       seq(4) width(4) height(4) x(4) y(4) delay_num(2) delay_den(2) dispose(1) blend(1)
//	IDAT ...   frame 0's zlib stream, as image/png wrote it
//	fcTL       frame 1
//	fdAT ...   seq(4) followed by a piece of frame 1's zlib stream
//	...        one fcTL and its fdATs for each further frame
//	IEND
//
// seq numbers count fcTL and fdAT chunks together, from 0, without gaps.
// Every frame covers the whole image (x = y = 0), is shown for
// delay_num/delay_den seconds, replaces what was there (blend op SOURCE)
// and stays in place afterwards (dispose op NONE).
func EncodeAPNG(w io.Writer, frames []image.Image, delay time.Duration, loops int, opts ...AnimOption) error {
	if err := encodeAPNG(w, frames, delay, loops, opts); err != nil {
		return fmt.Errorf("plots.EncodeAPNG: %w", err)
	}
	return nil
}

func encodeAPNG(w io.Writer, frames []image.Image, delay time.Duration, loops int, opts []AnimOption) error {
	if len(frames) == 0 {
		return errors.New("no frames given: need at least one image")
	}
	if len(frames) > maxPNGUint/2 {
		return fmt.Errorf("%d frames are too many for APNG", len(frames))
	}
	if loops < 0 || loops > maxPNGUint {
		return fmt.Errorf("loops = %d: must be in [0, %d], 0 meaning forever", loops, maxPNGUint)
	}
	var cfg animConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	delays := cfg.delays
	if delays == nil {
		delays = make([]time.Duration, len(frames))
		for i := range delays {
			delays[i] = delay
		}
	} else if len(delays) != len(frames) {
		return fmt.Errorf("FrameDelays got %d delays for %d frames: give one delay per frame", len(delays), len(frames))
	}
	type fraction struct{ num, den uint16 }
	fr := make([]fraction, len(frames))
	for i, d := range delays {
		what := fmt.Sprintf("frame %d", i)
		if i == len(frames)-1 && cfg.holdOn {
			d, what = cfg.hold, "HoldLast"
		}
		num, den, err := delayFraction(d)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		fr[i] = fraction{num, den}
	}

	var first image.Rectangle
	enc := &png.Encoder{CompressionLevel: png.DefaultCompression}
	encoded := make([]encodedFrame, len(frames))
	for i, img := range frames {
		if img == nil {
			return fmt.Errorf("frame %d is nil", i)
		}
		b := img.Bounds()
		if b.Empty() {
			return fmt.Errorf("frame %d is empty (bounds %v)", i, b)
		}
		if i == 0 {
			first = b
		} else if b.Dx() != first.Dx() || b.Dy() != first.Dy() {
			return fmt.Errorf("frame %d is %d x %d pixels but frame 0 is %d x %d: all frames must have the same size",
				i, b.Dx(), b.Dy(), first.Dx(), first.Dy())
		}
		f, err := encodeFrame(enc, img)
		if err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
		if i > 0 && !bytes.Equal(f.ihdr, encoded[0].ihdr) {
			t0, ti := encoded[0].ihdr[9], f.ihdr[9]
			if t0 != ti {
				return fmt.Errorf("frame %d encodes as PNG colour type %d (%s) but frame 0 as %d (%s): "+
					"make all frames fully opaque (e.g. draw them over a white background) or give all of them some transparency",
					i, ti, pngColorTypes[ti], t0, pngColorTypes[t0])
			}
			return fmt.Errorf("frame %d has PNG header %x but frame 0 has %x: all frames must encode alike", i, f.ihdr, encoded[0].ihdr)
		}
		encoded[i] = f
	}

	// Build in memory so that w gets nothing from a failed call.
	var buf bytes.Buffer
	buf.Write(pngSignature)
	cw := &chunkWriter{w: &buf}
	cw.write("IHDR", encoded[0].ihdr)
	cw.write("acTL", be32(uint32(len(frames))), be32(uint32(loops)))
	var seq uint32
	fctl := make([]byte, 26)
	for i, f := range encoded {
		binary.BigEndian.PutUint32(fctl[0:], seq)
		binary.BigEndian.PutUint32(fctl[4:], uint32(first.Dx()))
		binary.BigEndian.PutUint32(fctl[8:], uint32(first.Dy()))
		binary.BigEndian.PutUint32(fctl[12:], 0) // x offset
		binary.BigEndian.PutUint32(fctl[16:], 0) // y offset
		binary.BigEndian.PutUint16(fctl[20:], fr[i].num)
		binary.BigEndian.PutUint16(fctl[22:], fr[i].den)
		fctl[24] = apngDisposeNone
		fctl[25] = apngBlendSource
		cw.write("fcTL", fctl)
		seq++
		for _, d := range f.idat {
			if i == 0 {
				cw.write("IDAT", d)
				continue
			}
			cw.write("fdAT", be32(seq), d)
			seq++
		}
	}
	cw.write("IEND")
	if cw.err != nil {
		return cw.err
	}
	if seq > maxPNGUint {
		return fmt.Errorf("animation needs %d sequence numbers, more than APNG allows: use fewer or smaller frames", seq)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// APNG encodes frames as an animated PNG (see EncodeAPNG) and returns the
// bytes.
func APNG(frames []image.Image, delay time.Duration, loops int, opts ...AnimOption) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeAPNG(&buf, frames, delay, loops, opts); err != nil {
		return nil, fmt.Errorf("plots.APNG: %w", err)
	}
	return buf.Bytes(), nil
}

// SaveAPNG encodes frames as an animated PNG (see EncodeAPNG) and writes it
// to path. It works anywhere, in or outside a notebook; browsers play the
// file.
func SaveAPNG(path string, frames []image.Image, delay time.Duration, loops int, opts ...AnimOption) error {
	if path == "" {
		return errors.New("plots.SaveAPNG: empty file path")
	}
	var buf bytes.Buffer
	if err := encodeAPNG(&buf, frames, delay, loops, opts); err != nil {
		return fmt.Errorf("plots.SaveAPNG: %w", err)
	}
	return writeFile("SaveAPNG", path, buf.Bytes())
}

// DisplayAnimation encodes frames as an animated PNG (see EncodeAPNG) and
// shows it in the current GoNB cell, through DisplayBytes. Outside GoNB it
// returns an error wrapping ErrNotNotebook.
func DisplayAnimation(frames []image.Image, delay time.Duration, loops int, opts ...AnimOption) error {
	if !gonbui.IsNotebook {
		return fmt.Errorf("plots.DisplayAnimation: %w (use SaveAPNG to write a file)", ErrNotNotebook)
	}
	var buf bytes.Buffer
	if err := encodeAPNG(&buf, frames, delay, loops, opts); err != nil {
		return fmt.Errorf("plots.DisplayAnimation: %w", err)
	}
	return DisplayBytes(buf.Bytes())
}

// PlotFrames renders each plot to an image of widthPx x heightPx pixels on
// a white background, ready for EncodeAPNG. For an animation give every plot
// the same axis ranges (Options.XRange and YRange), or the axes jump from
// frame to frame.
//
// Each frame holds 4*widthPx*heightPx bytes (about 1 MB at 600 x 400), so
// 100 frames need about 100 MB until they are encoded.
func PlotFrames(plots []*plot.Plot, widthPx, heightPx int) ([]image.Image, error) {
	if len(plots) == 0 {
		return nil, errors.New("plots.PlotFrames: no plots given")
	}
	if err := checkSize("PlotFrames", widthPx, heightPx); err != nil {
		return nil, err
	}
	frames := make([]image.Image, len(plots))
	for i, p := range plots {
		if p == nil {
			return nil, fmt.Errorf("plots.PlotFrames: plot %d is nil", i)
		}
		c := newCanvas(widthPx, heightPx)
		if err := drawPlot(p, draw.New(c)); err != nil {
			return nil, fmt.Errorf("plots.PlotFrames: plot %d: %w", i, err)
		}
		frames[i] = c.Image()
	}
	return frames, nil
}
