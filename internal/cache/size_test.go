package cache

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/troveml/trove/internal/core"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1000", 1000},
		{"512B", 512},
		{"512 b", 512},
		{"10KB", 10_000},
		{"10MB", 10_000_000},
		{"10GB", 10_000_000_000},
		{"1TB", 1_000_000_000_000},
		{"10KiB", 10 << 10},
		{"10MiB", 10 << 20},
		{"10GiB", 10 << 30},
		{"1TiB", 1 << 40},
		{"10K", 10 << 10},
		{"10M", 10 << 20},
		{"10G", 10 << 30},
		{"10T", 10 << 40},
		{"10gib", 10 << 30},
		{"10gb", 10_000_000_000},
		{"10g", 10 << 30},
		{"10 GiB", 10 << 30},
		{"  10\tGB  ", 10_000_000_000},
		{"1.5GB", 1_500_000_000},
		{"1.5 GiB", 3 << 29},
		{"0.5K", 512},
		{"0.1KiB", 102}, // 102.4 rounds down
		{"0.9KB", 900},
		{"1.0005KB", 1001}, // 1000.5 rounds half up
		{"007", 7},
		{"8191PiB", 8191 << 50},
		{"7.99 EiB", 9_211_842_821_808_707_338},
		{"9223372036854775807", math.MaxInt64},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeInvalid(t *testing.T) {
	for _, in := range []string{
		"", "   ", "-1", "-0", "-1GB", "+5", "GB", "1.", ".5G", "1..5G", "1.5", "1.5B",
		"10 XB", "10GBs", "1e3", "0x10", "1,000", "1_000", "10 G B", "ten",
		"9223372036854775808", "8EiB", "9999999999999999999999", "10000000TB",
		"1234567890123456789012345678901234567890123456789012345678901234567890",
	} {
		n, err := ParseSize(in)
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("ParseSize(%q) = %d, %v; want ErrInvalid", in, n, err)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1, "1 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{1 << 20, "1 MiB"},
		{1<<20 - 1, "1 MiB"}, // 1023.999 KiB rounds up into the next unit
		{3 << 29, "1.5 GiB"},
		{10 << 30, "10 GiB"},
		{DefaultLimit, "10 GiB"},
		{1 << 40, "1 TiB"},
		{5 << 60, "5 EiB"},
		{math.MaxInt64, "8 EiB"},
		{-1536, "-1.5 KiB"},
		{math.MinInt64, "-8 EiB"},
	}
	for _, tt := range tests {
		if got := FormatSize(tt.n); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// checkRoundTrip checks that FormatSize(n) parses back to n within the
// rounding of its one decimal.
func checkRoundTrip(t *testing.T, n int64) {
	t.Helper()
	s := FormatSize(n)
	m, err := ParseSize(s)
	if n > 7<<60 {
		// Near math.MaxInt64 the rounding may go past it: an error is fine.
		if err != nil {
			return
		}
	}
	if err != nil {
		t.Fatalf("ParseSize(FormatSize(%d) = %q): %v", n, s, err)
	}
	// One decimal of the unit shown: off by at most 0.05 of that unit. The
	// unit is at most n itself rounded up, so n/19 bounds it generously.
	tol := max(n/19, 0)
	if d := m - n; d > tol || -d > tol {
		t.Fatalf("FormatSize(%d) = %q parses to %d, off by %d", n, s, m, d)
	}
}

func TestFormatSizeRoundTrip(t *testing.T) {
	for _, n := range []int64{0, 1, 1023, 1024, 1025, 1<<20 - 1, 123_456_789, 3 << 29, 1<<40 + 1, 7 << 60, math.MaxInt64} {
		checkRoundTrip(t, n)
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "1000", "512B", "10KB", "10 MiB", "1.5GB", "10k", "0.1KiB",
		"-1", "", "1e3", "8EiB", "9223372036854775807", "1.99999999999999999999T"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("ParseSize(%q) error %v has no ErrInvalid kind", s, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, n)
		}
		if m, err := ParseSize(strconv.FormatInt(n, 10)); err != nil || m != n {
			t.Fatalf("ParseSize(%d as digits) = %d, %v", n, m, err)
		}
		checkRoundTrip(t, n)
	})
}
