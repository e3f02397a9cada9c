package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzFile writes raw (gzip-compressed first when gzipped, as a .gz file)
// into a fresh folder and returns the path to pass to a reader and the path
// its errors must name.
func fuzzFile(t *testing.T, name string, raw []byte, gzipped bool) (path, used string) {
	dir := t.TempDir()
	path = filepath.Join(dir, name)
	used = path
	if gzipped {
		used = path + ".gz" // found as path + ".gz" when path is absent
		raw = gz(raw)
	}
	write(t, dir, filepath.Base(used), raw)
	return path, used
}

// content is what a reader must find in a file of raw bytes (gzipped by
// fuzzFile when gzipped): raw itself, or for a plain file that holds a gzip
// stream its decompressed bytes; ok is false for a broken gzip stream.
func content(raw []byte, gzipped bool) (c []byte, ok bool) {
	if gzipped || len(raw) < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
		return raw, true
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, false
	}
	c, err = io.ReadAll(zr)
	return c, err == nil
}

// checkReadErr fails unless err names the file it was reading and starts
// with the package's prefix.
func checkReadErr(t *testing.T, err error, used string) {
	t.Helper()
	if msg := err.Error(); !strings.HasPrefix(msg, "data: ") || !strings.Contains(msg, used) {
		t.Fatalf("error %q does not name the file %s", msg, used)
	}
}

// idxPayload returns the data bytes of a well-formed IDX file of the given
// magic as its header describes them, or ok false when raw is not one (its
// dimensions, each 1..2^28 as parseIDX allows, multiply to anything but the
// payload length, counted without overflow; or readable is false).
func idxPayload(raw []byte, magic uint32, readable bool) (dims []int, payload []byte, ok bool) {
	nd := int(magic & 0xff)
	if !readable || len(raw) < 4+4*nd || binary.BigEndian.Uint32(raw) != magic {
		return nil, nil, false
	}
	payload = raw[4+4*nd:]
	left := len(payload) // what the dimensions still have to account for
	for i := range nd {
		v := binary.BigEndian.Uint32(raw[4+4*i:])
		if v == 0 || v > 1<<28 || left%int(v) != 0 {
			return nil, nil, false
		}
		dims = append(dims, int(v))
		left /= int(v)
	}
	return dims, payload, left == 1
}

// FuzzReadIDXImages: ReadIDXImages returns exactly the images a well-formed
// IDX3 file holds (plain or gzipped), and for anything else an error that
// names the file.
func FuzzReadIDXImages(f *testing.F) {
	px := make([]byte, 2*3*4)
	for i := range px {
		px[i] = byte(i)
	}
	f.Add(idx(idxImages, []int{2, 3, 4}, px), false)
	f.Add(idx(idxImages, []int{2, 3, 4}, px), true)
	f.Add(idx(idxImages, []int{2, 3, 4}, px[:20]), false)         // truncated
	f.Add(idx(idxImages, []int{1, 1, 1}, []byte{7, 8}), false)    // over-long
	f.Add(idx(idxLabels, []int{3}, []byte{1, 2, 3}), false)       // labels, not images
	f.Add(idx(idxImages, []int{1 << 28, 1 << 28, 0}, nil), false) // a zero dimension
	f.Add(gz(idx(idxImages, []int{1, 2, 2}, px[:4]))[:25], false) // cut gzip stream
	f.Add([]byte{0, 0, 8}, false)
	f.Fuzz(func(t *testing.T, raw []byte, gzipped bool) {
		path, used := fuzzFile(t, "images-idx3-ubyte", raw, gzipped)
		im, err := ReadIDXImages(path)
		c, ok := content(raw, gzipped)
		dims, payload, ok := idxPayload(c, idxImages, ok)
		if err != nil {
			if ok {
				t.Fatalf("a well-formed IDX3 file of dimensions %v was rejected: %v", dims, err)
			}
			checkReadErr(t, err, used)
			return
		}
		if !ok {
			t.Fatalf("a malformed IDX3 file read as %d images of %dx%d with %d pixels", im.N, im.Rows, im.Cols, len(im.Pixels))
		}
		if im.N != dims[0] || im.Rows != dims[1] || im.Cols != dims[2] || !bytes.Equal(im.Pixels, payload) {
			t.Fatalf("read %d images of %dx%d (%d pixels), want dimensions %v and the %d payload bytes", im.N, im.Rows, im.Cols, len(im.Pixels), dims, len(payload))
		}
		if last := im.Image(im.N - 1); len(last) != im.Rows*im.Cols {
			t.Fatalf("the last image has %d pixels, want %d", len(last), im.Rows*im.Cols)
		}
	})
}

// FuzzReadIDXLabels: ReadIDXLabels returns exactly the labels of a
// well-formed IDX1 file (plain or gzipped), else an error naming the file.
func FuzzReadIDXLabels(f *testing.F) {
	f.Add(idx(idxLabels, []int{3}, []byte{7, 0, 9}), false)
	f.Add(idx(idxLabels, []int{3}, []byte{7, 0, 9}), true)
	f.Add(idx(idxLabels, []int{4}, []byte{7, 0, 9}), false)     // truncated
	f.Add(idx(idxImages, []int{1, 1, 1}, []byte{1}), false)     // images, not labels
	f.Add(append(gz([]byte{0, 0, 8, 1, 0}), 0x1f, 0x8b), false) // gzip with trailing garbage
	f.Fuzz(func(t *testing.T, raw []byte, gzipped bool) {
		path, used := fuzzFile(t, "labels-idx1-ubyte", raw, gzipped)
		lb, err := ReadIDXLabels(path)
		c, ok := content(raw, gzipped)
		_, payload, ok := idxPayload(c, idxLabels, ok)
		if err != nil {
			if ok {
				t.Fatalf("a well-formed IDX1 file of %d labels was rejected: %v", len(payload), err)
			}
			checkReadErr(t, err, used)
			return
		}
		if !ok || !bytes.Equal(lb, payload) {
			t.Fatalf("read %d labels from a file that is not an IDX1 file of them (well-formed: %v)", len(lb), ok)
		}
	})
}

// FuzzReadCIFAR10: ReadCIFAR10 reads a file of whole 3073-byte records with
// labels 0..9 (plain or gzipped) as exactly those records, planes
// interleaved; anything else is an error that names the file.
func FuzzReadCIFAR10(f *testing.F) {
	f.Add(cifarBatch(0, 3), false)
	f.Add(cifarBatch(5, 9, 0), true)
	f.Add(cifarBatch(0, 3)[:CIFAR10Record-1], false)                   // truncated record
	f.Add(append(cifarBatch(0, 1), 2), false)                          // a byte over
	f.Add(append([]byte{10}, make([]byte, CIFAR10Record-1)...), false) // label 10
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, raw []byte, gzipped bool) {
		path, used := fuzzFile(t, "data_batch_1.bin", raw, gzipped)
		im, lb, err := ReadCIFAR10(path)
		raw, valid := content(raw, gzipped)
		valid = valid && len(raw) > 0 && len(raw)%CIFAR10Record == 0
		for i := 0; valid && i < len(raw); i += CIFAR10Record {
			valid = raw[i] <= 9
		}
		if err != nil {
			if valid {
				t.Fatalf("%d valid records were rejected: %v", len(raw)/CIFAR10Record, err)
			}
			checkReadErr(t, err, used)
			return
		}
		if !valid {
			t.Fatalf("an invalid batch of %d bytes read as %d images", len(raw), im.N)
		}
		const plane = CIFAR10Side * CIFAR10Side
		if im.N != len(raw)/CIFAR10Record || len(lb) != im.N || len(im.Pixels) != im.N*cifarPixels {
			t.Fatalf("read %d images, %d labels, %d pixels from %d records", im.N, len(lb), len(im.Pixels), len(raw)/CIFAR10Record)
		}
		for i := range im.N {
			rec := raw[i*CIFAR10Record : (i+1)*CIFAR10Record]
			if lb[i] != rec[0] {
				t.Fatalf("record %d: label %d, want %d", i, lb[i], rec[0])
			}
			for p := range plane {
				for ch := range CIFAR10Channels {
					if got, want := im.At(i, p/CIFAR10Side, p%CIFAR10Side, ch), rec[1+ch*plane+p]; got != want {
						t.Fatalf("record %d pixel %d channel %d: %d, want %d", i, p, ch, got, want)
					}
				}
			}
		}
	})
}
