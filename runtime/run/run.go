// Package run carries out `permc run`: it binds a policy to this machine,
// refuses what cannot be enforced or would let one run weaken the next,
// and starts the command in the sandbox of its OS. The one way a command
// runs without a sandbox is a policy with no restriction at all
// (:danger-full-access), and then permc says so.
package run

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Exit statuses of permc's own failures.
const (
	ExitSetup      = 125
	ExitCannotExec = 126
	ExitNotFound   = 127
)

// Options describe one run.
type Options struct {
	Policy *ir.Policy
	Argv   []string
	// Dir is the workspace (-C or the current directory); the command
	// starts there.
	Dir string
	// Roots are more workspace roots (--workspace-root).
	Roots []string
	Env   []string
	Home  string
	// Tmpdir is $TMPDIR when set and absolute.
	Tmpdir string
	// Protected are permc's own inputs (configs, artifact folder): no
	// writable root may contain them.
	Protected []string
	// StateDir is permc's private state (mask file, locks, sockets).
	StateDir string
	// NoBwrap switches to the Landlock-only mode, as on a machine without
	// bubblewrap or user namespaces.
	NoBwrap bool
	Stdin   *os.File
	Stdout  *os.File
	Stderr  *os.File
	Verbose bool
}

// Run runs the command as o describes and returns its exit status, or an
// *Error for failures of permc's own (nothing ran). Only a policy with no
// restriction runs without a sandbox.
func Run(o *Options) (int, error) {
	if len(o.Argv) == 0 {
		return ExitSetup, fail(ExitSetup, "no command given")
	}
	if o.Policy.Unrestricted {
		return runUnrestricted(o)
	}
	if err := o.checkWorkspaces(); err != nil {
		return ExitSetup, err
	}
	return runSandboxed(o)
}

// Error is a failure of permc's own, with the exit status to report and
// any diagnostics to print.
type Error struct {
	Code  int
	Msg   string
	Diags diag.List
}

func (e *Error) Error() string { return e.Msg }

func fail(code int, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// logf writes a side-effect line when verbose.
func (o *Options) logf(format string, args ...any) {
	if o.Verbose && o.Stderr != nil {
		fmt.Fprintf(o.Stderr, "permc: "+format+"\n", args...)
	}
}

// binding is what this machine says about the policy's roots.
func (o *Options) binding() ir.Binding {
	b := ir.Binding{Home: o.Home, Tmpdir: o.Tmpdir}
	if fi, err := os.Stat("/tmp"); err == nil && fi.IsDir() {
		b.SlashTmp = true
	}
	b.WorkspaceRoots = append([]string{o.Dir}, o.Roots...)
	return b
}

// checkWorkspaces refuses a workspace that is /, the home directory or an
// ancestor of it: a rule for "every workspace root" would then cover far
// more than a project.
func (o *Options) checkWorkspaces() error {
	if t := filepath.Clean(o.Tmpdir); o.Tmpdir != "" && (t == "/" || (o.Home != "" && isAncestorOrSelf(t, o.Home))) {
		return fail(ExitSetup,
			"refusing TMPDIR %s: it is / or the home directory or one of its ancestors, and :tmpdir rules would open all of it", t)
	}
	for _, w := range append([]string{o.Dir}, o.Roots...) {
		w = filepath.Clean(w)
		if !filepath.IsAbs(w) {
			return fail(ExitSetup, "workspace %q is not an absolute path", w)
		}
		if w == "/" || (o.Home != "" && isAncestorOrSelf(w, o.Home)) {
			return fail(ExitSetup,
				"refusing workspace %s: it is / or the home directory or one of its ancestors; run from a project folder or pass -C", w)
		}
	}
	return nil
}

func isAncestorOrSelf(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	return a == b || a == "/" || strings.HasPrefix(b, a+"/")
}

// checkSelfProtection refuses when permc's inputs, state or the programs
// that run outside the sandbox next time sit under a writable root, so one
// run cannot weaken the next.
func (o *Options) checkSelfProtection(b ir.Binding, outside []string) error {
	var dec *ir.Decider
	for _, p := range append(append([]string(nil), o.Protected...), outside...) {
		if p == "" {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		// Both the path as named (a link can be replaced) and the file it
		// leads to.
		paths := []string{abs}
		if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
			paths = append(paths, real)
		}
		if dec == nil {
			dec = ir.NewDecider(o.Policy, ir.Linux, b)
		}
		for _, path := range paths {
			if d := dec.Decide(path); d.Write {
				by := ""
				if d.By != nil {
					by = " (writable by " + d.By.Origin.String() + ")"
				}
				return fail(ExitSetup, "refusing to run: %s would be writable inside the sandbox%s; "+
					"the next run would trust it. Move it out of every writable root", path, by)
			}
		}
	}
	return nil
}

// runUnsandboxed runs the command directly: only for policies with no
// restriction left.
func (o *Options) runUnsandboxed(exec func(path string, argv, env []string) error, lookPath func(string) (string, error)) error {
	fmt.Fprintf(o.Stderr, "permc: profile %s has no restrictions; running the command without a sandbox\n", o.Policy.Name)
	path, err := lookPath(o.Argv[0])
	if err != nil {
		return fail(ExitNotFound, "%s: not found", o.Argv[0])
	}
	if err := os.Chdir(o.Dir); err != nil {
		return fail(ExitSetup, "%v", err)
	}
	err = exec(path, o.Argv, o.Env)
	if errors.Is(err, os.ErrNotExist) {
		return fail(ExitNotFound, "%s: %v", o.Argv[0], err)
	}
	return fail(ExitCannotExec, "cannot execute %s: %v", o.Argv[0], err)
}

// Report prints a run error the way the CLI does and returns its status.
func Report(w io.Writer, err error) int {
	var e *Error
	if !errors.As(err, &e) {
		fmt.Fprintf(w, "permc run: %v\n", err)
		return ExitSetup
	}
	e.Diags.Render(w, 0)
	if e.Msg != "" {
		fmt.Fprintf(w, "permc run: %s\n", e.Msg)
	}
	return e.Code
}
