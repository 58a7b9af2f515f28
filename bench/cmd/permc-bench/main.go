//go:build linux

// Command permc-bench measures permc against the tools its users would
// otherwise use, side by side in one run, and writes BENCHMARKS.md.
// scripts/bench.sh (make bench) installs the comparison tools, builds
// permc and this program outside every writable root, and runs it.
//
// Every figure is a median over repeated samples, with the interquartile
// range beside it; variants of one measurement are sampled in interleaved
// rounds, so that a burst of load on a shared machine spreads over all of
// them instead of landing on one.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// childEnv selects a child mode of this program: it re-executes itself to
// apply Landlock, which cannot be undone in the parent.
const childEnv = "PERMC_BENCH_CHILD"

type bench struct {
	repo  string // the permc checkout
	dir   string // binaries, configs, state: outside every writable root
	tmp   string // workspaces and the generated tree
	permc string // the permc binary
	self  string // this program
	quick bool
	env   []string // the environment of every timed process

	rep    *report
	failed []string // sections in which permc itself failed
}

func main() {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(child(mode, os.Args[1:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "client" {
		os.Exit(clientMain(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "floor-relay" {
		os.Exit(floorMain(os.Args[2:]))
	}
	b := &bench{}
	flag.StringVar(&b.repo, "repo", ".", "the permc checkout `DIR`")
	flag.StringVar(&b.dir, "dir", "/opt/permc-bench", "`DIR` for binaries, configs and state; must not be writable inside a sandbox")
	flag.StringVar(&b.tmp, "tmp", "/tmp/permc-bench", "`DIR` for workspaces and the generated tree")
	flag.StringVar(&b.permc, "permc", "", "the permc `binary` (default DIR/permc)")
	flag.BoolVar(&b.quick, "quick", false, "few repetitions, to check that everything runs")
	out := flag.String("o", "BENCHMARKS.md", "write the page to `FILE`")
	only := flag.String("only", "", "comma-separated sections to run (default all): "+strings.Join(sectionNames(), ","))
	flag.Parse()
	if err := b.setup(); err != nil {
		fmt.Fprintln(os.Stderr, "permc-bench:", err)
		os.Exit(2)
	}
	b.rep = newReport(b)
	start := time.Now()
	for _, s := range sections {
		if *only != "" && !strings.Contains(","+*only+",", ","+s.name+",") {
			continue
		}
		fmt.Fprintf(os.Stderr, "permc-bench: %s\n", s.title)
		t0 := time.Now()
		s.run(b)
		fmt.Fprintf(os.Stderr, "permc-bench: %s took %s\n", s.name, time.Since(t0).Round(time.Second))
	}
	b.rep.elapsed = time.Since(start)
	if err := os.WriteFile(*out, []byte(b.rep.render()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "permc-bench:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "permc-bench: wrote %s in %s\n", *out, b.rep.elapsed.Round(time.Second))
	if len(b.failed) > 0 {
		fmt.Fprintf(os.Stderr, "permc-bench: permc failed in: %s\n", strings.Join(b.failed, ", "))
		os.Exit(1)
	}
}

type section struct {
	name, title string
	run         func(*bench)
}

var sections = []section{
	{"compile", "Compile: permc build", (*bench).compile},
	{"start", "Sandbox start", (*bench).start},
	{"glob", "Deny-glob expansion", (*bench).glob},
	{"seccomp", "seccomp", (*bench).seccomp},
	{"landlock", "Landlock", (*bench).landlock},
	{"proxy", "Proxy", (*bench).proxy},
	{"broker", "Unix-socket broker", (*bench).broker},
}

func sectionNames() []string {
	var out []string
	for _, s := range sections {
		out = append(out, s.name)
	}
	return out
}

func (b *bench) setup() error {
	var err error
	if b.repo, err = filepath.Abs(b.repo); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(b.repo, "examples", "limits.txt")); err != nil {
		return fmt.Errorf("-repo %s is not a permc checkout: %v", b.repo, err)
	}
	if b.permc == "" {
		b.permc = filepath.Join(b.dir, "permc")
	}
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	for _, d := range []string{b.dir, b.tmp} {
		if !filepath.IsAbs(d) {
			return fmt.Errorf("%s: an absolute path is needed", d)
		}
	}
	if _, err := os.Stat(b.permc); err != nil {
		return fmt.Errorf("permc binary: %v (scripts/bench.sh builds it)", err)
	}
	for _, d := range []string{filepath.Join(b.dir, "codex"), filepath.Join(b.dir, "state"), b.tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	home, _ := os.UserHomeDir()
	b.env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + home,
		"LANG=C.UTF-8",
		// No machine layers: an empty CODEX_HOME, and no /etc/codex is
		// assumed (the page records whether one exists).
		"CODEX_HOME=" + filepath.Join(b.dir, "codex"),
		"PERMC_STATE_DIR=" + b.stateDir(),
	}
	return nil
}

func (b *bench) stateDir() string { return filepath.Join(b.dir, "state") }

// reps scales a repetition count down in quick mode.
func (b *bench) reps(n int) int {
	if b.quick {
		return max(3, n/5)
	}
	return n
}

// fail records a failure of permc itself: the page says so and the run
// exits 1.
func (b *bench) fail(section string, err error) {
	b.failed = append(b.failed, section)
	b.rep.para("**permc failed here:** " + oneLine(err.Error()))
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return strings.ReplaceAll(s, "\n", " ⏎ ")
}

// writeFile writes a generated input and remembers it for the appendix.
func (b *bench) writeFile(path, content string, show bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if show {
		b.rep.files = append(b.rep.files, genFile{path, content})
	}
	return os.WriteFile(path, []byte(content), 0o644)
}
