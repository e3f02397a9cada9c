package weightsfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Magic starts every weights file (version 1 of the format).
const Magic = "GOFMW1\n\x00"

// maxHeader bounds the JSON index: a network of 10,000 variables with long
// paths needs well under a megabyte; a larger length is a damaged file.
const maxHeader = 16 << 20

// entry describes one variable in the index.
type entry struct {
	Path  string `json:"path"`
	DType string `json:"dtype"`
	Dims  []int  `json:"dims"`
}

// dtypeSize is the byte size of the value types the format holds.
var dtypeSize = map[string]int{"float32": 4, "float64": 8, "int64": 8}

// Encode returns the weights file of vars (store path to value): the
// variables sorted by path, their values little-endian.
func Encode(vars map[string]*tensors.Tensor) ([]byte, error) {
	paths := slices.Sorted(maps.Keys(vars))
	index := make([]entry, 0, len(paths))
	var data bytes.Buffer
	for _, p := range paths {
		t := vars[p]
		if t == nil {
			return nil, fmt.Errorf("variable %s has no value", p)
		}
		e := entry{Path: p, Dims: slices.Clone(t.Shape().Dimensions)}
		if e.Dims == nil {
			e.Dims = []int{}
		}
		var err error
		switch t.DType() {
		case dtypes.Float32:
			e.DType = "float32"
			var v []float32
			if v, err = tensors.CopyFlatData[float32](t); err == nil {
				err = checkFinite(p, func(i int) float64 { return float64(v[i]) }, len(v))
				if err == nil {
					err = binary.Write(&data, binary.LittleEndian, v)
				}
			}
		case dtypes.Float64:
			e.DType = "float64"
			var v []float64
			if v, err = tensors.CopyFlatData[float64](t); err == nil {
				err = checkFinite(p, func(i int) float64 { return v[i] }, len(v))
				if err == nil {
					err = binary.Write(&data, binary.LittleEndian, v)
				}
			}
		case dtypes.Int64:
			e.DType = "int64"
			var v []int64
			if v, err = tensors.CopyFlatData[int64](t); err == nil {
				err = binary.Write(&data, binary.LittleEndian, v)
			}
		default:
			return nil, fmt.Errorf("variable %s is %s; the weights format holds float32, float64 and int64", p, t.DType())
		}
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", p, err)
		}
		index = append(index, e)
	}
	head, err := json.Marshal(index)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(Magic)+8+len(head)+data.Len())
	out = append(out, Magic...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(head)))
	out = append(out, head...)
	return append(out, data.Bytes()...), nil
}

// checkFinite fails on the first NaN or infinite value: weights of a run
// that diverged are not worth shipping or loading.
func checkFinite(path string, at func(int) float64, n int) error {
	for i := range n {
		if v := at(i); math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("value %d of %s is %g: the run that made these weights diverged", i, path, v)
		}
	}
	return nil
}

// Decode reads a weights file written by Encode. Every inconsistency (a wrong
// mark, an index that does not parse or describes more or fewer bytes
// than follow it, a repeated path, a NaN) is an error saying what is wrong.
func Decode(b []byte) (map[string]*tensors.Tensor, error) {
	if len(b) < len(Magic)+8 || string(b[:len(Magic)]) != Magic {
		if strings.HasPrefix(string(b), "version https://git-lfs") {
			return nil, fmt.Errorf("this is a Git LFS pointer, not the weights: fetch them with git lfs pull")
		}
		return nil, fmt.Errorf("not a gofm weights file (it does not start with the format's 8-byte mark)")
	}
	n := binary.LittleEndian.Uint64(b[len(Magic):])
	rest := b[len(Magic)+8:]
	if n > maxHeader || n > uint64(len(rest)) {
		return nil, fmt.Errorf("the index length %d is beyond the file's %d remaining bytes: the file is truncated or damaged", n, len(rest))
	}
	dec := json.NewDecoder(bytes.NewReader(rest[:n]))
	dec.DisallowUnknownFields()
	var index []entry
	if err := dec.Decode(&index); err != nil {
		return nil, fmt.Errorf("the index does not parse (%v): the file is damaged", err)
	}
	data := rest[n:]
	out := make(map[string]*tensors.Tensor, len(index))
	for _, e := range index {
		size, ok := dtypeSize[e.DType]
		if !ok {
			return nil, fmt.Errorf("variable %s has dtype %q; the format holds float32, float64 and int64", e.Path, e.DType)
		}
		if !strings.HasPrefix(e.Path, "/") {
			return nil, fmt.Errorf("variable path %q is not a store path (it must start with /)", e.Path)
		}
		if _, dup := out[e.Path]; dup {
			return nil, fmt.Errorf("variable %s appears twice in the index", e.Path)
		}
		count := 1
		for _, d := range e.Dims {
			if d < 0 || (d > 0 && count > len(data)/d) {
				return nil, fmt.Errorf("variable %s has dimensions %v, more values than the file holds: the file is truncated or damaged", e.Path, e.Dims)
			}
			count *= d
		}
		if count > len(data)/size {
			return nil, fmt.Errorf("variable %s needs %d values but the file has %d bytes left: the file is truncated", e.Path, count, len(data))
		}
		raw := data[:count*size]
		data = data[count*size:]
		var t *tensors.Tensor
		switch e.DType {
		case "float32":
			v := make([]float32, count)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
			if err := checkFinite(e.Path, func(i int) float64 { return float64(v[i]) }, count); err != nil {
				return nil, err
			}
			t = tensors.FromFlatDataAndDimensions(v, e.Dims...)
		case "float64":
			v := make([]float64, count)
			for i := range v {
				v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
			if err := checkFinite(e.Path, func(i int) float64 { return v[i] }, count); err != nil {
				return nil, err
			}
			t = tensors.FromFlatDataAndDimensions(v, e.Dims...)
		case "int64":
			v := make([]int64, count)
			for i := range v {
				v[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
			t = tensors.FromFlatDataAndDimensions(v, e.Dims...)
		}
		out[e.Path] = t
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("%d bytes follow the last variable: the file is damaged or was written by another program", len(data))
	}
	return out, nil
}
