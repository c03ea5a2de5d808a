package main

import (
	"strconv"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Units a time-to-live may use besides Go's (h, m, s, ms, µs, ns).
const (
	day  = 24 * time.Hour
	week = 7 * day
)

// parseTTL reads a time-to-live: a Go duration that may also use days and
// weeks (30d, 2w, 1w2d12h, 1.5d), of at most 100 years. It takes no sign;
// "0" is zero, as for Go.
func parseTTL(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, core.Errorf(core.ErrInvalid, "empty duration")
	}
	var total time.Duration
	for i := 0; i < len(s); {
		start := i
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		num := s[start:i]
		u := i
		for i < len(s) && !(s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		unit := s[u:i]
		if num == "" || unit == "" {
			return 0, core.Errorf(core.ErrInvalid, "%q: want a number and a unit, such as 30d, 2w or 12h", s)
		}
		var d time.Duration
		if unit == "d" || unit == "w" {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, core.Errorf(core.ErrInvalid, "%q: %q is not a number", s, num)
			}
			n := float64(day)
			if unit == "w" {
				n = float64(week)
			}
			if f*n > float64(service.MaxTTL) {
				return 0, core.Errorf(core.ErrInvalid, "%q: more than 100 years", s)
			}
			d = time.Duration(f * n)
		} else {
			var err error
			if d, err = time.ParseDuration(s[start:i]); err != nil {
				return 0, core.Errorf(core.ErrInvalid, "%q: %q is not a duration (units: w, d, h, m, s, ms, µs, ns)", s, s[start:i])
			}
		}
		if total += d; total > service.MaxTTL {
			return 0, core.Errorf(core.ErrInvalid, "%q: more than 100 years", s)
		}
	}
	return total, nil
}

// ttlValue is a duration flag read by parseTTL: "0" or more.
type ttlValue time.Duration

func (v *ttlValue) Set(s string) error {
	d, err := parseTTL(s)
	if err != nil {
		return err
	}
	*v = ttlValue(d)
	return nil
}

func (v *ttlValue) String() string { return time.Duration(*v).String() }

// Type names the value in the flag's help.
func (v *ttlValue) Type() string { return "duration" }
