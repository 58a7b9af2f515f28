package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Summary describes repeated samples of one measurement. Values are in the
// measurement's base unit: seconds for times, bytes per second for rates,
// nanoseconds for per-call costs.
type Summary struct {
	N                     int
	Median, P25, P75, P99 float64
	Min, Max              float64
}

func summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Summary{N: len(s), Median: quantile(s, 0.5), P25: quantile(s, 0.25), P75: quantile(s, 0.75),
		P99: quantile(s, 0.99), Min: s[0], Max: s[len(s)-1]}
}

// quantile interpolates linearly between the two nearest ranks of sorted s.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

func seconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// unit formats values of one kind of measurement.
type unit int

const (
	unitTime unit = iota // seconds
	unitRate             // bytes per second
	unitNs               // nanoseconds
)

func (u unit) format(v float64) string {
	switch u {
	case unitRate:
		return fmtRate(v)
	case unitNs:
		return fmtNs(v)
	}
	return fmtTime(v)
}

// fmtTime prints seconds with three significant digits in a readable unit.
func fmtTime(s float64) string {
	switch {
	case s >= 1:
		return sig3(s) + " s"
	case s >= 1e-3:
		return sig3(s*1e3) + " ms"
	case s >= 1e-6:
		return sig3(s*1e6) + " µs"
	}
	return sig3(s*1e9) + " ns"
}

func fmtNs(ns float64) string { return fmtTime(ns / 1e9) }

// fmtRate prints bytes per second in binary units.
func fmtRate(b float64) string {
	switch {
	case b >= 1<<30:
		return sig3(b/(1<<30)) + " GiB/s"
	case b >= 1<<20:
		return sig3(b/(1<<20)) + " MiB/s"
	}
	return sig3(b/(1<<10)) + " KiB/s"
}

func sig3(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// spread is the interquartile range, and the extremes when there are few
// samples.
func (s Summary) spread(u unit) string {
	return u.format(s.P25) + " – " + u.format(s.P75)
}

// thousands prints n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ratio formats a/b as a factor.
func ratio(a, b float64) string {
	if b == 0 || math.IsNaN(a/b) {
		return "n/a"
	}
	r := a / b
	if r >= 10 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}
