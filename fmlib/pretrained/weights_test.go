package pretrained

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

func sample() map[string]*tensors.Tensor {
	return map[string]*tensors.Tensor{
		"/ema/w":       tensors.FromFlatDataAndDimensions([]float32{1, -2.5, 3e-8, 4e30, 0, -0}, 2, 3),
		"/ema_count":   tensors.FromFlatDataAndDimensions([]float32{7}),
		"/global_step": tensors.FromFlatDataAndDimensions([]int64{1 << 40}),
		"/b":           tensors.FromFlatDataAndDimensions([]float64{math.Pi, math.SmallestNonzeroFloat64}, 2),
		"/empty":       tensors.FromFlatDataAndDimensions([]float32{}, 0, 4),
	}
}

// Values of every supported type and shape (scalars, empty tensors,
// subnormals, extreme magnitudes) come back bitwise.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	in := sample()
	b, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d variables back, want %d", len(out), len(in))
	}
	for p, want := range in {
		got := out[p]
		if got == nil || !got.Shape().Equal(want.Shape()) {
			t.Fatalf("%s: shape %v, want %v", p, got, want.Shape())
		}
		if got.String() != want.String() {
			t.Errorf("%s: %v, want %v", p, got, want)
		}
	}
	again, err := Encode(out)
	if err != nil || string(again) != string(b) {
		t.Errorf("encoding the decoded weights gives other bytes (err %v)", err)
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		vars map[string]*tensors.Tensor
		want string
	}{
		{"NaN", map[string]*tensors.Tensor{"/w": tensors.FromFlatDataAndDimensions([]float32{1, float32(math.NaN())}, 2)}, "diverged"},
		{"Inf", map[string]*tensors.Tensor{"/w": tensors.FromFlatDataAndDimensions([]float64{math.Inf(-1)}, 1)}, "diverged"},
		{"int32", map[string]*tensors.Tensor{"/w": tensors.FromFlatDataAndDimensions([]int32{1}, 1)}, "holds float32, float64 and int64"},
		{"nil", map[string]*tensors.Tensor{"/w": nil}, "no value"},
	} {
		if _, err := Encode(c.vars); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// Damaged files: each is an error saying what is wrong, never a panic or a
// partial result.
func TestDecodeRejects(t *testing.T) {
	good, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	headLen := binary.LittleEndian.Uint64(good[len(magic):])
	withHeader := func(h string) []byte {
		b := []byte(magic)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(h)))
		return append(b, h...)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "not a gofm weights file"},
		{"other file", []byte("PK\x03\x04 a zip file, say"), "not a gofm weights file"},
		{"truncated data", good[:len(good)-1], "truncated"},
		{"trailing bytes", append(append([]byte(nil), good...), 0), "follow the last variable"},
		{"truncated index", good[:len(magic)+8+int(headLen)/2], "beyond the file"},
		{"huge index length", append([]byte(magic), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "beyond the file"},
		{"index not JSON", withHeader("[{"), "does not parse"},
		{"unknown field", withHeader(`[{"path":"/w","dtype":"float32","dims":[],"x":1}]`), "does not parse"},
		{"bad dtype", withHeader(`[{"path":"/w","dtype":"bool","dims":[]}]`), "dtype"},
		{"relative path", withHeader(`[{"path":"w","dtype":"float32","dims":[]}]`), "store path"},
		{"repeated path", append(withHeader(`[{"path":"/w","dtype":"float32","dims":[]},{"path":"/w","dtype":"float32","dims":[]}]`), 0, 0, 0, 0, 0, 0, 0, 0), "twice"},
		{"negative dim", withHeader(`[{"path":"/w","dtype":"float32","dims":[-1]}]`), "dimensions"},
		{"overflowing dims", withHeader(`[{"path":"/w","dtype":"float64","dims":[4294967296,4294967296]}]`), "dimensions"},
		{"NaN value", append(withHeader(`[{"path":"/w","dtype":"float32","dims":[1]}]`), 0, 0, 0xc0, 0x7f), "diverged"},
		{"LFS pointer", []byte("version https://git-lfs.github.com/spec/v1\n"), "git lfs pull"},
	} {
		out, err := Decode(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) || out != nil {
			t.Errorf("%s: err = %v (result %v), want one containing %q", c.name, err, out != nil, c.want)
		}
	}
}

// Whatever the bytes, Decode returns an error or weights that encode and
// decode to themselves; it never panics or allocates beyond the input's
// size (the dimension checks bound every allocation by the bytes left).
func FuzzDecode(f *testing.F) {
	good, err := Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add([]byte(magic + "\x02\x00\x00\x00\x00\x00\x00\x00[]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vars, err := Decode(b)
		if err != nil {
			return
		}
		again, err := Encode(vars)
		if err != nil {
			t.Fatalf("decoded weights do not encode: %v", err)
		}
		back, err := Decode(again)
		if err != nil || len(back) != len(vars) {
			t.Fatalf("re-encoded weights do not decode: %v", err)
		}
		for p, v := range vars {
			if back[p].String() != v.String() {
				t.Fatalf("%s changed: %v vs %v", p, back[p], v)
			}
		}
	})
}
