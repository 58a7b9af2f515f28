package seatbelttest

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode"

	"github.com/permc/permc/backend/seatbelt"
	"github.com/permc/permc/ir"
)

// Probes returns paths around every boundary of p under b: each bound
// rule path, a child, a grandchild, a sibling, its parent, case variants,
// names a glob may match, and fixed system and metadata paths.
func Probes(p *ir.Policy, b ir.Binding) []string {
	set := map[string]bool{}
	for _, f := range fixedProbes(b) {
		set[f] = true
	}
	for _, base := range boundRulePaths(p, b) {
		for _, v := range variants(base) {
			set[v] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func fixedProbes(b ir.Binding) []string {
	out := []string{"/", "/Users", "/Users/dev", "/usr/lib/libSystem.B.dylib", "/usr/bin/env",
		"/dev/null", "/dev/ttys003", "/dev/ttys003/x", "/dev/fd/3", "/private/etc/hosts", "/etc/hosts",
		"/private/tmp", "/private/tmp/x", "/private/var/tmp/vault/x", "/opt/proj/.git/config",
		"/Applications/X.app", "/System/Library/Frameworks/X", "/private/var/db/timezone/x"}
	roots := append(append([]string(nil), b.WorkspaceRoots...), "/opt/proj", b.Home+"/proj")
	for _, r := range roots {
		for _, n := range ir.ProtectedNames {
			out = append(out, r+"/"+n, r+"/"+n+"/config", r+"/"+strings.ToUpper(n)+"/x")
		}
	}
	for _, g := range b.LinkedGitDirs {
		out = append(out, g, g+"/HEAD", path.Dir(g))
	}
	if b.Tmpdir != "" {
		out = append(out, b.Tmpdir, b.Tmpdir+"/x")
	}
	return out
}

// boundRulePaths returns the concrete paths rules name under b: for a
// glob, its literal prefix with names that may match below it.
func boundRulePaths(p *ir.Policy, b ir.Binding) []string {
	roots := append([]string(nil), b.WorkspaceRoots...)
	for _, r := range p.FS.WorkspaceRoots {
		if rest, ok := ir.CutHome(r.Path); ok {
			roots = append(roots, b.Home+"/"+rest)
		} else {
			roots = append(roots, r.Path)
		}
	}
	var out []string
	for _, r := range p.FS.Rules {
		for _, base := range ruleBases(r, b, roots) {
			full := joinAbs(base, r.Path)
			if !r.Glob {
				out = append(out, full)
				continue
			}
			out = append(out, globSamples(full)...)
		}
	}
	return out
}

func ruleBases(r ir.FSRule, b ir.Binding, roots []string) []string {
	switch r.Base {
	case ir.BaseAbs:
		return []string{""}
	case ir.BaseHome:
		return []string{b.Home}
	case ir.BaseWorkspaceRoots:
		return roots
	case ir.BaseTmpdir:
		if b.Tmpdir != "" {
			return []string{b.Tmpdir}
		}
	case ir.BaseSlashTmp:
		return []string{"/tmp"}
	case ir.BaseRoot:
		return []string{"/"}
	}
	return nil
}

// globSamples replaces the pattern part of a glob path by names that may
// or may not match it.
func globSamples(full string) []string {
	comps := strings.Split(full, "/")
	i := 0
	for i < len(comps) && !ir.HasGlobMeta(comps[i]) && !strings.Contains(comps[i], "{") {
		i++
	}
	prefix := strings.Join(comps[:i], "/")
	out := []string{prefix}
	for _, n := range append(append([]string(nil), Names...), "x.env", "A.ENV", "k.key", "secretX",
		"b", "codex", "é1", "É1", "x y") {
		out = append(out, prefix+"/"+n, prefix+"/a/"+n, prefix+"/a/codex/"+n)
	}
	return out
}

// variants returns p and the paths around it.
func variants(p string) []string {
	if p == "" {
		p = "/"
	}
	parent := path.Dir(p)
	out := []string{p, joinAbs(p, "c"), joinAbs(p, "c/.env"), joinAbs(parent, "zz"), parent,
		strings.ToUpper(p), strings.ToLower(p), swapLast(p)}
	if alias, ok := spelled(p); ok {
		out = append(out, alias, joinAbs(alias, "c"))
	}
	return out
}

// swapLast swaps the case of the last component.
func swapLast(p string) string {
	dir, base := path.Split(p)
	return dir + strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, base)
}

// spelled returns p through the /tmp, /var or /etc link, or the reverse.
func spelled(p string) (string, bool) {
	for _, a := range ir.MacOSAliases {
		if rest, ok := strings.CutPrefix(p, a[1]); ok && (rest == "" || rest[0] == '/') {
			return a[0] + rest, true
		}
		if rest, ok := strings.CutPrefix(p, a[0]); ok && (rest == "" || rest[0] == '/') {
			return a[1] + rest, true
		}
	}
	return "", false
}

// Mismatch is a probe on which the profile and ir.Decide disagree.
type Mismatch struct {
	Path, Op    string
	Decide, Got bool
	Rule        string
}

// String renders the mismatch for a test failure.
func (m Mismatch) String() string {
	return fmt.Sprintf("%s %q: Decide %v, sbpl %v (by %s)", m.Op, m.Path, m.Decide, m.Got, m.Rule)
}

// Compare evaluates read, write and create on every probe, as the kernel
// presents paths (resolved into /private), and returns the disagreements
// with ir.Decide.
func Compare(p *ir.Policy, b ir.Binding, prog *seatbelt.Program, probes []string) []Mismatch {
	var out []Mismatch
	for _, probe := range probes {
		canon, ok := ir.CleanPath(ir.MacOS, probe)
		if !ok {
			continue
		}
		d := ir.Decide(p, ir.MacOS, b, probe)
		for _, c := range []struct {
			op   string
			want bool
		}{{"file-read-data", d.Read}, {"file-write-data", d.Write}, {"file-write-create", d.Write}} {
			got := prog.Check(c.op, canon)
			if got.Allowed != c.want {
				out = append(out, Mismatch{Path: canon, Op: c.op, Decide: c.want, Got: got.Allowed, Rule: ruleOf(got)})
			}
		}
	}
	return out
}

func ruleOf(d seatbelt.Decision) string {
	if d.Rule == nil {
		return "no rule"
	}
	return fmt.Sprintf("line %d %q", d.Rule.Line, d.Rule.Comment)
}
