package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/permc/permc/runtime/run"
)

func runRun(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := newFlagSet("run", stderr)
	c.register(fs, true)
	dir := fs.String("C", "", "workspace `DIR` (default: the current directory)")
	var roots listFlag
	fs.Var(&roots, "workspace-root", "another workspace root `DIR` (repeatable)")
	noBwrap := fs.Bool("no-bwrap", false, "use the Landlock-only mode, as on a machine without bubblewrap")
	if err := fs.Parse(args); err != nil {
		return run.ExitSetup
	}
	argv := fs.Args()
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "usage: permc run [flags] -- CMD [ARGS...]")
		return run.ExitSetup
	}
	o, code := c.runOptions(*dir, roots, stderr)
	if o == nil {
		return code
	}
	o.Argv, o.NoBwrap = argv, *noBwrap
	code, err := run.Run(o)
	if err != nil {
		return run.Report(stderr, err)
	}
	return code
}

// runOptions compiles the profile and gathers the machine's roots.
func (c *common) runOptions(dir string, roots []string, stderr io.Writer) (*run.Options, int) {
	res, diags := c.load()
	if res == nil || diags.HasErrors() || res.SelectedPolicy() == nil {
		c.printDiags(stderr, diags)
		fmt.Fprintln(stderr, "permc run: configuration errors; nothing ran")
		return nil, run.ExitSetup
	}
	if c.verbose {
		c.printDiags(stderr, diags)
	}
	wd, err := workspace(dir)
	if err != nil {
		fmt.Fprintf(stderr, "permc run: %v\n", err)
		return nil, run.ExitSetup
	}
	var abs []string
	for _, r := range roots {
		a, err := filepath.Abs(r)
		if err != nil {
			fmt.Fprintf(stderr, "permc run: %v\n", err)
			return nil, run.ExitSetup
		}
		abs = append(abs, a)
	}
	home, _ := os.UserHomeDir()
	tmpdir := os.Getenv("TMPDIR")
	if !filepath.IsAbs(tmpdir) {
		tmpdir = ""
	}
	return &run.Options{
		Policy: res.SelectedPolicy(), Dir: wd, Roots: abs, Env: os.Environ(), Home: home, Tmpdir: tmpdir,
		Protected: append([]string(nil), c.configs...), StateDir: stateDir(home),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Verbose: c.verbose,
	}, 0
}

func workspace(dir string) (string, error) {
	if dir == "" {
		return os.Getwd()
	}
	a, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(a)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("-C %s: not a directory", dir)
	}
	return filepath.EvalSymlinks(a)
}

// stateDir is permc's private state: $PERMC_STATE_DIR, else
// $XDG_STATE_HOME/permc, else ~/.local/state/permc.
func stateDir(home string) string {
	if d := os.Getenv("PERMC_STATE_DIR"); filepath.IsAbs(d) {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "permc")
	}
	return filepath.Join(home, ".local", "state", "permc")
}
