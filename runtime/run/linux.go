//go:build linux

package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/backend/landlock"
	"github.com/permc/permc/backend/seccomp"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/runtime/linux"
)

// runSandboxed runs the command under bubblewrap, or in the Landlock-only
// mode where bubblewrap cannot run.
func runSandboxed(o *Options) (int, error) {
	o.restoreGC = quietGC()
	defer o.restoreGC()
	// Before any placeholder is made: what the plan cannot carry is
	// refused with nothing left behind.
	if err := linux.CheckUTF8([]any{o.Argv, o.Env, o.Dir, o.Roots, o.Home, o.Tmpdir, o.StateDir}); err != nil {
		return ExitSetup, fail(ExitSetup, "%v", err)
	}
	if o.NoBwrap {
		return o.runLandlockOnly(&landlockOnlyCause{why: "--no-bwrap", fix: "drop --no-bwrap"})
	}
	// What bwrap and permc load is read from their ELF headers (a few
	// hundred microseconds) while the checks below run. permc is built
	// static, but a build with cgo would load libraries too: both
	// programs' loaders and libraries are held out of reach, and the
	// inner stage, which is permc again, needs its loader inside.
	self, _ := os.Executable()
	loaded := make(chan []string, 1)
	selfInterp := make(chan string, 1)
	go func() {
		interp, _, _, _ := elfDeps(self)
		selfInterp <- interp
		loaded <- append(loaderFiles(linux.Bwrap), loaderFiles(self)...)
	}()
	if c := bwrapUnavailable(); c != nil {
		return o.runLandlockOnly(c)
	}
	linux.Warm()
	b := o.binding()
	if !ir.Decide(o.Policy, ir.Linux, b, o.Dir).Read {
		return ExitSetup, fail(ExitSetup, "profile %s does not let the command read its workspace %s, "+
			"where it would start; grant it (for instance \":workspace_roots\" = { \".\" = \"read\" }) "+
			"or start elsewhere with -C", o.Policy.Name, o.Dir)
	}
	// The root-only secrets are looked for while the checks below run:
	// the walk depends only on the binding.
	secrets := startRootSecrets(o.Policy, b)
	if interp := <-selfInterp; interp != "" && !ir.Decide(o.Policy, ir.Linux, b, interp).Read {
		return ExitSetup, fail(ExitSetup, "this permc is linked dynamically (built with cgo), and profile %s "+
			"does not let the sandbox read its loader %s, which the sandbox's first stage needs: "+
			"build permc static (CGO_ENABLED=0, as make build does) or grant \":minimal\" = \"read\"",
			o.Policy.Name, interp)
	}
	outside := append([]string{self, invokedAs(), linux.Bwrap, o.StateDir}, <-loaded...)
	if err := o.checkSelfProtection(b, outside); err != nil {
		return ExitSetup, err
	}
	wc := o.writeCheck(b)
	if err := o.checkResolverFiles(ir.Linux, os.Getenv, func(p string) (ir.Decision, string, bool) {
		for _, n := range o.names(p) {
			if d, via, ok := wc.writable(n); ok {
				return d, via, true
			}
		}
		return ir.Decision{}, "", false
	}); err != nil {
		return ExitSetup, err
	}
	if err := o.checkResolverLinks(wc); err != nil {
		return ExitSetup, err
	}
	if o.Policy.Net.Mode() == ir.NetProxied {
		// Held to the resolved plan too, as permc's own files are.
		for _, f := range resolverFiles(ir.Linux, os.Getenv) {
			for _, n := range o.names(f) {
				o.guarded = append(o.guarded, realPath(n))
			}
		}
	}
	if err := o.checkUnixSockets(b); err != nil {
		return ExitSetup, err
	}
	if err := o.makeStateDir(); err != nil {
		return ExitSetup, err
	}
	ps, perr := openPlaceholderSet(o.StateDir)
	if perr != nil {
		return ExitSetup, fail(ExitSetup, "placeholders: %v", perr)
	}
	registered := false
	defer func() {
		if registered {
			ps.release()
		}
	}()
	// A deny glob's cached matches are used at once and checked only
	// once the mounts are made, a single look at every directory they
	// rest on. An entry found out of date then costs one more start of
	// the sandbox, with a fresh scan; nothing ran in the first.
	for deferred := true; ; deferred = false {
		code, stale, err := o.start(b, secrets, ps, &registered, deferred)
		if !stale {
			return code, err
		}
		o.logf("a deny glob's cached matches were out of date; scanning again")
		// The scan must see the workspace as a new run would, without
		// the placeholders this one made (the last run removes them).
		ps.unregister()
		registered = false
	}
}

// globGuards describes each deny-glob mask of the plan for the inner
// stage to check once the mounts are made (linux.Guard): the mask file's
// identity or a tmpfs, and the identity the scan recorded for the folder
// holding the match, when it recorded one.
func globGuards(res *bwrap.Resolved, c *globCache) ([]linux.Guard, error) {
	ops := res.GlobMasks()
	if len(ops) == 0 {
		return nil, nil
	}
	// Only the folders holding a mask are looked up: the scans may have
	// read tens of thousands.
	stamps := map[string]*dirStamp{}
	for _, op := range ops {
		stamps[filepath.Dir(op.Dest)] = nil
	}
	for i := range c.used {
		if _, ok := stamps[c.used[i].Path]; ok {
			stamps[c.used[i].Path] = &c.used[i]
		}
	}
	out := make([]linux.Guard, 0, len(ops))
	for _, op := range ops {
		g := linux.Guard{Path: op.Dest}
		if d := stamps[filepath.Dir(op.Dest)]; d != nil {
			g.ParentDev, g.ParentIno = d.Dev, d.Ino
		}
		switch op.Op {
		case bwrap.OpTmpfs:
			g.Mount = true
		case bwrap.OpROBind:
			var st syscall.Stat_t
			if err := syscall.Stat(op.Src, &st); err != nil {
				return nil, err
			}
			g.Dev, g.Ino = st.Dev, st.Ino
		default:
			return nil, fmt.Errorf("unexpected %s mask at %s", op.Op, op.Dest)
		}
		out = append(out, g)
	}
	return out, nil
}

// errStaleGlobs stops a sandbox whose deny-glob masks came from a cache
// entry that the check after mounting found out of date.
var errStaleGlobs = errors.New("deny-glob cache entry out of date")

// start resolves the mount plan under the workspace's lock and runs the
// command in the sandbox. stale reports that nothing ran because a deny
// glob's cache entry, used on deferred terms, was out of date.
func (o *Options) start(b ir.Binding, secrets func() []bwrap.Mask, ps *placeholderSet,
	registered *bool, deferred bool) (code int, stale bool, err error) {
	// Resolve under the workspace's lock: another run's placeholders must
	// not be mistaken for the workspace's own directories, nor vanish
	// between the look and the bind.
	var res *bwrap.Resolved
	var globs *globCache
	err = ps.acquire(func() ([]bwrap.Placeholder, error) {
		r, g, err := o.resolve(b, secrets, deferred)
		if err != nil {
			return nil, err
		}
		res, globs = r, g
		return r.Placeholders, nil
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return ExitSetup, false, e
		}
		return ExitSetup, false, fail(ExitSetup, "placeholders: %v", err)
	}
	*registered = true
	l, err := o.launch(res)
	if err != nil {
		return ExitSetup, false, err
	}
	l.Started = o.restoreGC
	// The plan's sources are open now, each the one Resolve examined.
	if err := o.checkPlanGuarded(res); err != nil {
		closeFiles(l.MountFiles)
		return ExitSetup, false, err
	}
	if err := checkKernelMounts(res); err != nil {
		closeFiles(l.MountFiles)
		return ExitSetup, false, err
	}
	defer closeFiles(l.MountFiles)
	gg, err := globGuards(res, globs)
	l.Spec.Guards = append(l.Spec.Guards, gg...)
	if err != nil {
		return ExitSetup, false, fail(ExitSetup, "deny-glob masks: %v", err)
	}
	o.logf("mounts the sandbox checks before the command starts: %d binds, %d deny-glob masks",
		len(l.Spec.Guards)-len(gg), len(gg))
	if len(res.Globs) > 0 {
		// A deny glob's matches were found before the mounts were made;
		// if any directory the scan read changed in between, a match may
		// have moved out from under its mask.
		var made []string
		for _, p := range res.Placeholders {
			made = append(made, p.Path)
		}
		l.Mounted = func() error {
			if globs.Settled(made) {
				return nil
			}
			if globs.Unverified() {
				return errStaleGlobs
			}
			return fail(ExitSetup, "the tree a deny glob scanned changed while the sandbox was set up "+
				"(is another sandbox moving folders in it?); a match could have moved from under its mask, "+
				"so nothing ran")
		}
	}
	if o.Policy.Net.Mode() == ir.NetProxied {
		hp, err := o.startProxy()
		if err != nil {
			return ExitSetup, false, fail(ExitSetup, "starting the proxy: %v", err)
		}
		defer hp.close()
		arch, _ := seccomp.NativeArch()
		fd := linux.FirstMountFD + len(l.MountFiles)
		spec, err := o.relaySpec(fd, arch)
		if err != nil {
			return ExitSetup, false, fail(ExitSetup, "proxy relay: %v", err)
		}
		l.MountFiles = append(l.MountFiles, hp.dirf)
		l.Spec.Relay = spec
		l.Spec.Env = proxyEnv(l.Spec.Env, &o.Policy.Net)
	}
	code, rerr := l.Run()
	if errors.Is(rerr, errStaleGlobs) {
		return ExitSetup, true, nil
	}
	var re *Error
	if errors.As(rerr, &re) {
		return re.Code, false, re
	}
	if rerr != nil && code >= ExitSetup && code <= ExitNotFound {
		return code, false, fail(code, "%v%s", rerr, o.hiddenCommand(b, code))
	}
	return code, false, nil
}

// hiddenCommand explains a command the sandbox could not find or run
// when the host has it where the profile lets the sandbox see nothing:
// a profile without ":minimal" = "read" hides /usr/bin.
func (o *Options) hiddenCommand(b ir.Binding, code int) string {
	if code != ExitNotFound && code != ExitCannotExec || len(o.Argv) == 0 {
		return ""
	}
	path, err := exec.LookPath(o.Argv[0])
	if err != nil {
		return ""
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if ir.Decide(o.Policy, ir.Linux, b, path).Read {
		return ""
	}
	return fmt.Sprintf(" (on this machine it is %s, which profile %s does not let the sandbox read; "+
		"grant it, or \":minimal\" = \"read\" for the system's programs and libraries)", path, o.Policy.Name)
}

// checkPlanGuarded holds the resolved plan to what checkSelfProtection
// found out of the sandbox's reach: a sandbox moving folders (or links)
// in a writable root between that check and Resolve could otherwise get
// one of permc's inputs or programs bound read-write.
func (o *Options) checkPlanGuarded(res *bwrap.Resolved) error {
	for _, g := range o.guarded {
		if at, ok := res.WritableFromInside(g); ok {
			return fail(ExitSetup, "refusing to run: %s would be writable inside the sandbox (at %s) by the "+
				"mount plan as resolved, though it was not when checked: is a sandbox moving folders in a "+
				"writable root? Nothing ran", g, at)
		}
	}
	return nil
}

// resolve binds the mount plan to this machine; secrets returns the
// root-only secrets to mask (startRootSecrets). With deferred, a deny
// glob's cache entry is used before its directories are checked (see
// globCache.Deferred).
func (o *Options) resolve(bind ir.Binding, secrets func() []bwrap.Mask,
	deferred bool) (*bwrap.Resolved, *globCache, error) {
	plan, diags := bwrap.Compile(o.Policy)
	if diags.HasErrors() {
		return nil, nil, &Error{Code: ExitSetup, Msg: "the profile cannot be enforced on linux", Diags: diags}
	}
	mask, err := bwrap.EnsureMaskFile(o.StateDir)
	if err != nil {
		return nil, nil, fail(ExitSetup, "%v", err)
	}
	b := bwrap.Binding{Home: o.Home, Tmpdir: o.Tmpdir, WorkspaceRoots: append([]string{o.Dir}, o.Roots...)}
	cache := newLazyGlobCache(o.StateDir, func() []byte {
		pj, _ := json.Marshal(o.Policy)
		return pj
	})
	cache.Deferred = deferred
	masks := append(secrets(), freshMountDenies(o.Policy)...)
	// permc's own state (proxy log, glob cache, locks) is nobody's
	// business inside the sandbox: the glob cache lists denied paths.
	if ir.Decide(o.Policy, ir.Linux, bind, o.StateDir).Read {
		masks = append(masks, bwrap.Mask{Path: o.StateDir, Origin: ir.Origin{Profile: "permc state directory"}})
	}
	res, rd := bwrap.Resolve(plan, b, bwrap.Options{MaskFile: mask, Expand: cache.Expand, PinLinks: true, Masks: masks})
	if rd.HasErrors() {
		return nil, nil, &Error{Code: ExitSetup, Msg: "the profile cannot be loaded on this machine", Diags: rd}
	}
	o.logf("mount plan: %d mounts", res.Mounts)
	return res, cache, nil
}

// launch assembles the sandbox: mounts, seccomp, the inner stage's spec.
// The seccomp and Landlock programs are only the inner stage's business:
// they are compiled while bubblewrap sets up the namespaces and mounts,
// and the inner stage waits for them before it does anything.
func (o *Options) launch(res *bwrap.Resolved) (*linux.Launch, error) {
	arch, ok := seccomp.NativeArch()
	if !ok {
		return nil, fail(ExitSetup, "no seccomp filter for this architecture")
	}
	// Bind by descriptor, each checked against what Resolve examined, so
	// what was checked is what gets mounted.
	binds, err := res.Launch(linux.FirstMountFD)
	if err != nil {
		return nil, fail(ExitSetup, "%v", err)
	}
	mode := o.Policy.Net.Mode()
	var broker *linux.Broker
	paths := allowedSockets(&o.Policy.Net, o.logf)
	if len(paths) > 0 && !o.Policy.Net.DangerouslyAllowAllUnixSockets {
		broker = linux.NewBroker(paths, mode != ir.NetFull, o.logf)
	}
	prepare := func(s *linux.Spec) error {
		pol := o.Policy
		if broker == nil && !pol.Net.DangerouslyAllowAllUnixSockets && len(pol.Net.AllowedUnixSockets()) > 0 {
			// Every allowed socket is a denied one here: no broker, and
			// the filter without one (socket(AF_UNIX) fails with EPERM,
			// not a connect left without a listener, ENOSYS).
			p := *pol
			p.Net.UnixSockets = nil
			pol = &p
		}
		prog, err := seccomp.Compile(pol, arch)
		if err != nil {
			return fail(ExitSetup, "%v", err) // seccomp errors name themselves
		}
		ll, err := o.landlock(res, broker)
		if err != nil {
			return err
		}
		s.Seccomp, s.Landlock = prog.Bytes(), ll
		return nil
	}
	guards, err := bindGuards(binds)
	if err != nil {
		binds.Close()
		return nil, fail(ExitSetup, "%v", err)
	}
	l := &linux.Launch{
		Broker:  broker,
		Prepare: prepare,
		Spec: linux.Spec{Argv: o.Argv, Env: o.Env, Dir: o.Dir,
			Pins: res.Pins, Verbose: o.Verbose, Broker: broker != nil, Guards: guards},
		NetNamespace: mode != ir.NetFull,
		// The fresh /proc stays read-only whatever the profile grants: a
		// writable root must not make /proc/sys (host sysctls) writable.
		MountArgs:  append(binds.Args, "--remount-ro", "/proc"),
		MountFiles: binds.Files,
		Stdin:      o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr,
	}
	return l, nil
}

// bindGuards asks the inner stage to check, at each place a bind of the
// plan stays visible, that it finds the very file or folder opened for it.
func bindGuards(l *bwrap.Launch) ([]linux.Guard, error) {
	var gs []linux.Guard
	for i, f := range l.Files {
		if l.Dests[i] == "" {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
			return nil, fmt.Errorf("checking %s: %v", f.Name(), err)
		}
		gs = append(gs, linux.Guard{Path: l.Dests[i], Dev: uint64(st.Dev), Ino: st.Ino, Bind: true})
	}
	return gs, nil
}

// checkUnixSockets refuses an allowlisted unix socket that the sandbox
// could replace (ReplaceableSockets).
func (o *Options) checkUnixSockets(b ir.Binding) error {
	if diags := ReplaceableSockets(o.Policy, b, o.names); diags.HasErrors() {
		return &Error{Code: ExitSetup, Diags: diags,
			Msg: "an allowlisted unix socket could be replaced from inside the sandbox"}
	}
	return nil
}

// freshMountDenies masks what the policy denies inside the sandbox's own
// /dev: the plan gives the sandbox a fresh one, which its rules do not
// reach otherwise. (The fresh /proc is the sandbox's own and read-only.)
func freshMountDenies(p *ir.Policy) []bwrap.Mask {
	var out []bwrap.Mask
	for _, r := range p.FS.Rules {
		if r.Access != ir.Deny || r.Glob || r.Base != ir.BaseAbs || !ir.IsPosixAbs(r.Path) {
			continue
		}
		if strings.HasPrefix(r.Path, "/dev/") {
			out = append(out, bwrap.Mask{Path: r.Path, Origin: r.Origin})
		}
	}
	return out
}

// landlock resolves the policy's Landlock ruleset against the bound roots.
// The broker, when there is one, gets the ruleset's TCP connect rule: it
// connects in the sandbox's place, outside Landlock.
func (o *Options) landlock(res *bwrap.Resolved, broker *linux.Broker) (json.RawMessage, error) {
	rs, diags := landlock.Compile(o.Policy)
	if diags.HasErrors() {
		return nil, &Error{Code: ExitSetup, Msg: "landlock ruleset", Diags: diags}
	}
	if broker != nil && slices.Contains(rs.HandledNet, "connect_tcp") {
		broker.TCPPorts = []uint16{}
		for _, p := range rs.Ports {
			if p.Right == "connect_tcp" {
				broker.TCPPorts = append(broker.TCPPorts, p.Port)
			}
		}
	}
	lr, diags := landlock.Resolve(rs, res.Binding())
	if diags.HasErrors() {
		return nil, &Error{Code: ExitSetup, Msg: "landlock ruleset", Diags: diags}
	}
	if err := linux.CheckUTF8(lr); err != nil {
		return nil, fail(ExitSetup, "landlock ruleset: %v", err)
	}
	return json.Marshal(lr)
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// runUnrestricted replaces permc with the command.
func runUnrestricted(o *Options) (int, error) {
	return ExitSetup, o.runUnsandboxed(syscall.Exec, exec.LookPath)
}

// allowedSockets is the Unix socket allowlist as the broker gets it: an
// allowed path that is a denied one on this disk, through a symlink on
// either side (/var/run is /run on most systems), or the same socket by
// device and inode (a hard link, a bind mount), is left out, so a deny
// holds whatever name the allow used.
func allowedSockets(n *ir.NetPolicy, logf func(string, ...any)) []string {
	denied := map[string]string{}
	deniedFile := map[[2]uint64]string{} // a hard link or bind mount of a denied socket is that socket
	for _, s := range n.UnixSockets {
		if !s.Allow {
			denied[filepath.Clean(s.Path)] = s.Path
			denied[linux.CanonicalSocket(s.Path)] = s.Path
			if id, ok := fileID(s.Path); ok {
				deniedFile[id] = s.Path
			}
		}
	}
	var out []string
	for _, s := range n.AllowedUnixSockets() {
		d, ok := denied[filepath.Clean(s.Path)]
		if !ok {
			d, ok = denied[linux.CanonicalSocket(s.Path)]
		}
		if id, found := fileID(s.Path); !ok && found {
			d, ok = deniedFile[id]
		}
		if ok {
			logf("unix socket %s is not allowed: it is %s, which the profile denies", s.Path, d)
			continue
		}
		out = append(out, s.Path)
	}
	return out
}

// fileID is the (device, inode) of the file p leads to.
func fileID(p string) ([2]uint64, bool) {
	var st syscall.Stat_t
	if syscall.Stat(p, &st) != nil {
		return [2]uint64{}, false
	}
	return [2]uint64{st.Dev, st.Ino}, true
}
