package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idx builds an IDX file: magic, big-endian dimensions, then the payload.
func idx(magic uint32, dims []int, payload []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(payload)
	return b.Bytes()
}

func gz(raw []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write(raw)
	_ = w.Close()
	return b.Bytes()
}

func write(t *testing.T, dir, name string, raw []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mnistLike writes a valid 3-image 28x28 split named prefix into dir.
func mnistLike(t *testing.T, dir, prefix string, gzipped bool) []byte {
	px := make([]byte, 3*28*28)
	for i := range px {
		px[i] = byte(i % 251)
	}
	imgs, lbls := idx(idxImages, []int{3, 28, 28}, px), idx(idxLabels, []int{3}, []byte{7, 0, 9})
	if gzipped {
		write(t, dir, prefix+"-images-idx3-ubyte.gz", gz(imgs))
		write(t, dir, prefix+"-labels-idx1-ubyte.gz", gz(lbls))
	} else {
		write(t, dir, prefix+"-images-idx3-ubyte", imgs)
		write(t, dir, prefix+"-labels-idx1-ubyte", lbls)
	}
	return px
}

func TestLoadMNISTFormats(t *testing.T) {
	for _, c := range []struct {
		name    string
		gzipped bool
	}{{"plain IDX", false}, {"gzipped .gz files", true}} {
		dir := t.TempDir()
		px := mnistLike(t, dir, "t10k", c.gzipped)
		im, lb, err := LoadMNIST(dir, "test")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if im.N != 3 || im.Rows != 28 || !bytes.Equal(im.Pixels, px) || !bytes.Equal(lb, []byte{7, 0, 9}) {
			t.Errorf("%s: read %d images %dx%d, labels %v", c.name, im.N, im.Rows, im.Cols, lb)
		}
		if !bytes.Equal(im.Image(1), px[784:1568]) {
			t.Errorf("%s: Image(1) is not the second image", c.name)
		}
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	px := make([]byte, 2*28*28)
	for _, c := range []struct {
		name   string
		images []byte
		labels []byte
		want   string
	}{
		{"missing files", nil, nil, "make data"},
		{"truncated images", idx(idxImages, []int{2, 28, 28}, px[:1000]), idx(idxLabels, []int{2}, []byte{1, 2}), "truncated"},
		{"extra bytes", idx(idxImages, []int{2, 28, 28}, append(px, 1)), idx(idxLabels, []int{2}, []byte{1, 2}), "longer than its header"},
		{"labels where images belong", idx(idxLabels, []int{2}, []byte{1, 2}), idx(idxLabels, []int{2}, []byte{1, 2}), "magic number"},
		{"count mismatch", idx(idxImages, []int{2, 28, 28}, px), idx(idxLabels, []int{3}, []byte{1, 2, 3}), "2 images but 3 labels"},
		{"bad label", idx(idxImages, []int{2, 28, 28}, px), idx(idxLabels, []int{2}, []byte{1, 12}), "want 0..9"},
		{"wrong size", idx(idxImages, []int{2, 14, 56}, px), idx(idxLabels, []int{2}, []byte{1, 2}), "want 28x28"},
		{"header cut", []byte{0, 0, 8}, idx(idxLabels, []int{2}, []byte{1, 2}), "too short"},
		// 2^28 * 2^28 * 2^8 = 2^64 bytes: the product wraps to 0 in int64,
		// which must not match the empty payload.
		{"dimensions overflow", idx(idxImages, []int{1 << 28, 1 << 28, 1 << 8}, nil), idx(idxLabels, []int{2}, []byte{1, 2}), "18446744073709551616 expected"},
		{"corrupt gzip", gz(idx(idxImages, []int{2, 28, 28}, px))[:40], idx(idxLabels, []int{2}, []byte{1, 2}), "gzip"},
	} {
		dir := t.TempDir()
		if c.images != nil {
			write(t, dir, "train-images-idx3-ubyte", c.images)
			write(t, dir, "train-labels-idx1-ubyte", c.labels)
		}
		if _, _, err := LoadMNIST(dir, "train"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, _, err := LoadMNIST(t.TempDir(), "validation"); err == nil || !strings.Contains(err.Error(), "split") {
		t.Errorf("unknown split: %v", err)
	}
}

func TestMNISTDir(t *testing.T) {
	t.Setenv(DataEnv, "/some/where")
	if got := MNISTDir(); got != "/some/where/mnist" {
		t.Errorf("MNISTDir with %s set: %s", DataEnv, got)
	}
}

// The real files, when fetched (make data): sizes and the class balance of the
// test split (each digit 892..1135 times in the official set).
func TestRealMNIST(t *testing.T) {
	im, lb, err := LoadMNIST("", "test")
	if err != nil {
		t.Skipf("MNIST not fetched (%v)", err)
	}
	if im.N != 10000 || len(lb) != 10000 {
		t.Fatalf("test split has %d images, %d labels", im.N, len(lb))
	}
	counts := make([]int, 10)
	for _, l := range lb {
		counts[l]++
	}
	for d, c := range counts {
		if c < 892 || c > 1135 {
			t.Errorf("digit %d appears %d times", d, c)
		}
	}
	tr, _, err := LoadMNIST("", "train")
	if err != nil || tr.N != 60000 {
		t.Errorf("train split: %v (%d images)", err, tr.N)
	}
}
