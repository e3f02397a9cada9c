package data

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cifarRecord builds one binary record whose pixel bytes encode where they
// are: red = row, green = column, blue = 100 + image index (all < 256 for
// 32 x 32 images and fewer than 156 images).
func cifarRecord(label uint8, img int) []byte {
	rec := make([]byte, CIFAR10Record)
	rec[0] = label
	for r := range CIFAR10Side {
		for c := range CIFAR10Side {
			p := r*CIFAR10Side + c
			rec[1+p] = byte(r)
			rec[1+1024+p] = byte(c)
			rec[1+2048+p] = byte(100 + img)
		}
	}
	return rec
}

// cifarBatch concatenates records with the given labels; first is the image
// index of the first record.
func cifarBatch(first int, labels ...uint8) []byte {
	var b bytes.Buffer
	for i, l := range labels {
		b.Write(cifarRecord(l, first+i))
	}
	return b.Bytes()
}

// checkCIFAR verifies the images decoded from cifarBatch(first, labels...).
func checkCIFAR(t *testing.T, name string, im *RGBImages, lb []uint8, first int, labels []uint8) {
	t.Helper()
	if im.N != len(labels) || im.Rows != 32 || im.Cols != 32 || len(im.Pixels) != len(labels)*3072 {
		t.Fatalf("%s: %d images %dx%d with %d bytes, want %d of 32x32", name, im.N, im.Rows, im.Cols, len(im.Pixels), len(labels))
	}
	if !bytes.Equal(lb, labels) {
		t.Errorf("%s: labels %v, want %v", name, lb, labels)
	}
	for i := range im.N {
		for r := range 32 {
			for c := range 32 {
				want := [3]uint8{uint8(r), uint8(c), uint8(100 + first + i)}
				for ch := range 3 {
					if got := im.At(i, r, c, ch); got != want[ch] {
						t.Fatalf("%s: image %d pixel (%d, %d) channel %d = %d, want %d", name, i, r, c, ch, got, want[ch])
					}
				}
			}
		}
	}
}

func TestReadCIFAR10(t *testing.T) {
	labels := []uint8{3, 0, 9}
	for _, c := range []struct {
		name string
		file string
		raw  []byte
	}{
		{"plain", "b.bin", cifarBatch(0, labels...)},
		{"gzipped under the plain name", "b.bin", gz(cifarBatch(0, labels...))},
		{"found as .gz", "b.bin.gz", gz(cifarBatch(0, labels...))},
	} {
		dir := t.TempDir()
		write(t, dir, c.file, c.raw)
		im, lb, err := ReadCIFAR10(filepath.Join(dir, "b.bin"))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkCIFAR(t, c.name, im, lb, 0, labels)
	}
}

// TestCIFARInterleave pins the planar -> channels-last conversion on one
// record with distinct bytes: file byte 1 + ch*1024 + p must land at
// Pixels[3p + ch].
func TestCIFARInterleave(t *testing.T) {
	rec := make([]byte, CIFAR10Record)
	for k := 1; k < len(rec); k++ {
		rec[k] = byte(k * 7) // 7 is odd, so neighbouring bytes differ
	}
	dir := t.TempDir()
	write(t, dir, "one.bin", rec)
	im, _, err := ReadCIFAR10(filepath.Join(dir, "one.bin"))
	if err != nil {
		t.Fatal(err)
	}
	for p := range 1024 {
		for ch := range 3 {
			if got, want := im.Pixels[3*p+ch], rec[1+ch*1024+p]; got != want {
				t.Fatalf("Pixels[%d] (pixel %d channel %d) = %d, want file byte %d = %d", 3*p+ch, p, ch, got, 1+ch*1024+p, want)
			}
		}
	}
	if got := im.Image(0); len(got) != 3072 || got[5] != rec[1+2*1024+1] {
		t.Errorf("Image(0) has %d bytes, [5] = %d (blue of pixel 1, want %d)", len(got), got[5], rec[1+2*1024+1])
	}
}

func TestLoadCIFAR10(t *testing.T) {
	const per = 2 // records per file in these small batches
	write5 := func(dir string) {
		for b := 1; b <= 5; b++ {
			write(t, dir, "data_batch_"+string(rune('0'+b))+".bin", cifarBatch(per*(b-1), uint8(b), uint8(9-b)))
		}
		write(t, dir, "test_batch.bin", cifarBatch(50, 7, 1))
	}
	wantTrain := []uint8{1, 8, 2, 7, 3, 6, 4, 5, 5, 4}

	dir := t.TempDir()
	write5(dir)
	im, lb, err := loadCIFAR10(dir, "train", per)
	if err != nil {
		t.Fatal(err)
	}
	checkCIFAR(t, "train", im, lb, 0, wantTrain)
	im, lb, err = loadCIFAR10(dir, "test", per)
	if err != nil {
		t.Fatal(err)
	}
	checkCIFAR(t, "test", im, lb, 50, []uint8{7, 1})

	// As extracted from the archive: dir/cifar-10-batches-bin/*.bin.
	top := t.TempDir()
	sub := filepath.Join(top, "cifar-10-batches-bin")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	write5(sub)
	im, lb, err = loadCIFAR10(top, "train", per)
	if err != nil {
		t.Fatalf("archive layout: %v", err)
	}
	checkCIFAR(t, "archive layout", im, lb, 0, wantTrain)
}

func TestCIFAR10Errors(t *testing.T) {
	good := cifarBatch(0, 1, 2)
	for _, c := range []struct {
		name string
		raw  []byte // nil: no file
		want string
	}{
		{"missing file", nil, "cifar-10-binary.tar.gz"},
		{"empty file", []byte{}, "is empty"},
		{"truncated record", good[:len(good)-1], "not a whole number"},
		{"extra byte", append(append([]byte{}, good...), 0), "1 bytes over"},
		{"label above 9", cifarBatch(0, 1, 10), "label 10"},
		{"corrupt gzip", gz(good)[:30], "gzip"},
		{"too few records", cifarBatch(0, 1), "holds 1 CIFAR-10 records, want 2"},
	} {
		dir := t.TempDir()
		if c.raw != nil {
			write(t, dir, "test_batch.bin", c.raw)
		}
		_, _, err := loadCIFAR10(dir, "test", 2)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, _, err := LoadCIFAR10(t.TempDir(), "valid"); err == nil || !strings.Contains(err.Error(), `use "train" or "test"`) {
		t.Errorf("unknown split: %v", err)
	}
	// The exported loader wants the official 10,000 records per file.
	dir := t.TempDir()
	write(t, dir, "test_batch.bin", good)
	if _, _, err := LoadCIFAR10(dir, "test"); err == nil || !strings.Contains(err.Error(), "want 10000") {
		t.Errorf("short official batch: %v", err)
	}
	// The missing-file error names the file and the folder to extract into.
	_, _, err := LoadCIFAR10(dir, "train")
	if err == nil || !strings.Contains(err.Error(), "data_batch_1.bin") || !strings.Contains(err.Error(), "-C "+dir) {
		t.Errorf("missing train batches: %v", err)
	}
}

func TestCIFAR10Dir(t *testing.T) {
	t.Setenv(DataEnv, "/some/where")
	if got := CIFAR10Dir(); got != "/some/where/cifar10" {
		t.Errorf("CIFAR10Dir with %s set: %s", DataEnv, got)
	}
}

// The real files, when someone has extracted them into CIFAR10Dir(): sizes
// and the class balance (exactly 1000 test images per class).
func TestRealCIFAR10(t *testing.T) {
	im, lb, err := LoadCIFAR10("", "test")
	if err != nil {
		t.Skipf("CIFAR-10 not present (%v)", err)
	}
	if im.N != 10000 {
		t.Fatalf("test split has %d images", im.N)
	}
	counts := make([]int, 10)
	for _, l := range lb {
		counts[l]++
	}
	for k, c := range counts {
		if c != 1000 {
			t.Errorf("class %d (%s) appears %d times, want 1000", k, CIFAR10Classes[k], c)
		}
	}
}

// ExampleReadCIFAR10 writes one record in the binary format (label, then the
// red, green and blue planes) and reads it back channels-last.
func ExampleReadCIFAR10() {
	rec := make([]byte, CIFAR10Record)
	rec[0] = 8                                  // ship
	rec[1], rec[1025], rec[2049] = 200, 100, 50 // pixel (0, 0): R, G, B planes
	dir, err := os.MkdirTemp("", "cifar")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "test_batch.bin")
	if err := os.WriteFile(path, rec, 0o644); err != nil {
		panic(err)
	}
	im, labels, err := ReadCIFAR10(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(im.N, im.Rows, im.Cols, CIFAR10Classes[labels[0]], im.Image(0)[:4])
	// Output: 1 32 32 ship [200 100 50 0]
}
