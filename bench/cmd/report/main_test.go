package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
		ok   bool
	}{
		{nil, 0, false},
		{[]float64{3}, 3, true},
		{[]float64{5, 1, 3}, 3, true},
		{[]float64{4, 1, 3, 2}, 2.5, true},
	}
	for _, tt := range tests {
		got, ok := median(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("median(%v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseChecks(t *testing.T) {
	good := []struct {
		in   string
		want []check
	}{
		{"", nil},
		{"ratio<=1.5", []check{{"ratio", "<=", 1.5}}},
		{"abs < 0.5; ratio<0.05", []check{{"abs", "<", 0.5}, {"ratio", "<", 0.05}}},
	}
	for _, tt := range good {
		got, err := parseChecks(tt.in)
		if err != nil {
			t.Errorf("parseChecks(%q): %v", tt.in, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("parseChecks(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("parseChecks(%q)[%d] = %v, want %v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
	for _, bad := range []string{"speed<1", "ratio>1", "ratio<=x", "abs"} {
		if _, err := parseChecks(bad); err == nil {
			t.Errorf("parseChecks(%q) accepted", bad)
		}
	}
}

func TestRender(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fast := write("fast", "1.0\n1.1\n9\n")
	slow := write("slow", "2\n2\n")
	ns := write("ns", "12345678e-9\n")
	write("slow.cpu", "1.5 0.5\n0.25 0.25\n")
	tests := []struct {
		name    string
		row     row
		wantOK  bool
		wantRow string
	}{
		{"ratio pass", row{"put", fast, slow, "ratio<=1.5", "t", ""}, true, "| put | 1.10 s | 2.00 s | 0.55x | t | **pass** |"},
		{"ratio fail", row{"get", slow, fast, "ratio<=1.3", "t", ""}, false, "| get | 2.00 s | 1.10 s | 1.82x | t | **FAIL** |"},
		{"abs and ratio, abs fails", row{"re", slow, fast, "abs<0.5;ratio<5", "t", ""}, false, "**FAIL**"},
		{"abs in ns", row{"lin", ns, "", "abs<0.05", "t", ""}, true, "| lin | 12.3 ms | — | — | t | **pass** |"},
		{"info", row{"info", slow, fast, "", "", ""}, true, "| info | 2.00 s | 1.10 s | 1.82x | — | — |"},
		{"missing with note", row{"lin", filepath.Join(dir, "none"), "", "abs<0.05", "t", "not there"}, false, "| lin | — | — | — | t | n/a (not there) |"},
		{"ratio without baseline fails", row{"x", fast, "", "ratio<2", "t", ""}, false, "**FAIL**"},
		{"details", row{"d", slow, fast, "", "", ""}, true,
			"- d: trove 2.00 s, 2.00 s (median 2.00 s, min 2.00 s; CPU user+sys median 1.25 s); baseline 1.00 s, 1.10 s, 9.00 s (median 1.10 s, min 1.00 s)\n"},
		{"details of one time", row{"one", ns, "", "", "", ""}, true, "- one: trove 12.3 ms\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			ok, err := render(&b, []row{tt.row})
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !strings.Contains(b.String(), tt.wantRow) {
				t.Errorf("output lacks %q:\n%s", tt.wantRow, b.String())
			}
		})
	}
}
