// Package seatbelttest builds random policies and probe paths for the tests that
// hold the Seatbelt profile to ir.Decide. It is test support: nothing in
// permc's build path imports it.
//
// # What it generates
//
// Policies mix absolute, ~, :workspace_roots, :tmpdir, :slash_tmp, :root
// and :minimal rules over a small universe of names that includes quotes,
// backslashes, newlines, parentheses, regex metacharacters, non-ASCII
// letters and their case variants, spellings through /tmp, /var and /etc,
// reopen-inside-deny pairs, deny globs and access globs. Bindings put the
// symbolic roots at their nominal depths most of the time and elsewhere
// sometimes, so that the loader's order check has work to do.
package seatbelttest

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Names are the path components rules and probes are built from.
var Names = []string{
	"a", "B", "Documents", "codex", "x y", `q"uote`, `back\slash`, "new\nline", "(paren)",
	"re.+{}|^$", "é", "ÉCOLE", "İk", "Kelvin", ".git", ".codex", ".agents", ".env", "secret.key",
}

// Globs are patterns of the spec's dialect for glob rules.
var Globs = []string{"**/*.env", "*.key", "**/secret*", "[a-c]*", "?", "{a,b}", "*/codex/**",
	"**", "*.[Ee][Nn][Vv]", "é*", "x y/**"}

// Binding returns a machine binding; variant picks how roots are placed.
func Binding(rng *rand.Rand) ir.Binding {
	b := ir.Binding{Home: "/Users/dev", Tmpdir: "/var/folders/ab/cd1234/T", SlashTmp: true,
		WorkspaceRoots: []string{"/Users/dev/code/app"}}
	switch rng.Intn(8) {
	case 0:
		b.Tmpdir = ""
	case 1:
		b.WorkspaceRoots = append(b.WorkspaceRoots, "/tmp/ws2")
	case 2:
		b.WorkspaceRoots = []string{"/Users/dev"}
	case 3:
		b.LinkedGitDirs = map[string]string{"/Users/dev/code/app": "/Users/dev/code/main/.git/worktrees/app"}
	case 4:
		b.WorkspaceRoots = nil
	case 5:
		b.Home = "/private/var/root"
		b.WorkspaceRoots = []string{"/private/var/root/ws"}
	}
	return b
}

// OddBinding returns a binding whose roots lie away from their nominal
// depths, where the compiler's order can differ from the decision order.
func OddBinding(rng *rand.Rand) ir.Binding {
	b := ir.Binding{Home: "/Users/dev", Tmpdir: "/var/folders/ab/cd1234/T", SlashTmp: true}
	switch rng.Intn(4) {
	case 0:
		b.WorkspaceRoots = []string{"/Users/dev"}
	case 1:
		b.WorkspaceRoots = []string{"/Users/dev/code/app/Documents/codex/a/b"}
	case 2:
		b.WorkspaceRoots = []string{"/Users", "/tmp/ws2"}
	default:
		b.Home, b.Tmpdir = "/Users/dev/code", "/Users/dev/tmp"
		b.WorkspaceRoots = []string{"/Users/dev/code/app"}
	}
	return b
}

type builder struct {
	rng  *rand.Rand
	p    *ir.Policy
	line int
}

// Policy returns a random restricted policy named name.
func Policy(rng *rand.Rand, name string) *ir.Policy {
	g := &builder{rng: rng, p: &ir.Policy{Name: name, Net: ir.DefaultNetPolicy()}}
	g.p.FS.ProtectMetadata = rng.Intn(2) == 0
	g.p.FS.ProtectOrigin = ir.Origin{Profile: ":workspace"}
	if rng.Intn(3) == 0 {
		g.p.FS.WorkspaceRoots = append(g.p.FS.WorkspaceRoots, ir.WorkspaceRoot{Path: "~/proj"})
	}
	if rng.Intn(4) == 0 {
		g.p.FS.WorkspaceRoots = append(g.p.FS.WorkspaceRoots, ir.WorkspaceRoot{Path: "/opt/proj"})
	}
	for n := 1 + rng.Intn(9); n > 0; n-- {
		g.rule()
	}
	return g.p
}

func (g *builder) origin() ir.Origin {
	g.line++
	return ir.Origin{Pos: diag.Pos{File: "gen.toml", Line: g.line}, Profile: g.p.Name}
}

var accesses = []ir.Access{ir.Read, ir.Write, ir.Deny}

var absBases = []string{"/Users/dev", "/Users", "/tmp", "/private/tmp", "/var/tmp", "/etc",
	"/private/var", "/opt/x", "/", "/Users/dev/code/app", "/var/folders/ab/cd1234/T", "/usr"}

// rule adds one random rule, sometimes with a reopening child.
func (g *builder) rule() {
	a := accesses[g.rng.Intn(3)]
	r := ir.FSRule{Access: a, Origin: g.origin()}
	switch g.rng.Intn(10) {
	case 0, 1:
		r.Base, r.Path = ir.BaseAbs, joinAbs(absBases[g.rng.Intn(len(absBases))], g.rel(0, 2))
	case 2, 3:
		r.Base, r.Path = ir.BaseHome, g.rel(0, 2)
	case 4, 5:
		r.Base, r.Path = ir.BaseWorkspaceRoots, g.rel(0, 2)
	case 6:
		r.Base = []ir.BaseKind{ir.BaseTmpdir, ir.BaseSlashTmp, ir.BaseRoot}[g.rng.Intn(3)]
	case 7:
		r.Base = ir.BaseMinimal
	default:
		g.globRule(&r)
	}
	g.addRule(r)
	if g.rng.Intn(3) == 0 && r.Base != ir.BaseMinimal && !r.Glob {
		child := r
		child.Access, child.Origin = accesses[g.rng.Intn(3)], g.origin()
		child.Path = joinRel(r.Path, g.rel(1, 2), r.Base == ir.BaseAbs)
		if r.Base == ir.BaseAbs || r.Base == ir.BaseHome || r.Base == ir.BaseWorkspaceRoots {
			g.addRule(child)
		}
	}
}

// globRule makes a glob rule, usually a deny, below a literal prefix.
func (g *builder) globRule(r *ir.FSRule) {
	pat := Globs[g.rng.Intn(len(Globs))]
	if g.rng.Intn(4) != 0 {
		r.Access = ir.Deny
	}
	switch g.rng.Intn(3) {
	case 0:
		r.Base, r.Path = ir.BaseWorkspaceRoots, joinRel(g.rel(0, 1), pat, false)
	case 1:
		r.Base, r.Path = ir.BaseHome, joinRel(g.rel(0, 1), pat, false)
	default:
		r.Base, r.Path = ir.BaseAbs, joinAbs("/Users/dev", joinRel(g.rel(0, 1), pat, false))
	}
	r.Glob = true
}

// addRule adds r unless a rule with its key exists (layers would merge).
func (g *builder) addRule(r ir.FSRule) {
	for _, o := range g.p.FS.Rules {
		if o.Key() == r.Key() {
			return
		}
	}
	g.p.FS.Rules = append(g.p.FS.Rules, r)
}

// rel returns between lo and hi random components joined by "/".
func (g *builder) rel(lo, hi int) string {
	n := lo + g.rng.Intn(hi-lo+1)
	comps := make([]string, n)
	for i := range comps {
		comps[i] = Names[g.rng.Intn(len(Names))]
	}
	return strings.Join(comps, "/")
}

func joinAbs(base, rel string) string {
	if rel == "" {
		return base
	}
	return strings.TrimSuffix(base, "/") + "/" + rel
}

func joinRel(a, b string, abs bool) string {
	switch {
	case abs:
		return joinAbs(a, b)
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "/" + b
}

// Describe renders a policy and binding for a failure message.
func Describe(p *ir.Policy, b ir.Binding) string {
	var s strings.Builder
	fmt.Fprintf(&s, "binding %+v\nprotect=%v roots=%v\n", b, p.FS.ProtectMetadata, p.FS.WorkspaceRoots)
	for _, r := range p.FS.Rules {
		fmt.Fprintf(&s, "  %v %q glob=%v -> %v\n", r.Base, r.Path, r.Glob, r.Access)
	}
	return s.String()
}
