package macos

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/permc/permc/backend/seatbelt"
	"github.com/permc/permc/ir"
)

// Machine is what the launcher knows about this machine when it binds a
// profile. Paths may be spelled through /tmp, /var or /etc; Bind
// canonicalises them into /private as the sandbox sees them. Callers
// resolve other symbolic links first (the darwin launcher does).
type Machine struct {
	Home           string   // "" when unknown
	Tmpdir         string   // $TMPDIR; "" when unset
	WorkspaceRoots []string // the session's runtime roots
	// LinkedGitDirs maps a workspace root to the gitdir its .git file
	// points at, for roots that really are linked worktrees.
	LinkedGitDirs map[string]string
	// Resolve returns the target of a protected path that is a symbolic
	// link, so the target is protected too; nil when none is known.
	Resolve func(path string) (string, bool)
	// Proxy listener ports; 0 takes the port the policy configured.
	ProxyPort, SOCKSPort, SOCKSUDPPort int
}

// FromBinding converts the reference binding of ir.Decide.
func FromBinding(b ir.Binding) Machine {
	return Machine{Home: b.Home, Tmpdir: b.Tmpdir, WorkspaceRoots: b.WorkspaceRoots,
		LinkedGitDirs: b.LinkedGitDirs}
}

// Bound is a profile bound to a machine.
type Bound struct {
	// Params are the -D values for sandbox-exec, one per manifest param.
	Params map[string]string
	// Roots are the workspace roots in slot order, canonical.
	Roots []string
	// Program is the profile with Params bound, for checks.
	Program *seatbelt.Program
}

// Bind computes the parameters of a compiled profile for this machine and
// checks that the profile means on it what the policy says: at most
// WorkspaceSlots roots, a home directory when a rule denies below it, no
// glob characters in roots a glob hangs from, and an emitted rule order
// that matches the decision order once roots are known.
func Bind(sbpl []byte, m *seatbelt.Manifest, mc Machine) (*Bound, error) {
	return bind(sbpl, m, mc, true)
}

// bind is Bind; tests turn the order check off to show it is needed.
func bind(sbpl []byte, m *seatbelt.Manifest, mc Machine, order bool) (*Bound, error) {
	parsed, err := seatbelt.Parse(sbpl)
	if err != nil {
		return nil, err
	}
	if err := checkListed(parsed, m); err != nil {
		return nil, err
	}
	b := &binder{m: m, mc: mc, params: map[string]string{}}
	if err := b.roots(); err != nil {
		return nil, err
	}
	if err := b.bindBase(); err != nil {
		return nil, err
	}
	if err := b.protect(parsed); err != nil {
		return nil, err
	}
	if err := checkOrder(m, b.bound()); order && err != nil {
		return nil, err
	}
	if err := checkNestedGlobs(m, b.wsRoots); order && err != nil {
		return nil, err
	}
	prog, err := parsed.Resolve(b.params)
	if err != nil {
		return nil, err
	}
	return &Bound{Params: b.manifestParams(), Roots: b.wsRoots, Program: prog}, nil
}

// checkListed: the profile may use only parameters the manifest lists,
// since only those are passed to sandbox-exec.
func checkListed(parsed *seatbelt.Parsed, m *seatbelt.Manifest) error {
	listed := map[string]bool{}
	for _, p := range m.Params {
		listed[p.Name] = true
	}
	for _, name := range parsed.Params() {
		if !listed[name] {
			return fmt.Errorf("the profile uses parameter %s, which its manifest does not list", name)
		}
	}
	return nil
}

type binder struct {
	m       *seatbelt.Manifest
	mc      Machine
	home    string
	tmpdir  string
	wsRoots []string
	params  map[string]string
	protR   []string // protected paths of readable roots
	protD   []string // protected paths of unreadable roots
}

// canon returns the canonical absolute spelling of p.
func canon(what, p string) (string, error) {
	if !utf8.ValidString(p) || strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%s %q is not valid UTF-8 text", what, p)
	}
	c, ok := ir.CleanPath(ir.MacOS, p)
	if !ok {
		return "", fmt.Errorf("%s %q is not an absolute path", what, p)
	}
	return c, nil
}

// roots canonicalises home, tmpdir and the workspace roots: runtime roots
// first, then the profile's, without repeats.
func (b *binder) roots() error {
	var err error
	if b.mc.Home != "" {
		if b.home, err = canon("home directory", b.mc.Home); err != nil {
			return err
		}
	}
	if b.mc.Tmpdir != "" {
		if b.tmpdir, err = canon("TMPDIR", b.mc.Tmpdir); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	add := func(p string) error {
		c, err := canon("workspace root", p)
		if err == nil && !seen[c] {
			seen[c] = true
			b.wsRoots = append(b.wsRoots, c)
		}
		return err
	}
	for _, r := range b.mc.WorkspaceRoots {
		if err := add(r); err != nil {
			return err
		}
	}
	for _, r := range b.m.ProfileRoots {
		if err := b.addProfileRoot(r, add); err != nil {
			return err
		}
	}
	if len(b.wsRoots) > b.m.WorkspaceSlots {
		return fmt.Errorf("%d workspace roots, but the profile has %d slots", len(b.wsRoots), b.m.WorkspaceSlots)
	}
	return b.checkGlobRoots()
}

// addProfileRoot binds a profile root; a ~ root without a home directory
// is skipped, as ir.Decide skips it.
func (b *binder) addProfileRoot(r seatbelt.Root, add func(string) error) error {
	rest, ok := ir.CutHome(r.Path)
	if !ok {
		return add(r.Path)
	}
	if b.home == "" {
		return nil
	}
	return add(strings.TrimSuffix(b.home+"/"+rest, "/"))
}

// checkGlobRoots refuses a root with glob characters below which a glob
// rule hangs: ir.Decide would read the root's name as part of the pattern.
func (b *binder) checkGlobRoots() error {
	for _, r := range b.m.Rules {
		if !r.Glob {
			continue
		}
		for _, root := range b.basePaths(r.Base) {
			if ir.HasGlobMeta(root) {
				return fmt.Errorf("%s: the glob rule cannot hang from %q, whose name holds *, ? or [", r.Origin, root)
			}
		}
	}
	return nil
}

// basePaths returns the bound paths of a symbolic base.
func (b *binder) basePaths(base string) []string {
	switch base {
	case "home":
		return nonEmpty(b.home)
	case "tmpdir":
		return nonEmpty(b.tmpdir)
	case "workspace_roots":
		return b.wsRoots
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// unbound is the value of a parameter whose root this machine lacks.
func unbound(name string) string { return seatbelt.UnboundPrefix + name }

func anchored(re string) string { return "^" + re + "$" }

// upInner strips the anchors of seatbelt.UpRegex.
func upInner(p string) string {
	return strings.TrimSuffix(strings.TrimPrefix(seatbelt.UpRegex(p), "^"), "$")
}

// bindBase sets every parameter but the protected ones.
func (b *binder) bindBase() error {
	if b.home == "" && b.m.HomeRequiredBy != "" {
		return fmt.Errorf("%s: the home directory is unknown, so this deny cannot be enforced", b.m.HomeRequiredBy)
	}
	b.rootParams("HOME", b.home)
	b.rootParams("TMPDIR", b.tmpdir)
	var re, up []string
	for i := 0; i < b.m.WorkspaceSlots; i++ {
		name := "WORKSPACE_ROOT_" + strconv.Itoa(i)
		b.params[name] = unbound(name)
		if i < len(b.wsRoots) {
			b.params[name] = b.wsRoots[i]
			re = append(re, seatbelt.FoldRegex(b.wsRoots[i]))
			up = append(up, upInner(b.wsRoots[i]))
		}
	}
	if len(re) == 0 {
		re = []string{seatbelt.RegexQuote(unbound("WORKSPACE_ROOTS"))}
		up = re
	}
	b.params["WORKSPACE_ROOTS_RE"] = "(" + strings.Join(re, "|") + ")"
	b.params["WORKSPACE_ROOTS_UP_RE"] = anchored("(" + strings.Join(up, "|") + ")")
	b.params["PROTECTED_READ_RE"] = "(" + seatbelt.RegexQuote(unbound("PROTECTED_READ")) + ")"
	b.params["PROTECTED_READ_FOLD_RE"] = b.params["PROTECTED_READ_RE"]
	b.params["PROTECTED_DENY_RE"] = "(" + seatbelt.RegexQuote(unbound("PROTECTED_DENY")) + ")"
	return b.ports()
}

// rootParams sets NAME, NAME_RE and NAME_UP_RE for a root, or points them
// at an unbound path that matches nothing.
func (b *binder) rootParams(name, p string) {
	if p == "" {
		u := unbound(name)
		b.params[name], b.params[name+"_RE"] = u, seatbelt.RegexQuote(u)
		b.params[name+"_UP_RE"] = anchored(seatbelt.RegexQuote(u))
		return
	}
	b.params[name], b.params[name+"_RE"], b.params[name+"_UP_RE"] = p, seatbelt.FoldRegex(p), seatbelt.UpRegex(p)
}

// ports binds the proxy ports the profile uses.
func (b *binder) ports() error {
	given := map[string]int{"PROXY_PORT": b.mc.ProxyPort, "SOCKS_PORT": b.mc.SOCKSPort,
		"SOCKS_UDP_PORT": b.mc.SOCKSUDPPort}
	for _, p := range b.m.Params {
		if p.Form != "port" {
			continue
		}
		v := p.Default
		if n := given[p.Name]; n != 0 {
			v = strconv.Itoa(n)
		}
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("no port to bind %s to (%s)", p.Name, p.Meaning)
		}
		b.params[p.Name] = v
	}
	return nil
}

// manifestParams keeps the parameters the manifest lists.
func (b *binder) manifestParams() map[string]string {
	out := map[string]string{}
	for _, p := range b.m.Params {
		out[p.Name] = b.params[p.Name]
	}
	return out
}

// ParamNames returns the names of params sorted, for stable argv.
func ParamNames(params map[string]string) []string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
