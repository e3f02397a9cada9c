package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
)

// DataEnv names the environment variable that sets the data folder; MNIST
// lives in its subfolder "mnist". The default is ~/.cache/gofm.
const DataEnv = "GOFM_DATA"

// FetchHint is the command that downloads and verifies MNIST.
const FetchHint = "make data (or bash scripts/fetch-mnist.sh)"

// MNISTDir returns the folder holding the MNIST IDX files:
// $GOFM_DATA/mnist, or ~/.cache/gofm/mnist.
func MNISTDir() string { return dataDir("mnist") }

// dataDir is the folder of one data set: $GOFM_DATA/name, or
// ~/.cache/gofm/name (under the temporary folder when there is no home).
func dataDir(name string) string {
	if d := os.Getenv(DataEnv); d != "" {
		return filepath.Join(d, name)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "gofm", name)
	}
	return filepath.Join(home, ".cache", "gofm", name)
}

// Images is a stack of N grey-scale images of Rows x Cols pixels (0..255),
// stored row by row, image after image.
type Images struct {
	N, Rows, Cols int
	Pixels        []uint8
}

// Image returns the pixels of image i (a view, not a copy).
func (im *Images) Image(i int) []uint8 {
	d := im.Rows * im.Cols
	return im.Pixels[i*d : (i+1)*d]
}

// IDX magic numbers: 0x00 0x00, the element type (0x08 = unsigned byte), and
// the number of dimensions.
const (
	idxImages = 0x00000803
	idxLabels = 0x00000801
)

// readMaybeGzip reads path, or path+".gz" when path is absent, and
// decompresses gzip data (recognized by its magic bytes, whatever the name).
func readMaybeGzip(path string) ([]byte, string, error) {
	raw, err := os.ReadFile(path)
	used := path
	if errors.Is(err, fs.ErrNotExist) {
		used = path + ".gz"
		raw, err = os.ReadFile(used)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("data: %s not found (looked for %s and %s.gz); fetch MNIST with %s", filepath.Base(path), path, path, FetchHint)
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("data: reading %s: %w", used, err)
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, "", fmt.Errorf("data: %s is not valid gzip: %w; delete it and fetch again with %s", used, err, FetchHint)
		}
		raw, err = io.ReadAll(zr)
		if err != nil {
			return nil, "", fmt.Errorf("data: %s: corrupt or truncated gzip data: %w; delete it and fetch again with %s", used, err, FetchHint)
		}
	}
	return raw, used, nil
}

// parseIDX checks the header of an IDX file of unsigned bytes with the given
// magic and returns its dimensions and payload, which must have exactly the
// size the dimensions give.
func parseIDX(raw []byte, magic uint32, name string) ([]int, []uint8, error) {
	nd := int(magic & 0xff)
	if len(raw) >= 4 {
		if got := binary.BigEndian.Uint32(raw); got != magic {
			return nil, nil, fmt.Errorf("data: %s has IDX magic number 0x%08x, want 0x%08x; it is not an IDX file of this kind, or it is corrupt", name, got, magic)
		}
	}
	if len(raw) < 4+4*nd {
		return nil, nil, fmt.Errorf("data: %s is too short for an IDX header (%d bytes); it is truncated: fetch it again with %s", name, len(raw), FetchHint)
	}
	dims := make([]int, nd)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(raw[4+4*i:]))
		if dims[i] <= 0 || dims[i] > 1<<28 {
			return nil, nil, fmt.Errorf("data: %s: dimension %d is %d; the header is corrupt", name, i, dims[i])
		}
	}
	payload := raw[4+4*nd:]
	// The product of the dimensions can overflow int (three of up to 2^28
	// each); any product beyond the payload's length is a truncated file.
	size := 1
	for _, d := range dims {
		if size > len(payload)/d {
			size = len(payload) + 1
			break
		}
		size *= d
	}
	if len(payload) != size {
		what := "truncated"
		if len(payload) > size {
			what = "longer than its header says (corrupt)"
		}
		return nil, nil, fmt.Errorf("data: %s is %s: %d data bytes for dimensions %v (%s expected); fetch it again with %s", name, what, len(payload), dims, product(dims), FetchHint)
	}
	return dims, payload, nil
}

// product writes the product of dims exactly (it may exceed int64).
func product(dims []int) string {
	p := big.NewInt(1)
	for _, d := range dims {
		p.Mul(p, big.NewInt(int64(d)))
	}
	return p.String()
}

// ReadIDXImages reads an IDX3 unsigned-byte image file (optionally gzipped,
// or found as path + ".gz").
func ReadIDXImages(path string) (*Images, error) {
	raw, used, err := readMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	dims, px, err := parseIDX(raw, idxImages, used)
	if err != nil {
		return nil, err
	}
	return &Images{N: dims[0], Rows: dims[1], Cols: dims[2], Pixels: px}, nil
}

// ReadIDXLabels reads an IDX1 unsigned-byte label file (optionally gzipped).
func ReadIDXLabels(path string) ([]uint8, error) {
	raw, used, err := readMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	_, labels, err := parseIDX(raw, idxLabels, used)
	return labels, err
}

// LoadMNIST reads the "train" (60,000) or "test" (10,000) split from dir
// (MNISTDir() when empty) and checks that images and labels match (same
// count, 28 x 28 pixels, labels 0..9).
func LoadMNIST(dir, split string) (*Images, []uint8, error) {
	if dir == "" {
		dir = MNISTDir()
	}
	prefix := map[string]string{"train": "train", "test": "t10k"}[split]
	if prefix == "" {
		return nil, nil, fmt.Errorf("data: MNIST split %q; use \"train\" or \"test\"", split)
	}
	im, err := ReadIDXImages(filepath.Join(dir, prefix+"-images-idx3-ubyte"))
	if err != nil {
		return nil, nil, err
	}
	lb, err := ReadIDXLabels(filepath.Join(dir, prefix+"-labels-idx1-ubyte"))
	if err != nil {
		return nil, nil, err
	}
	if im.Rows != 28 || im.Cols != 28 {
		return nil, nil, fmt.Errorf("data: MNIST %s images are %dx%d, want 28x28", split, im.Rows, im.Cols)
	}
	if len(lb) != im.N {
		return nil, nil, fmt.Errorf("data: MNIST %s has %d images but %d labels; the files do not belong together: fetch again with %s", split, im.N, len(lb), FetchHint)
	}
	for i, l := range lb {
		if l > 9 {
			return nil, nil, fmt.Errorf("data: MNIST %s label %d is %d, want 0..9; the label file is corrupt", split, i, l)
		}
	}
	return im, lb, nil
}
