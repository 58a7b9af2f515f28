//go:build linux

package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// goBench runs `go test -bench` in the checkout and returns every reported
// metric per benchmark name (GOMAXPROCS suffix removed), one map per
// -count repetition, and the command it ran.
func (b *bench) goBench(pkg, pattern, benchtime string, count int) (map[string][]map[string]float64, string, error) {
	argv := []string{"go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime,
		"-count", strconv.Itoa(count), pkg}
	cmd := "cd " + shellQuote(b.repo) + " && " + shellJoin(argv)
	out, err := output(b.repo, os.Environ(), argv...)
	if err != nil {
		return nil, cmd, err
	}
	return parseBench(out), cmd, nil
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

func parseBench(out string) map[string][]map[string]float64 {
	res := map[string][]map[string]float64{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := procsSuffix.ReplaceAllString(f[0], "")
		m := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				m[f[i+1]] = v
			}
		}
		res[name] = append(res[name], m)
	}
	return res
}

// metric collects one metric over the repetitions of a benchmark.
func metric(res map[string][]map[string]float64, name, unit string) []float64 {
	var out []float64
	for _, m := range res[name] {
		if v, ok := m[unit]; ok {
			out = append(out, v)
		}
	}
	return out
}

// seccomp reuses backend/seccomp's BenchmarkSyscall: each case runs in a
// re-executed child that loads the filter as permc run does, and reports
// ns per call.
func (b *bench) seccomp() {
	r := b.rep
	r.h2("4. seccomp: cost per syscall")
	count := b.reps(15)
	res, cmd, err := b.goBench("./backend/seccomp", "^BenchmarkSyscall$", "500000x", count)
	r.cmds("4. seccomp", cmd)
	if err != nil {
		b.fail("seccomp", err)
		return
	}
	r.para(fmt.Sprintf("`BenchmarkSyscall` of backend/seccomp, %d repetitions of 500,000 calls each, every "+
		"repetition in a fresh child that sets no_new_privs and loads the filter on its locked thread as the inner stage "+
		"does. `getppid` is a plain call: no rule names it, so the kernel's constant-action cache allows it "+
		"without running the program. `ioctl` on a bad descriptor is argument-checked (the TIOCSTI rule), so "+
		"the program runs. “empty” is a one-instruction filter that allows everything (the cost of having "+
		"seccomp at all); the two permc filters are those it compiles for a profile without network and for "+
		"one whose network goes through the proxy.", count))
	names := []struct{ key, label string }{
		{"none", "no filter"}, {"empty", "empty filter"},
		{"filter-off", "**permc filter**, network off"}, {"filter-proxied", "**permc filter**, proxied network"},
	}
	var rows [][]string
	for _, call := range []string{"getppid", "ioctl"} {
		none := summarize(metric(res, "BenchmarkSyscall/none/"+call, "ns/call"))
		empty := summarize(metric(res, "BenchmarkSyscall/empty/"+call, "ns/call"))
		for _, n := range names {
			s := summarize(metric(res, "BenchmarkSyscall/"+n.key+"/"+call, "ns/call"))
			if s.N == 0 {
				rows = append(rows, []string{call + ", " + n.label, "missing", "", "", "", ""})
				continue
			}
			vsNone, vsEmpty := signedNs(s.Median-none.Median), signedNs(s.Median-empty.Median)
			switch n.key {
			case "none":
				vsNone = "—"
			case "empty":
				vsEmpty = "—"
			}
			rows = append(rows, row("`"+call+"`, "+n.label, s, unitNs, vsNone, vsEmpty))
		}
		off := summarize(metric(res, "BenchmarkSyscall/filter-off/"+call, "ns/call"))
		prox := summarize(metric(res, "BenchmarkSyscall/filter-proxied/"+call, "ns/call"))
		kind := map[string]string{"getppid": "plain", "ioctl": "argument-checked"}[call]
		added := max(off.Median, prox.Median) - empty.Median
		addedBest := max(off.Min, prox.Min) - empty.Min
		verdict := "unclear"
		switch {
		case added < 50 && addedBest < 50:
			verdict = "yes"
		case added >= 50 && addedBest >= 50:
			verdict = "no"
		}
		r.targetVerdict("4", fmt.Sprintf("seccomp: under 50 ns added per %s syscall against an empty filter (`%s`)", kind, call),
			fmt.Sprintf("%s on medians, %s on best samples (the slower of permc's two filters; medians: no filter %s, "+
				"empty %s, network off %s, proxied %s)", signedNs(added), signedNs(addedBest),
				fmtNs(none.Median), fmtNs(empty.Median), fmtNs(off.Median), fmtNs(prox.Median)), verdict)
		r.headline("seccomp, %s syscall (`%s`), medians (best samples): no filter %s (%s), empty filter %s (%s), "+
			"permc's filters %s (%s) with network off and %s (%s) proxied.",
			kind, call, fmtNs(none.Median), fmtNs(none.Min), fmtNs(empty.Median), fmtNs(empty.Min),
			fmtNs(off.Median), fmtNs(off.Min), fmtNs(prox.Median), fmtNs(prox.Min))
	}
	r.table([]string{"call, filter", "median per call", "IQR", "best", "n", "added vs no filter", "added vs empty filter"}, rows)
	r.para("On this shared machine the medians of these nanosecond figures move by tens of nanoseconds from one " +
		"run to the next, more than the differences being measured; the best samples are steadier. The target " +
		"rows give both, and say “unclear” when they disagree.")
}

func signedNs(ns float64) string {
	if ns >= 0 {
		return "+" + fmtNs(ns)
	}
	return "−" + fmtNs(-ns)
}
