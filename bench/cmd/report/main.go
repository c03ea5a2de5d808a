// Command report turns the timing files of bench/run.sh into a Markdown table:
// measurement | trove | baseline | ratio | target | pass/fail.
//
// Each argument is one row, fields separated by "|":
//
//	LABEL|TROVE_FILE|BASELINE_FILE|CHECKS|TARGET_TEXT|NOTE
//
// The files hold one time in seconds per line (as timeit writes them; any
// strconv.ParseFloat syntax, so "12345678e-9" is 12.3 ms); a row uses their
// medians. A file FILE.cpu next to one, lines of "user sys" seconds as
// `timeit -cpu` writes them, adds the median CPU time to the details above
// the table. BASELINE_FILE may be empty. CHECKS is a ";"-separated list of
// conditions that must all hold to pass, each METRIC OP NUMBER with METRIC
// "abs" (the trove median, seconds) or "ratio" (trove / baseline) and OP "<"
// or "<="; no checks makes an informational row. NOTE, when the trove file
// is missing or empty, says why in the pass/fail column.
//
// With -strict, report exits 1 when any row fails or has no figure.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// row is one line of the table.
type row struct {
	label, troveFile, baseFile, checks, target, note string
}

// check is one parsed condition.
type check struct {
	metric string // "abs" or "ratio"
	op     string // "<" or "<="
	limit  float64
}

func main() {
	strict := flag.Bool("strict", false, "exit 1 if any row fails or has no figure")
	flag.Parse()
	var rows []row
	for _, a := range flag.Args() {
		f := strings.Split(a, "|")
		if len(f) != 6 {
			fmt.Fprintf(os.Stderr, "report: row %q: want 6 |-separated fields, got %d\n", a, len(f))
			os.Exit(2)
		}
		rows = append(rows, row{f[0], f[1], f[2], f[3], f[4], f[5]})
	}
	ok, err := render(os.Stdout, rows)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(2)
	}
	if *strict && !ok {
		os.Exit(1)
	}
}

// render writes the per-repetition figures and then the table. It reports
// whether every row passed or is informational.
func render(w io.Writer, rows []row) (bool, error) {
	type result struct {
		trove, base        []float64
		tMed, bMed, ratio  float64
		hasT, hasB, hasRat bool
	}
	results := make([]result, len(rows))
	for i, r := range rows {
		var res result
		var err error
		if res.trove, err = readTimes(r.troveFile); err != nil {
			return false, err
		}
		if res.base, err = readTimes(r.baseFile); err != nil {
			return false, err
		}
		res.tMed, res.hasT = median(res.trove)
		res.bMed, res.hasB = median(res.base)
		if res.hasT && res.hasB && res.bMed > 0 {
			res.ratio, res.hasRat = res.tMed/res.bMed, true
		}
		results[i] = res
	}

	fmt.Fprintln(w, "Per-repetition times (in run order):")
	fmt.Fprintln(w)
	for i, r := range rows {
		res := results[i]
		tCPU, err := series(r.troveFile, res.trove)
		if err != nil {
			return false, err
		}
		fmt.Fprintf(w, "- %s: trove %s", r.label, tCPU)
		if r.baseFile != "" {
			bCPU, err := series(r.baseFile, res.base)
			if err != nil {
				return false, err
			}
			fmt.Fprintf(w, "; baseline %s", bCPU)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)

	allOK := true
	fmt.Fprintln(w, "| measurement | trove | baseline | ratio | target | pass/fail |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---|")
	for i, r := range rows {
		res := results[i]
		verdict := "—"
		checks, err := parseChecks(r.checks)
		if err != nil {
			return false, fmt.Errorf("row %q: %w", r.label, err)
		}
		switch {
		case !res.hasT:
			verdict = "n/a"
			if r.note != "" {
				verdict += " (" + r.note + ")"
			}
			if len(checks) > 0 {
				allOK = false
			}
		case len(checks) > 0:
			verdict = "**pass**"
			for _, c := range checks {
				v, have := res.tMed, true
				if c.metric == "ratio" {
					v, have = res.ratio, res.hasRat
				}
				if !have || !c.holds(v) {
					verdict = "**FAIL**"
					allOK = false
				}
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.label,
			optional(res.hasT, seconds(res.tMed)), optional(res.hasB, seconds(res.bMed)),
			optional(res.hasRat, ratio(res.ratio)), orDash(r.target), verdict)
	}
	return allOK, nil
}

// readTimes reads one number per non-blank line; a missing file or name ""
// gives none.
func readTimes(name string) ([]float64, error) {
	if name == "" {
		return nil, nil
	}
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		v, err := strconv.ParseFloat(line, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// series describes the times read from name: each one, then for several the
// median and the minimum, and the median CPU time when name.cpu exists.
func series(name string, xs []float64) (string, error) {
	s := list(xs)
	if len(xs) > 1 {
		med, _ := median(xs)
		s += fmt.Sprintf(" (median %s, min %s", seconds(med), seconds(slices.Min(xs)))
	} else {
		s += " ("
	}
	cpu, err := readCPU(name)
	if err != nil {
		return "", err
	}
	if med, ok := median(cpu); ok {
		if len(xs) > 1 {
			s += "; "
		}
		s += "CPU user+sys median " + seconds(med)
	}
	s += ")"
	return strings.TrimSuffix(s, " ()"), nil
}

// readCPU reads name.cpu, lines of "user sys" seconds, as user+sys sums; a
// missing file or name "" gives none.
func readCPU(name string) ([]float64, error) {
	if name == "" {
		return nil, nil
	}
	f, err := os.Open(name + ".cpu")
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		var sum float64
		for _, fl := range fields {
			v, err := strconv.ParseFloat(fl, 64)
			if err != nil {
				return nil, fmt.Errorf("%s.cpu: %w", name, err)
			}
			sum += v
		}
		out = append(out, sum)
	}
	return out, sc.Err()
}

// median returns the median of xs, the mean of the middle two for an even
// count; false for no values.
func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// parseChecks parses "abs<0.5;ratio<=1.5".
func parseChecks(s string) ([]check, error) {
	var out []check
	for part := range strings.SplitSeq(s, ";") {
		part = strings.ReplaceAll(part, " ", "")
		if part == "" {
			continue
		}
		var c check
		rest, found := "", false
		for _, m := range []string{"abs", "ratio"} {
			if r, ok := strings.CutPrefix(part, m); ok {
				c.metric, rest, found = m, r, true
			}
		}
		if !found {
			return nil, fmt.Errorf("check %q: want abs or ratio first", part)
		}
		switch {
		case strings.HasPrefix(rest, "<="):
			c.op, rest = "<=", rest[2:]
		case strings.HasPrefix(rest, "<"):
			c.op, rest = "<", rest[1:]
		default:
			return nil, fmt.Errorf("check %q: want < or <=", part)
		}
		v, err := strconv.ParseFloat(rest, 64)
		if err != nil {
			return nil, fmt.Errorf("check %q: %w", part, err)
		}
		c.limit = v
		out = append(out, c)
	}
	return out, nil
}

// holds reports whether v meets the condition.
func (c check) holds(v float64) bool {
	if c.op == "<=" {
		return v <= c.limit
	}
	return v < c.limit
}

// seconds formats a duration in seconds for reading: seconds from 1 s up,
// milliseconds below.
func seconds(v float64) string {
	switch {
	case v >= 1:
		return fmt.Sprintf("%.2f s", v)
	case v >= 0.1:
		return fmt.Sprintf("%.0f ms", v*1e3)
	default:
		return fmt.Sprintf("%.1f ms", v*1e3)
	}
}

// ratio formats trove/baseline; small ratios also as a percentage, the form
// their targets are stated in.
func ratio(v float64) string {
	if v < 0.1 {
		return fmt.Sprintf("%.3fx (%.1f%%)", v, v*100)
	}
	return fmt.Sprintf("%.2fx", v)
}

// list formats the values of one series.
func list(xs []float64) string {
	if len(xs) == 0 {
		return "(none)"
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = seconds(x)
	}
	return strings.Join(parts, ", ")
}

func optional(ok bool, s string) string {
	if !ok {
		return "—"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
