//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/permc/permc/examples"
)

// compile times `permc build` of every bundled example (the list the
// golden test builds) and of a generated 1,000-rule profile, as whole
// processes, against `permc version`: the start of the same binary doing
// no work.
func (b *bench) compile() {
	r := b.rep
	r.h2("1. Compile: `permc build`")
	builds, err := b.exampleBuilds()
	if err != nil {
		b.fail("compile", err)
		return
	}
	big := filepath.Join(b.dir, "rules-1000.toml")
	if err := b.writeFile(big, examples.Rules(1000), false); err != nil {
		b.fail("compile", err)
		return
	}
	builds = append(builds, exampleBuild{"generated 1,000 rules", []string{"-c", big}})
	outDir := filepath.Join(b.tmp, "build")
	floor := &proc{name: "permc version", argv: []string{b.permc, "version"}, dir: b.repo, env: b.env}
	procs := []*proc{floor}
	for _, eb := range builds {
		argv := append([]string{b.permc, "build", "-o", filepath.Join(outDir, slug(eb.name))}, eb.args...)
		procs = append(procs, &proc{name: eb.name, argv: argv, dir: b.repo, env: b.env})
	}
	reps := b.reps(15)
	samples, errs := measure(procs, 2, reps)
	fs := summarize(samples[floor.name])
	r.para(fmt.Sprintf("Each build is a whole `permc build -o DIR …` process writing its folder (%d rounds "+
		"after 2 warm-up rounds, interleaved). `permc version` is the same binary starting and exiting: "+
		"the floor every permc command pays. The generated profile has 1,000 filesystem rules "+
		"(500 absolute paths, 500 below `:workspace_roots`, read, write and deny in turn; written to `%s` "+
		"by `genRules` in bench/cmd/permc-bench) and builds for macOS, Linux and Windows.", reps, big))
	var rows [][]string
	var exMedians []float64
	for _, p := range procs {
		if err := errs[p.name]; err != nil {
			rows = append(rows, []string{p.name, "failed", "", "", "", oneLine(err.Error())})
			b.failed = append(b.failed, "compile: "+p.name)
			continue
		}
		s := summarize(samples[p.name])
		extra := "—"
		if p != floor {
			extra = fmtTime(s.Median-fs.Median) + " (" + ratio(s.Median, fs.Median) + ")"
			if p.name != "generated 1,000 rules" {
				exMedians = append(exMedians, s.Median)
			}
		}
		rows = append(rows, row(p.name, s, unitTime, extra))
	}
	r.table([]string{"build", "median", "IQR", "best", "n", "above `permc version`"}, rows)
	var lines []string
	for _, p := range procs {
		lines = append(lines, p.command())
	}
	r.cmds("1. Compile", lines...)
	if len(exMedians) > 0 {
		m := summarize(exMedians)
		bs := summarize(samples["generated 1,000 rules"])
		r.headline("Compile: `permc build` of a bundled example takes %s (median of the per-example medians; "+
			"range %s – %s), %s of it the process start of `permc version` (%s). "+
			"The 1,000-rule profile takes %s, %s per rule above that floor.",
			fmtTime(m.Median), fmtTime(m.Min), fmtTime(m.Max), fmtTime(fs.Median), fs.spread(unitTime),
			fmtTime(bs.Median), fmtTime((bs.Median-fs.Median)/1000))
		r.target("3", "`permc build` of a typical profile well under 10 ms, process start included (median over the examples)",
			fmtTime(m.Median)+" (range "+fmtTime(m.Min)+" – "+fmtTime(m.Max)+")", m.Median < 0.010)
		r.target("3", "`permc build` of a 1,000-rule profile under 50 ms", fmtTime(bs.Median)+" (IQR "+bs.spread(unitTime)+")", bs.Median < 0.050)
	}
}

type exampleBuild struct {
	name string
	args []string
}

// exampleBuilds lists what golden/ holds, with the targets of
// examples/limits.txt, exactly as cmd/permc's golden test does.
func (b *bench) exampleBuilds() ([]exampleBuild, error) {
	builds := []exampleBuild{
		{"builtins", nil},
		{"legacy", []string{"-c", "examples/legacy.toml"}},
		{"layered", []string{"-c", "examples/layered/system.toml", "-c", "examples/layered/user.toml"}},
		{"org", []string{"-c", "examples/org/system.toml", "-c", "examples/org/user.toml",
			"--requirements", "examples/org/requirements.toml"}},
	}
	specs, err := filepath.Glob(filepath.Join(b.repo, "examples/spec/*.toml"))
	if err != nil || len(specs) == 0 {
		return nil, fmt.Errorf("no examples in %s/examples/spec", b.repo)
	}
	for _, s := range specs {
		name := strings.TrimSuffix(filepath.Base(s), ".toml")
		builds = append(builds, exampleBuild{"spec/" + name, []string{"-c", "examples/spec/" + filepath.Base(s)}})
	}
	data, err := os.ReadFile(filepath.Join(b.repo, "examples/limits.txt"))
	if err != nil {
		return nil, err
	}
	limits := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(line, "#") {
			limits[f[0]] = f[1]
		}
	}
	for i, eb := range builds {
		key := eb.name
		if strings.HasPrefix(key, "spec/") {
			key += ".toml"
		}
		if t, ok := limits[key]; ok {
			builds[i].args = append(eb.args, "--target", t)
		}
	}
	return builds, nil
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}
