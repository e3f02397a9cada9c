package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// CIFAR-10 binary format constants: every record is one label byte followed
// by the 32 x 32 red plane, then the green plane, then the blue plane, each
// plane row by row.
const (
	CIFAR10Side     = 32                                          // image height and width
	CIFAR10Channels = 3                                           // red, green, blue
	cifarPixels     = CIFAR10Side * CIFAR10Side * CIFAR10Channels // 3072 bytes of pixels per record
	CIFAR10Record   = 1 + cifarPixels                             // bytes per record: label + pixels (3073)

	// CIFAR10BatchSize is the number of records in every file of the official
	// binary release (data_batch_1..5.bin and test_batch.bin).
	CIFAR10BatchSize = 10000

	// CIFAR10URL is the page that offers cifar-10-binary.tar.gz.
	CIFAR10URL = "https://www.cs.toronto.edu/~kriz/cifar.html"

	// cifarSubdir is the folder inside cifar-10-binary.tar.gz.
	cifarSubdir = "cifar-10-batches-bin"
)

// CIFAR10Classes are the names of the labels 0..9.
var CIFAR10Classes = [10]string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// CIFAR10Dir returns the folder holding the CIFAR-10 binary batches:
// $GOFM_DATA/cifar10, or ~/.cache/gofm/cifar10.
func CIFAR10Dir() string { return dataDir("cifar10") }

// cifarFetchHint tells the user how to put CIFAR-10 into dir.
func cifarFetchHint(dir string) string {
	return fmt.Sprintf("download cifar-10-binary.tar.gz (the \"binary version\") from %s and extract it with "+
		"`mkdir -p %s && tar -xzf cifar-10-binary.tar.gz --strip-components=1 -C %s` "+
		"(gofm cannot fetch it: the project's machines have no access to that site)", CIFAR10URL, dir, dir)
}

// RGBImages is a stack of N colour images of Rows x Cols pixels with
// CIFAR10Channels = 3 channels (red, green, blue; values 0..255), stored
// channels-last: the byte of image i, row r, column c, channel ch is
//
//	Pixels[((i*Rows + r)*Cols + c)*3 + ch]
//
// (the N x H x W x C layout that image networks take).
type RGBImages struct {
	N, Rows, Cols int
	Pixels        []uint8
}

// Image returns the Rows*Cols*3 interleaved bytes of image i (a view, not a copy).
func (im *RGBImages) Image(i int) []uint8 {
	d := im.Rows * im.Cols * CIFAR10Channels
	return im.Pixels[i*d : (i+1)*d]
}

// At returns the value of channel ch (0 red, 1 green, 2 blue) of pixel
// (r, c) of image i.
func (im *RGBImages) At(i, r, c, ch int) uint8 {
	return im.Pixels[((i*im.Rows+r)*im.Cols+c)*CIFAR10Channels+ch]
}

// readCIFARFile reads path, or path+".gz" when path is absent, and
// decompresses gzip data (recognized by its magic bytes). dir is the folder
// named in the download hint.
func readCIFARFile(path, dir string) ([]byte, string, error) {
	raw, err := os.ReadFile(path)
	used := path
	if errors.Is(err, fs.ErrNotExist) {
		used = path + ".gz"
		raw, err = os.ReadFile(used)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("data: CIFAR-10 file %s not found (looked for %s and %s.gz); %s",
				filepath.Base(path), path, path, cifarFetchHint(dir))
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("data: reading %s: %w", used, err)
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, "", fmt.Errorf("data: %s is not valid gzip: %w; delete it and extract it again (%s)", used, err, cifarFetchHint(dir))
		}
		raw, err = io.ReadAll(zr)
		if err != nil {
			return nil, "", fmt.Errorf("data: %s: corrupt or truncated gzip data: %w; delete it and extract it again (%s)", used, err, cifarFetchHint(dir))
		}
	}
	return raw, used, nil
}

// decodeCIFAR splits raw CIFAR-10 records into labels and channels-last
// images, converting each record's planar R, G, B planes to interleaved
// pixels. name is used in errors.
func decodeCIFAR(raw []byte, name, dir string) (*RGBImages, []uint8, error) {
	if len(raw) == 0 {
		return nil, nil, fmt.Errorf("data: %s is empty; %s", name, cifarFetchHint(dir))
	}
	if len(raw)%CIFAR10Record != 0 {
		return nil, nil, fmt.Errorf("data: %s has %d bytes, not a whole number of %d-byte CIFAR-10 records "+
			"(%d records and %d bytes over); it is truncated or not a CIFAR-10 binary batch (the Python and MATLAB versions are different formats): %s",
			name, len(raw), CIFAR10Record, len(raw)/CIFAR10Record, len(raw)%CIFAR10Record, cifarFetchHint(dir))
	}
	n := len(raw) / CIFAR10Record
	const plane = CIFAR10Side * CIFAR10Side
	im := &RGBImages{N: n, Rows: CIFAR10Side, Cols: CIFAR10Side, Pixels: make([]uint8, n*cifarPixels)}
	labels := make([]uint8, n)
	for i := range n {
		rec := raw[i*CIFAR10Record : (i+1)*CIFAR10Record]
		if rec[0] > 9 {
			return nil, nil, fmt.Errorf("data: %s record %d has label %d, want 0..9; the file is corrupt or not a CIFAR-10 batch "+
				"(CIFAR-100 records have 2 label bytes): %s", name, i, rec[0], cifarFetchHint(dir))
		}
		labels[i] = rec[0]
		src, dst := rec[1:], im.Image(i)
		for p := range plane {
			dst[3*p] = src[p]
			dst[3*p+1] = src[plane+p]
			dst[3*p+2] = src[2*plane+p]
		}
	}
	return im, labels, nil
}

// ReadCIFAR10 reads one CIFAR-10 binary batch file (plain or gzipped, or
// found as path + ".gz"): any whole number of 3073-byte records. It returns
// the images in channels-last layout (see RGBImages) and the labels 0..9.
func ReadCIFAR10(path string) (*RGBImages, []uint8, error) {
	raw, used, err := readCIFARFile(path, filepath.Dir(path))
	if err != nil {
		return nil, nil, err
	}
	return decodeCIFAR(raw, used, filepath.Dir(path))
}

// CIFAR10Files returns the batch file names of a split: data_batch_1.bin ..
// data_batch_5.bin for "train", test_batch.bin for "test".
func CIFAR10Files(split string) ([]string, error) {
	switch split {
	case "train":
		return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}, nil
	case "test":
		return []string{"test_batch.bin"}, nil
	}
	return nil, fmt.Errorf("data: CIFAR-10 split %q; use \"train\" or \"test\"", split)
}

// LoadCIFAR10 reads the "train" (50,000 images, five batches) or "test"
// (10,000) split of CIFAR-10 from dir (CIFAR10Dir() when empty), or from its
// subfolder cifar-10-batches-bin (where the archive extracts) when dir holds
// no batch files. Every file must hold exactly CIFAR10BatchSize records, as
// in the official release: a shorter one is reported as truncated.
func LoadCIFAR10(dir, split string) (*RGBImages, []uint8, error) {
	return loadCIFAR10(dir, split, CIFAR10BatchSize)
}

// loadCIFAR10 is LoadCIFAR10 with the expected records per file as a
// parameter (the tests use small files).
func loadCIFAR10(dir, split string, perFile int) (*RGBImages, []uint8, error) {
	if dir == "" {
		dir = CIFAR10Dir()
	}
	files, err := CIFAR10Files(split)
	if err != nil {
		return nil, nil, err
	}
	base := dir
	if !cifarPresent(dir, files[0]) && cifarPresent(filepath.Join(dir, cifarSubdir), files[0]) {
		base = filepath.Join(dir, cifarSubdir)
	}
	all := &RGBImages{Rows: CIFAR10Side, Cols: CIFAR10Side, Pixels: make([]uint8, 0, len(files)*perFile*cifarPixels)}
	labels := make([]uint8, 0, len(files)*perFile)
	for _, f := range files {
		raw, used, err := readCIFARFile(filepath.Join(base, f), dir)
		if err != nil {
			return nil, nil, err
		}
		im, lb, err := decodeCIFAR(raw, used, dir)
		if err != nil {
			return nil, nil, err
		}
		if im.N != perFile {
			return nil, nil, fmt.Errorf("data: %s holds %d CIFAR-10 records, want %d; the file is truncated or was replaced: %s",
				used, im.N, perFile, cifarFetchHint(dir))
		}
		all.N += im.N
		all.Pixels = append(all.Pixels, im.Pixels...)
		labels = append(labels, lb...)
	}
	return all, labels, nil
}

// cifarPresent reports whether dir holds name or name.gz.
func cifarPresent(dir, name string) bool {
	for _, n := range []string{name, name + ".gz"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}
