package vfield

import (
	"errors"
	"strings"
	"testing"
)

func TestHostEvalChecksRows(t *testing.T) {
	x := [][]float64{{1, 2}, {3, 4}, {5, 6}}
	cases := []struct {
		name string
		u    Host
		want string // substring of the error; "" = no error
	}{
		{"good", func(x [][]float64, _ float64) ([][]float64, error) { return x, nil }, ""},
		{"too few rows", func(x [][]float64, _ float64) ([][]float64, error) { return x[:2], nil }, "returned 2 rows for 3 points"},
		{"short row", func(_ [][]float64, _ float64) ([][]float64, error) {
			return [][]float64{{1, 2}, {3}, {5, 6}}, nil
		}, "row of length 1 for point 1 of dimension 2"},
		{"field error", func(_ [][]float64, _ float64) ([][]float64, error) { return nil, errors.New("boom") }, "boom"},
	}
	for _, c := range cases {
		v, err := c.u.Eval("test", x, 0.5, 3, 2)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.name, err)
		case c.want == "" && len(v) != 3:
			t.Errorf("%s: got %d rows, want 3", c.name, len(v))
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "test: ")):
			t.Errorf("%s: error %v, want one starting with \"test: \" and containing %q", c.name, err, c.want)
		}
	}
}
