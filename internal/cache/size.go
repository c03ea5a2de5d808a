package cache

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// sizeUnits maps a lower-cased unit to its multiplier. Bare letters are
// binary, as du and sort -h read them; "KB" is decimal, "KiB" binary.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50, "e": 1 << 60,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50, "eib": 1 << 60,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15, "eb": 1e18,
}

// maxSizeText bounds the input ParseSize will look at; no valid size is
// anywhere near this long, and it keeps the arithmetic small.
const maxSizeText = 64

// ParseSize parses a byte size such as "0", "1000", "512B", "10KB" (powers
// of 1000), "10KiB" (powers of 1024), "10K" (1024, as du and sort -h mean
// it) or "1.5 GB": case-insensitive, with optional space before the unit.
// Units go up to E/EB/EiB. Fractions are rounded to the nearest byte; a
// fractional number of bytes, a negative, empty or malformed size, or one
// above math.MaxInt64 is core.ErrInvalid.
func ParseSize(s string) (int64, error) {
	if len(s) > maxSizeText {
		return 0, core.Errorf(core.ErrInvalid, "size %.20q… is too long", s)
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, core.Errorf(core.ErrInvalid, "size is empty")
	}
	if t[0] == '-' {
		return 0, core.Errorf(core.ErrInvalid, "size %q is negative", s)
	}
	i := digitsEnd(t, 0)
	if i == 0 {
		return 0, core.Errorf(core.ErrInvalid, "size %q does not start with a number", s)
	}
	whole, frac := t[:i], ""
	if i < len(t) && t[i] == '.' {
		j := digitsEnd(t, i+1)
		if j == i+1 {
			return 0, core.Errorf(core.ErrInvalid, "size %q: expected digits after the decimal point", s)
		}
		frac, i = t[i+1:j], j
	}
	unit := strings.ToLower(strings.TrimLeft(t[i:], " \t"))
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, core.Errorf(core.ErrInvalid,
			"size %q: unknown unit %q (use B; KB, MB, GB, TB for powers of 1000; K, M, G, T or KiB, MiB, GiB, TiB for powers of 1024)",
			s, t[i:])
	}
	if frac != "" && mult == 1 {
		return 0, core.Errorf(core.ErrInvalid, "size %q: a number of bytes must be whole", s)
	}
	// Exact: (whole.frac × mult) = (whole‖frac × mult) / 10^len(frac),
	// rounded half up.
	num, _ := new(big.Int).SetString(whole+frac, 10)
	num.Mul(num, big.NewInt(mult))
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	num.Add(num, new(big.Int).Rsh(den, 1))
	num.Quo(num, den)
	if !num.IsInt64() {
		return 0, core.Errorf(core.ErrInvalid, "size %q is too large (more than %s)", s, FormatSize(math.MaxInt64))
	}
	return num.Int64(), nil
}

// digitsEnd returns the index of the first non-digit in s at or after i.
func digitsEnd(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// FormatSize formats n bytes for people, in powers of 1024 with at most one
// decimal: "512 B", "1 KiB", "1.5 GiB". ParseSize reads it back to within
// the rounding.
func FormatSize(n int64) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign, u = "-", uint64(-(n+1))+1 // no overflow at math.MinInt64
	}
	if u < 1<<10 {
		return sign + strconv.FormatUint(u, 10) + " B"
	}
	units := [...]string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	v := float64(u) / (1 << 10)
	for v >= 1<<10 && i < len(units)-1 {
		v /= 1 << 10
		i++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if s == "1024.0" && i < len(units)-1 {
		s, i = "1.0", i+1
	}
	return sign + strings.TrimSuffix(s, ".0") + " " + units[i]
}
