//go:build linux

package run

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/backend/landlock"
	"github.com/permc/permc/backend/seccomp"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/runtime/linux"
)

// The Landlock-only mode runs a command with Landlock, seccomp, no
// capabilities and no_new_privs, and no namespace at all: for machines
// without bubblewrap or user namespaces. It serves only profiles that
// Landlock and seccomp enforce alone:
//
//   - no filesystem carve-out: no deny inside a grant, no read-only path
//     inside a writable one, no deny glob below a grant, no metadata
//     protection in a writable root (landlock.Resolved.Standalone);
//   - network off (seccomp creates no socket but connected unix pairs) or
//     fully open; a domains table needs the network namespace;
//   - no unix_sockets allowlist, and dangerously_allow_all_unix_sockets only
//     with the network open (without a network namespace, the host's
//     abstract sockets would be reachable);
//   - not as root: without a user namespace the command keeps root's
//     ownership of /etc/shadow, raw disks and every root process, which
//     only the mount and pid namespaces hide.
//
// /dev is the host's: rules on / or /dev give it only directory rights
// (landlock.Resolved.Exclude), the device grants every sandbox has
// (/dev/null, /dev/zero, /dev/random, /dev/urandom, /dev/tty) stay, and
// /dev/pts is narrowed to the terminals on permc's own stdin, stdout and
// stderr, so the caller's other terminals cannot be read. /proc is the
// host's, so host processes are visible; Landlock keeps their memory,
// descriptors and environment out of reach (ptrace scope) and refuses
// signals to them.

// landlockOnlyCause says why the Landlock-only mode runs and how to get
// the full sandbox instead.
type landlockOnlyCause struct {
	why string // "--no-bwrap", "bubblewrap is not installed (...)"
	fix string // what to do for the bubblewrap sandbox
}

// hostPaths are where bwrapUnavailable looks; tests point them elsewhere.
type hostPaths struct {
	bwrap    string // the bwrap executable
	procSys  string // /proc/sys
	profiles string // AppArmor's list of loaded profiles
	euid     int
}

// bwrapUnavailable checks, cheaply (a stat and a few sysctl reads), whether
// bubblewrap cannot run here. It returns nil when it can, or may: a
// failure this does not foresee is reported when bwrap fails.
func bwrapUnavailable() *landlockOnlyCause {
	return hostPaths{bwrap: linux.Bwrap, procSys: "/proc/sys",
		profiles: "/sys/kernel/security/apparmor/profiles", euid: os.Geteuid()}.bwrapUnavailable()
}

func (h hostPaths) bwrapUnavailable() *landlockOnlyCause {
	fi, err := os.Stat(h.bwrap)
	if err != nil {
		return &landlockOnlyCause{why: fmt.Sprintf("bubblewrap is not installed (%s: %v)", h.bwrap, errText(err)),
			fix: "install bubblewrap (Debian: apt-get install bubblewrap)"}
	}
	if h.sysctl("user/max_user_namespaces") == "0" {
		return &landlockOnlyCause{why: "user namespaces are disabled (user.max_user_namespaces = 0)",
			fix: "enable user namespaces (sysctl user.max_user_namespaces=10000)"}
	}
	if h.euid == 0 || fi.Mode()&os.ModeSetuid != 0 {
		return nil // root, or a setuid bwrap, needs no unprivileged user namespace
	}
	if h.sysctl("kernel/unprivileged_userns_clone") == "0" {
		return &landlockOnlyCause{why: "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)",
			fix: "enable them (sysctl kernel.unprivileged_userns_clone=1)"}
	}
	if h.sysctl("kernel/apparmor_restrict_unprivileged_userns") == "1" && !h.appArmorProfileFor("bwrap") {
		return &landlockOnlyCause{
			why: "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1) " +
				"and no AppArmor profile for bwrap is loaded",
			fix: "load an AppArmor profile that allows userns for " + h.bwrap}
	}
	return nil
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

func (h hostPaths) sysctl(name string) string {
	b, err := os.ReadFile(filepath.Join(h.procSys, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// appArmorProfileFor reports whether a loaded AppArmor profile names
// prog; when the list cannot be read it assumes one does, and bwrap then
// reports for itself.
func (h hostPaths) appArmorProfileFor(prog string) bool {
	b, err := os.ReadFile(h.profiles)
	if err != nil {
		return true
	}
	for _, l := range strings.Split(string(b), "\n") {
		name, _, _ := strings.Cut(l, " (")
		if strings.Contains(name, prog) {
			return true
		}
	}
	return false
}

// noticeLandlockOnly is the one line every run in the mode prints.
const noticeLandlockOnly = "permc: Landlock-only mode (%s): no mount, pid, network or IPC namespace; " +
	"host processes are visible in /proc; weaker than the bubblewrap sandbox\n"

// runLandlockOnly runs the command in the Landlock-only mode, or refuses.
func (o *Options) runLandlockOnly(c *landlockOnlyCause) (int, error) {
	refuse := func(format string, args ...any) (int, error) {
		return ExitSetup, fail(ExitSetup, "the Landlock-only mode (%s) cannot enforce this profile: %s; nothing ran. "+
			"To run it, %s", c.why, fmt.Sprintf(format, args...), c.fix)
	}
	if os.Geteuid() == 0 || os.Getuid() == 0 {
		return ExitSetup, fail(ExitSetup, "the Landlock-only mode (%s) does not run as root: without a user namespace "+
			"the command would keep root's ownership of /etc/shadow, raw disks and every root process; nothing ran. "+
			"Run permc as an unprivileged user, or %s", c.why, c.fix)
	}
	b := o.binding()
	self, _ := os.Executable()
	if err := o.checkSelfProtection(b, []string{self, invokedAs(), linux.Bwrap, o.StateDir}); err != nil {
		return ExitSetup, err
	}
	if msg := landlockOnlyNetwork(&o.Policy.Net); msg != "" {
		return refuse("%s", msg)
	}
	res, err := o.landlockOnlyPlan()
	if err != nil {
		return ExitSetup, err
	}
	lr, err := o.landlockOnlyRuleset(res.Binding())
	if err != nil {
		return ExitSetup, err
	}
	if g := firstGap(lr); g != nil {
		return refuse("%s: %s is %s, which needs the mount namespace", g.Origin, g.Path, g.Why)
	}
	if op := maskInGrant(res, lr); op != nil {
		return refuse("%s: the mount plan masks %s (%s), which Landlock grants, so it needs the mount namespace",
			op.Origin, op.Dest, op.Why)
	}
	if err := landlockKernelMounts(lr); err != nil {
		return ExitSetup, err
	}
	if abi := landlock.KernelABI(); abi < lr.MinABI {
		return refuse("this kernel's Landlock ABI is %d and the profile needs %d", abi, lr.MinABI)
	}
	if err := narrowDev(lr); err != nil {
		return ExitSetup, fail(ExitSetup, "landlock ruleset: %v", err)
	}
	arch, ok := seccomp.NativeArch()
	if !ok {
		return ExitSetup, fail(ExitSetup, "no seccomp filter for this architecture")
	}
	prog, err := seccomp.CompileWithoutNamespaces(o.Policy, arch)
	if err != nil {
		return ExitSetup, fail(ExitSetup, "seccomp: %v", err)
	}
	if err := linux.CheckUTF8(lr); err != nil {
		return ExitSetup, fail(ExitSetup, "landlock ruleset: %v", err)
	}
	raw, err := json.Marshal(lr)
	if err != nil {
		return ExitSetup, fail(ExitSetup, "landlock ruleset: %v", err)
	}
	fmt.Fprintf(o.Stderr, noticeLandlockOnly, c.why)
	l := &linux.Launch{
		Spec: linux.Spec{Argv: o.Argv, Env: o.Env, Dir: o.Dir, Seccomp: prog.Bytes(), Landlock: raw,
			Direct: true, Verbose: o.Verbose},
		Direct: true,
		Stdin:  o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr,
		Started: o.restoreGC,
	}
	code, rerr := l.Run()
	if rerr != nil && code >= ExitSetup && code <= ExitNotFound {
		return code, fail(code, "%v", rerr)
	}
	return code, nil
}

// landlockOnlyNetwork says why the network settings need namespaces, or
// "".
func landlockOnlyNetwork(n *ir.NetPolicy) string {
	at := func(key string) string {
		if o, ok := n.Origins[key]; ok {
			return o.String() + ": "
		}
		return ""
	}
	if n.Mode() == ir.NetProxied {
		return at("domains") + "the domains table filters the network through permc's proxy, " +
			"which needs the network namespace (Landlock's TCP rules match ports, not addresses, and not UDP)"
	}
	if s := n.AllowedUnixSockets(); len(s) > 0 {
		return fmt.Sprintf("%s: unix_sockets entry %q: allowlisted unix sockets are served only "+
			"under bubblewrap, by its broker",
			s[0].Origin, s[0].Path)
	}
	if n.DangerouslyAllowAllUnixSockets && n.Mode() == ir.NetOff {
		return at("dangerously_allow_all_unix_sockets") + "dangerously_allow_all_unix_sockets with the network off " +
			"would reach the host's abstract unix sockets, which only the network namespace hides"
	}
	return ""
}

// landlockOnlyPlan resolves the mount plan as the bubblewrap sandbox
// would, without running it: its resolver examines the disk, binds the
// roots as bwrap would, and refuses a rule that crosses a symlink the
// sandbox can rewrite (Landlock follows symlinks when it is applied, so
// such a link, replaced by one run, would point the next run's grant
// elsewhere). Deny globs are not expanded: the Landlock ruleset has no
// grant above one, or the profile is refused.
func (o *Options) landlockOnlyPlan() (*bwrap.Resolved, error) {
	plan, diags := bwrap.Compile(o.Policy)
	if diags.HasErrors() {
		return nil, &Error{Code: ExitSetup, Msg: "the profile cannot be enforced on linux", Diags: diags}
	}
	if err := o.makeStateDir(); err != nil {
		return nil, err
	}
	mask, err := bwrap.EnsureMaskFile(o.StateDir)
	if err != nil {
		return nil, fail(ExitSetup, "%v", err)
	}
	noGlobs := func(_ bwrap.FS, scans []bwrap.GlobScan, _ bwrap.GlobOptions) ([]bwrap.GlobResult, diag.List) {
		out := make([]bwrap.GlobResult, len(scans))
		for i, sc := range scans {
			out[i].Scan = sc
		}
		return out, nil
	}
	b := bwrap.Binding{Home: o.Home, Tmpdir: o.Tmpdir, WorkspaceRoots: append([]string{o.Dir}, o.Roots...)}
	res, rd := bwrap.Resolve(plan, b, bwrap.Options{MaskFile: mask, Expand: noGlobs})
	if rd.HasErrors() {
		return nil, &Error{Code: ExitSetup, Msg: "the profile cannot be loaded on this machine", Diags: rd}
	}
	return res, nil
}

// maskInGrant returns a mask of the mount plan that lies where Landlock
// grants something, or nil. The gaps of the Landlock ruleset already
// cover every deny of the profile; this holds the mode to the mount plan
// too, whatever masks it adds.
func maskInGrant(res *bwrap.Resolved, lr *landlock.Resolved) *bwrap.Op {
	for i := range res.Ops {
		op := &res.Ops[i]
		if op.Why != "deny" && op.Why != "deny-glob" && op.Why != "runtime-mask" {
			continue
		}
		if lr.Rights(op.Dest)&lr.HandledFS != 0 {
			return op
		}
	}
	return nil
}

// landlockOnlyRuleset compiles the Landlock ruleset and binds it to the
// real paths: there is no mount plan, the sandbox sees the host.
func (o *Options) landlockOnlyRuleset(b ir.Binding) (*landlock.Resolved, error) {
	rs, diags := landlock.Compile(o.Policy)
	if diags.HasErrors() {
		return nil, &Error{Code: ExitSetup, Msg: "landlock ruleset", Diags: diags}
	}
	lr, diags := landlock.Resolve(rs, b)
	if diags.HasErrors() {
		return nil, &Error{Code: ExitSetup, Msg: "landlock ruleset", Diags: diags}
	}
	if lr.Unrestricted {
		return nil, fail(ExitSetup, "bug: an unrestricted policy reached the Landlock-only mode")
	}
	return lr, nil
}

// firstGap returns the gap of the earliest rule written in a file, else
// of the first built-in one (the metadata protection of :workspace), or
// nil.
func firstGap(lr *landlock.Resolved) *landlock.Gap {
	var first *landlock.Gap
	for i := range lr.Gaps {
		g := &lr.Gaps[i]
		switch {
		case first == nil:
			first = g
		case g.Origin.Pos.File == "":
		case first.Origin.Pos.File == "" || g.Origin.Pos.Before(first.Origin.Pos):
			first = g
		}
	}
	return first
}

// isPtsPath reports whether p names a pseudo-terminal of the host's
// devpts, /dev/pts/N. (No regexp: one compiled at package init would cost
// every start of permc, the inner stage's too.)
func isPtsPath(p string) bool {
	n, ok := strings.CutPrefix(p, "/dev/pts/")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// narrowDev keeps the host's devices out of the ruleset: /dev/pts becomes
// the terminals on permc's stdin, stdout and stderr, and rules on / or
// /dev give /dev directory rights only.
func narrowDev(lr *landlock.Resolved) error {
	var own []string
	for fd := 0; fd <= 2; fd++ {
		if p, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err == nil && isPtsPath(p) {
			own = append(own, p)
		}
	}
	var paths []landlock.ResolvedPath
	for _, p := range lr.Paths {
		if p.Path != "/dev/pts" {
			paths = append(paths, p)
			continue
		}
		for _, t := range own {
			paths = append(paths, landlock.ResolvedPath{Path: t, Rights: p.Rights, Origin: p.Origin})
		}
	}
	lr.Paths = paths
	return lr.Exclude("/dev")
}

// landlockKernelMounts refuses a ruleset that lets the command write in a
// kernel file system mounted at or below a path it may write (a message
// queue or cgroup mount in a workspace): Landlock grants follow the path
// into what is mounted there, as bubblewrap's binds do.
func landlockKernelMounts(lr *landlock.Resolved) error {
	mounts, err := kernelMounts()
	if err != nil {
		return fail(ExitSetup, "reading the host's mounts: %v; nothing ran", err)
	}
	const writeFile = 1 << 1 // landlock's write_file
	for _, p := range lr.Paths {
		// The device grants (/dev/pts, /dev/null) are the :minimal table's.
		if p.Rights&writeFile == 0 || p.Path == "/dev" || strings.HasPrefix(p.Path, "/dev/") {
			continue
		}
		for _, m := range mounts {
			if m.Point == p.Path || strings.HasPrefix(m.Point, strings.TrimSuffix(p.Path, "/")+"/") {
				return fail(ExitSetup, "refusing to run: %s (a %s file system) lies in %s, which %s lets the "+
					"command write; unmount it, or make the folder read-only in the profile", m.Point, m.Type,
					p.Path, p.Origin)
			}
		}
	}
	return nil
}
