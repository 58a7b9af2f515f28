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
	"os/exec"
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

	// mounts is this machine's mount table, read when first needed.
	mounts []mount
	// writes is what the policy lets the sandbox write on Linux, bound
	// when first needed (writeCheck).
	writes *writeCheck
	// guarded are the real paths checkSelfProtection found out of the
	// sandbox's reach; the resolved mount plan is held to them again.
	guarded []string
	// restoreGC turns garbage collection back on once the command has
	// started (quietGC); nil outside a sandboxed start.
	restoreGC func()
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

// stateDirError reports a state directory permc cannot make, naming
// where its path came from.
func (o *Options) stateDirError(err error) *Error {
	from := "$HOME/.local/state/permc, as neither PERMC_STATE_DIR nor XDG_STATE_HOME is set"
	switch {
	case os.Getenv("PERMC_STATE_DIR") == o.StateDir:
		from = "PERMC_STATE_DIR"
	case filepath.Join(os.Getenv("XDG_STATE_HOME"), "permc") == o.StateDir:
		from = "XDG_STATE_HOME/permc"
	}
	return fail(ExitSetup, "permc's state directory %s (%s): %v; set PERMC_STATE_DIR to a folder this user "+
		"can write, outside every writable root", o.StateDir, from, err)
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
	if o.Tmpdir != "" {
		if k := kernelFS(o.Tmpdir); k != "" {
			return fail(ExitSetup, "refusing TMPDIR %s: it is in %s, and a writable root there would let the sandbox "+
				"change the host kernel's settings; set TMPDIR to a plain folder", o.Tmpdir, k)
		}
	}
	for _, w := range append([]string{o.Dir}, o.Roots...) {
		w = filepath.Clean(w)
		if !filepath.IsAbs(w) {
			return fail(ExitSetup, "workspace %q is not an absolute path", w)
		}
		if BroadRoot(w, o.Home) {
			return fail(ExitSetup,
				"refusing workspace %s: it is / or the home directory or one of its ancestors; run from a project folder or pass -C", w)
		}
		if k := kernelFS(w); k != "" {
			return fail(ExitSetup, "refusing workspace %s: it is in %s, and a writable root there would "+
				"let the sandbox change the host kernel's settings", w, k)
		}
	}
	return nil
}

// kernelFS names the kernel file system a root from the environment or
// the command line lies in (/proc, /sys, /dev, or one mounted elsewhere),
// or returns "": such a root is never made writable.
func kernelFS(p string) string {
	real := filepath.Clean(p)
	if r, err := filepath.EvalSymlinks(real); err == nil {
		real = r
	}
	for _, k := range []string{"/proc", "/sys", "/dev"} {
		if isAncestorOrSelf(k, real) {
			return k
		}
	}
	return kernelFSType(real)
}

// BroadRoot reports whether a workspace root w is /, the home directory
// or one of its ancestors: permc run refuses such a workspace, and explain
// will not answer for it.
func BroadRoot(w, home string) bool {
	w = filepath.Clean(w)
	return w == "/" || (home != "" && isAncestorOrSelf(w, home))
}

func isAncestorOrSelf(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	return a == b || a == "/" || strings.HasPrefix(b, a+"/")
}

// writeCheck is newWriteCheck for the run's policy on Linux and its
// binding b, which one run does not change: made once, for every check.
func (o *Options) writeCheck(b ir.Binding) *writeCheck {
	if o.writes == nil {
		o.writes = newWriteCheck(o.Policy, ir.Linux, b)
	}
	return o.writes
}

// checkSelfProtection refuses when permc's inputs, state or the programs
// that run outside the sandbox next time sit under a writable root, so one
// run cannot weaken the next.
func (o *Options) checkSelfProtection(b ir.Binding, outside []string) error {
	openDirs := map[string]bool{} // folders already found not writable by every user
	var folders []string          // every path checked, whose folders are checked last
	for i, p := range append(append([]string(nil), o.Protected...), outside...) {
		if p == "" {
			continue
		}
		input := i < len(o.Protected)
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		wc := o.writeCheck(b)
		for _, path := range o.names(abs) {
			// Landlock does not govern chmod: in the Landlock-only mode a
			// command can make what it may only read world-writable, for
			// any local user to change before the next run.
			fi, err := os.Lstat(path)
			if path == filepath.Clean(o.StateDir) {
				// Also when it does not exist yet: the folders above it
				// must already be safe, or another user could make it.
				if why := insecurePath(path); why != "" {
					return fail(ExitSetup, "refusing to run: permc's state directory %s could be moved by another "+
						"user: %s; keep it on a path only you and root control", path, why)
				}
			}
			if err == nil && path == filepath.Clean(o.StateDir) && !privateDir(statFollow(path, fi)) {
				return fail(ExitSetup, "refusing to run: permc's state directory %s must be yours and writable by "+
					"you alone (mode %v); others could plant what the next run trusts. chmod go-w %s",
					path, fi.Mode(), path)
			}
			if err == nil && fi.Mode()&os.ModeSymlink == 0 &&
				fi.Mode()&0o002 != 0 && fi.Mode()&os.ModeSticky == 0 {
				return fail(ExitSetup, "refusing to run: %s is writable by every user (mode %v); "+
					"the next run would trust it. chmod o-w %s", path, fi.Mode(), path)
			}
			// A second name for one of permc's inputs could lie in a
			// writable root, where the sandbox would change the file.
			if n := hardLinks(fi); input && err == nil && fi.Mode().IsRegular() && n > 1 {
				return fail(ExitSetup, "refusing to run: %s has %d hard links; a link in a writable root "+
					"would let a sandbox change it. Copy it to a file of its own", path, n)
			}
			if d, via, ok := wc.writable(path); ok {
				by := ""
				if d.By != nil {
					by = " (writable by " + d.By.Origin.String() + ")"
				}
				if via != "" {
					by += ", as " + via + " leads there"
				}
				move := "Move it out of every writable root"
				if abs == filepath.Clean(o.StateDir) {
					move = "It is permc's state directory: set PERMC_STATE_DIR to a folder outside every writable root"
				}
				return fail(ExitSetup, "refusing to run: %s would be writable inside the sandbox%s; "+
					"the next run would trust it. %s", path, by, move)
			}
			folders = append(folders, path)
		}
	}
	seen := map[string]bool{}
	for _, path := range folders {
		if real := realPath(path); !seen[real] {
			seen[real] = true
			o.guarded = append(o.guarded, real)
		}
	}
	// Then the folders: one on the way that every user can write to lets
	// anyone put another file under the name.
	for _, path := range folders {
		if dir := openFolder(filepath.Dir(path), openDirs); dir != "" {
			return fail(ExitSetup, "refusing to run: %s lies in %s, which every user can write to "+
				"(no sticky bit); the next run would trust what anyone puts there. chmod o-w %s "+
				"(or chmod +t, as /tmp usually has), or keep the file elsewhere", path, dir, dir)
		}
	}
	return nil
}

// makeStateDir makes the state directory and checks it again once it
// exists: inside a sticky folder open to all, another user could have
// made a missing component between the check and the making.
func (o *Options) makeStateDir() error {
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return o.stateDirError(err)
	}
	if why := insecurePath(o.StateDir); why != "" {
		return fail(ExitSetup, "refusing to run: permc's state directory %s could be moved by another user: %s; "+
			"keep it on a path only you and root control", o.StateDir, why)
	}
	if fi, err := os.Stat(o.StateDir); err != nil || !privateDir(fi) {
		return fail(ExitSetup, "refusing to run: permc's state directory %s is not yours alone once made; "+
			"nothing ran", o.StateDir)
	}
	return nil
}

// statFollow is fi, or what it links to.
func statFollow(path string, fi os.FileInfo) os.FileInfo {
	if fi.Mode()&os.ModeSymlink != 0 {
		if t, err := os.Stat(path); err == nil {
			return t
		}
	}
	return fi
}

// openFolder returns the first folder from dir up to / that every user
// can write to and that has no sticky bit, or "". known caches folders
// found safe.
func openFolder(dir string, known map[string]bool) string {
	var seen []string
	for d := filepath.Clean(dir); !known[d]; d = filepath.Dir(d) {
		fi, err := os.Lstat(d)
		if err == nil && fi.IsDir() && fi.Mode()&0o002 != 0 && fi.Mode()&os.ModeSticky == 0 {
			return d
		}
		seen = append(seen, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for _, d := range seen {
		known[d] = true
	}
	return ""
}

// names lists every path that decides what p opens: p as named, each
// symlink met on the way (each can be replaced), the file it leads to,
// and, since bind mounts show one folder at several paths, the other
// names of each of those.
func (o *Options) names(p string) []string {
	if o.mounts == nil {
		o.mounts = mountTable()
	}
	out := resolutionChain(p)
	for _, q := range out {
		out = append(out, aliases(o.mounts, q)...)
	}
	return out
}

// ReplaceableSockets reports, as errors at their entries, the allowlisted
// unix sockets of p that a sandbox with roots b could replace: when the
// socket, its folder, a symlink on its way or another name of one of
// them (names) is writable inside the sandbox, the sandbox (in this run,
// or an earlier one) can put there any socket it can move, such as
// another program's in /tmp, and the broker would connect it under the
// allowed name. permc run refuses them; permc check warns of them.
func ReplaceableSockets(p *ir.Policy, b ir.Binding, names func(string) []string) diag.List {
	var diags diag.List
	socks := p.Net.AllowedUnixSockets()
	if len(socks) == 0 || p.Net.DangerouslyAllowAllUnixSockets || p.Unrestricted {
		return nil
	}
	wc := newWriteCheck(p, ir.Linux, b)
	for _, s := range socks {
		for _, q := range names(filepath.Clean(s.Path)) {
			d, via, ok := wc.writable(q)
			if !ok {
				continue
			}
			by := ""
			if d.By != nil {
				by = " by " + d.By.Origin.String()
			}
			if via != "" {
				by += ", as " + via + " leads there"
			}
			diags.Errorf(s.Origin.Pos, diag.Load, "unix_sockets entry %q: %s is writable inside the "+
				"sandbox%s, so the sandbox could put another socket there under the allowed name; make "+
				"the folder holding it read-only in the profile (%q = \"read\"), moving the socket to "+
				"a folder of its own if need be, or allowlist a socket outside every writable root",
				s.Path, q, by, filepath.Dir(s.Path))
			break
		}
	}
	return diags
}

// Names is what ReplaceableSockets needs of this machine: every path that
// decides what p opens (symlinks, bind mounts).
func Names(p string) []string { return (&Options{}).names(p) }

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

// resolutionChain lists the paths the kernel looks at to resolve p: p
// itself, each symlink met on the way (in any component, as it is named),
// and the final path. Replacing any of them changes what p opens.
func resolutionChain(p string) []string {
	out := []string{p}
	seen := map[string]bool{p: true}
	add := func(q string) {
		if !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	cur := "/"
	rest := strings.Split(strings.TrimPrefix(filepath.Clean(p), "/"), "/")
	for links := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		if name == "" || name == "." {
			continue
		}
		if name == ".." {
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, name)
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			if err != nil {
				// What does not exist yet is named as it would be.
				add(filepath.Join(append([]string{cur}, rest...)...))
				return out
			}
			continue
		}
		add(next)
		if links++; links > 40 {
			return out
		}
		target, err := os.Readlink(next)
		if err != nil {
			return out
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
	}
	add(cur)
	return out
}

// invokedAs is the path this permc was started by, as the caller named it
// (os.Executable has every symlink resolved): the next run starts by it
// too. "" when it cannot be told.
func invokedAs() string {
	a := os.Args[0]
	if !strings.Contains(a, "/") {
		p, err := exec.LookPath(a)
		if err != nil {
			return ""
		}
		a = p
	}
	abs, err := filepath.Abs(a)
	if err != nil {
		return ""
	}
	return abs
}
