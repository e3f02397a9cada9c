package ode

import (
	"strings"
	"testing"
)

func TestParseMethod(t *testing.T) {
	for _, c := range []struct {
		name string
		want Method
		err  bool
	}{
		{"euler", Euler, false}, {"Midpoint", Midpoint, false}, {"HEUN", Heun, false},
		{"rk4", RK4, false}, {"RK4", RK4, false}, {"dopri5", Dopri5, false}, {"Dopri5", Dopri5, false},
		{"", 0, true}, {"rk45", 0, true}, {" rk4", 0, true}, {"Method(7)", 0, true},
	} {
		m, err := ParseMethod(c.name)
		if c.err {
			if err == nil || !strings.Contains(err.Error(), "euler, midpoint, heun, rk4, dopri5") {
				t.Errorf("ParseMethod(%q) = %v, %v; want an error listing the names", c.name, m, err)
			}
			continue
		}
		if err != nil || m != c.want {
			t.Errorf("ParseMethod(%q) = %v, %v; want %v", c.name, m, err, c.want)
		}
		if back, err := ParseMethod(m.String()); err != nil || back != m {
			t.Errorf("ParseMethod(%q) = %v, %v; String and ParseMethod must round-trip", m.String(), back, err)
		}
	}
}
