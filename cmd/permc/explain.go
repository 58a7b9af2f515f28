package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/review"
	"github.com/permc/permc/runtime/run"
)

const explainUsage = "usage: permc explain [flags] PATH [--write] | permc explain [flags] --host HOST[:PORT]"

func runExplain(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := newFlagSet("explain", stderr)
	c.register(fs, true)
	write := fs.Bool("write", false, "ask about writing PATH (default: reading)")
	var host string
	hostArg := &host
	fs.Var(nonEmpty{hostArg}, "host", "ask about a destination `HOST[:PORT]` instead of a path")

	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	switch {
	case *hostArg == "" && len(pos) != 1, *hostArg != "" && len(pos) != 0, *hostArg != "" && *write:
		fmt.Fprintln(stderr, explainUsage)
		return exitUsage
	case len(pos) == 1 && pos[0] == "":
		fmt.Fprintln(stderr, "permc explain: the PATH is empty (an unset variable?)")
		return exitUsage
	}
	targets, err := c.parseTargets()
	if err != nil {
		fmt.Fprintf(stderr, "permc explain: %v\n", err)
		return exitUsage
	}
	if !c.textOrJSON("explain", stderr) {
		return exitUsage
	}
	bind, err := c.machineBinding()
	if err == nil && *hostArg == "" {
		err = checkWorkspaces(bind)
	}
	if err != nil {
		fmt.Fprintf(stderr, "permc explain: %v\n", err)
		return exitUsage
	}

	l, diags := review.Load(c.frontendOptions(),
		passes.Options{Profile: c.profile, ConfigProfile: c.configProfile, Sandbox: c.sandbox})
	if c.verbose || diags.HasErrors() {
		c.printDiags(stderr, diags.Sorted())
	}
	if l == nil || diags.HasErrors() {
		fmt.Fprintln(stderr, "permc explain: configuration errors; no answer")
		return exitNo
	}

	if *hostArg != "" {
		e, err := review.ExplainHost(l, review.HostQuery{Host: *hostArg, Targets: targets})
		if err != nil {
			return explainError(stderr, err)
		}
		c.printExplanation(stdout, e, func() { review.WriteHostText(stdout, e) })
		return answer(e.Allowed)
	}
	path, err := absPath(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "permc explain: %v\n", err)
		return exitUsage
	}
	e, err := review.ExplainPath(l, review.PathQuery{Path: path, Write: *write, Targets: targets, Binding: bind})
	if err != nil {
		return explainError(stderr, err)
	}
	c.printExplanation(stdout, e, func() { review.WritePathText(stdout, e) })
	return answer(e.Allowed)
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments, which it returns; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		if len(args) > fs.NArg() && args[len(args)-fs.NArg()-1] == "--" {
			return append(pos, fs.Args()...), nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func explainError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "permc explain: %v\n", err)
	if err == review.ErrNoPolicy {
		return exitNo
	}
	return exitUsage
}

func (c *common) printExplanation(w io.Writer, v any, text func()) {
	if c.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(v)
		return
	}
	text()
}

func answer(allowed bool) int {
	if allowed {
		return exitOK
	}
	return exitNo
}

// absPath makes a path absolute against the current directory; ~ paths
// and absolute paths of any OS are left to the policy's targets.
func absPath(p string) (string, error) {
	if _, ok := ir.CutHome(p); ok || ir.IsPosixAbs(p) || ir.IsWindowsAbs(p) {
		return p, nil
	}
	return filepath.Abs(p)
}

// machineBinding binds the roots as the loader would on this machine:
// --bind flags first, else $HOME, $TMPDIR and the current directory as the
// workspace. Deny globs reach only files that exist, on this OS's target.
func (c *common) machineBinding() (ir.Binding, error) {
	var binds passes.Bindings
	for _, v := range c.binds {
		if err := binds.ParseBind(v); err != nil {
			return ir.Binding{}, err
		}
	}
	b := ir.Binding{Home: binds.Home, Tmpdir: binds.Tmpdir, WorkspaceRoots: binds.Workspaces}
	if b.Home == "" {
		b.Home, _ = os.UserHomeDir()
	}
	if b.Tmpdir == "" {
		if t := os.Getenv("TMPDIR"); filepath.IsAbs(t) {
			b.Tmpdir = t
		}
	}
	if len(b.WorkspaceRoots) == 0 {
		wd, err := os.Getwd()
		if err != nil {
			return ir.Binding{}, err
		}
		b.WorkspaceRoots = []string{wd}
	}
	if fi, err := os.Stat("/tmp"); err == nil && fi.IsDir() && runtime.GOOS != "windows" {
		b.SlashTmp = true
	}
	b.Exists = func(p string) bool {
		if !sameOS(p) {
			return true
		}
		_, err := os.Lstat(p)
		return err == nil
	}
	return b, nil
}

// checkWorkspaces refuses, as permc run does, a workspace root that is /,
// the home directory or one of its ancestors: the answer would describe a
// sandbox that is never started.
func checkWorkspaces(b ir.Binding) error {
	for _, w := range b.WorkspaceRoots {
		if !sameOS(w) || runtime.GOOS == "windows" {
			continue
		}
		w = filepath.Clean(w)
		if run.BroadRoot(w, b.Home) {
			return fmt.Errorf("the workspace would be %s, which is / or the home directory or one of its ancestors; "+
				"permc run refuses it: run from a project folder or pass --bind workspace=DIR", w)
		}
	}
	return nil
}

// sameOS reports whether p is a path of the OS permc runs on, so that
// asking the disk about it means something.
func sameOS(p string) bool {
	if runtime.GOOS == "windows" {
		return ir.IsWindowsAbs(p)
	}
	return strings.HasPrefix(p, "/")
}
