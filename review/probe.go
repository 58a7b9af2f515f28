package review

import (
	"path"
	"strings"

	"github.com/permc/permc/ir"
)

// Synthetic roots bind the symbolic bases of both sides of a diff to one
// fixed layout per target, so that the same probe means the same path on
// both sides.
var Synthetic = map[ir.Target]ir.Binding{
	ir.Linux:   {Home: "/home/u", Tmpdir: "/tmp/t", SlashTmp: true, WorkspaceRoots: []string{"/ws"}},
	ir.MacOS:   {Home: "/Users/u", Tmpdir: "/tmp/t", SlashTmp: true, WorkspaceRoots: []string{"/ws"}},
	ir.Windows: {Home: `C:\Users\u`, Tmpdir: `C:\Users\u\AppData\Local\Temp`, WorkspaceRoots: []string{`C:\ws`}},
}

// Names used below a rule path (a child) and beside it (a sibling).
const (
	childName   = "permc-probe"
	siblingName = "permc-probe-sibling"
)

// probe is one concrete path of the probe set, with the label a reviewer
// reads: the path in the config's own terms (~/x, <workspace>/x, $TMPDIR).
type probe struct {
	label string
	comps []string
}

// spot is a place named by some entry: a label and the concrete path.
type spot struct {
	label string
	comps []string
	// root is set for a bare base (~, a workspace root, /): there is no
	// sibling worth probing beside it.
	root bool
	// glob is set for an example path of a glob; its label is the glob.
	glob bool
}

// prober builds the probe set of target t over some policies.
type prober struct {
	t      ir.Target
	b      ir.Binding
	seen   map[string]bool
	probes []probe
	// globDirs is how many directories deep "**" is probed: every depth a
	// deny glob of these policies reaches, so a glob that covers less
	// (a lower depth, "*/*.env" for "**/*.env") shows.
	globDirs int
}

// defaultGlobDirs is globDirs when no policy bounds its globs.
const defaultGlobDirs = 3

// maxGlobDirs bounds globDirs, so a deep limit does not multiply probes.
const maxGlobDirs = 8

// Probes returns the rule-boundary probe set of target t for pols, the
// one permc diff compares: every path as t spells it (macOS paths resolved
// into /private), with the symbolic roots bound as in Synthetic[t]. permc
// verify and the cross-backend tests run every backend's evaluator over
// it.
func Probes(t ir.Target, pols ...*ir.Policy) []string {
	return ProbesFor(t, Synthetic[t], pols...)
}

// ProbesFor is Probes with the symbolic roots bound by b instead of
// Synthetic[t].
func ProbesFor(t ir.Target, b ir.Binding, pols ...*ir.Policy) []string {
	ps := probesBound(t, b, pols...)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = ir.JoinPath(t, p.comps)
	}
	return out
}

// probeSet returns the rule-boundary probes of target t for pols: for
// every rule path of every policy, every workspace root's protected
// metadata and every :minimal entry, the path itself, a child and a
// sibling; one example path per glob.
func probeSet(t ir.Target, pols ...*ir.Policy) []probe {
	return probesBound(t, Synthetic[t], pols...)
}

func probesBound(t ir.Target, b ir.Binding, pols ...*ir.Policy) []probe {
	pr := &prober{t: t, b: b, seen: map[string]bool{}, globDirs: defaultGlobDirs}
	for _, p := range pols {
		// glob_scan_max_depth counts the base's children as depth 1: a
		// match at depth d lies below d-1 directories.
		if d := p.FS.GlobScanMaxDepth - 1; d > pr.globDirs {
			pr.globDirs = min(d, maxGlobDirs)
		}
	}
	roots := pr.workspaceRoots(pols)
	for _, p := range pols {
		for _, r := range p.FS.Rules {
			for _, s := range pr.spots(r, roots) {
				pr.around(s)
			}
		}
	}
	for _, root := range roots {
		pr.around(root)
		for _, n := range ir.ProtectedNames {
			pr.around(root.join(n))
		}
	}
	for _, m := range ir.Minimal(t) {
		path := m.Path
		if strings.HasPrefix(path, "%") {
			if end := strings.Index(path[1:], "%"); end >= 0 {
				path = ir.WindowsDefaults[path[1:end+1]] + path[end+2:]
			}
		}
		if m.Glob {
			path = globExample(path)
		}
		if c, ok := ir.SplitPath(t, path); ok {
			pr.around(spot{label: path, comps: c})
		}
	}
	return pr.probes
}

// probesAt is the probe set around one absolute path p, on target t under
// binding b: p, what is below it, and its folder. It is what a binding
// placed for p (see bindings) can change.
func probesAt(t ir.Target, b ir.Binding, p string) []probe {
	pr := &prober{t: t, b: b, seen: map[string]bool{}, globDirs: defaultGlobDirs}
	if c, ok := ir.SplitPath(t, p); ok {
		pr.around(spot{label: p, comps: c})
		if len(c) > 0 {
			pr.around(spot{label: path.Dir(p), comps: c[:len(c)-1]})
		}
	}
	return pr.probes
}

func (s spot) join(rel string) spot {
	out := spot{label: s.label, comps: append([]string(nil), s.comps...)}
	for _, c := range strings.Split(rel, "/") {
		if c == "" {
			continue
		}
		out.label = joinLabel(out.label, c)
		out.comps = append(out.comps, c)
	}
	return out
}

func joinLabel(l, c string) string {
	sep := "/"
	if ir.IsWindowsAbs(l) && !ir.IsPosixAbs(l) {
		sep = `\`
	}
	if strings.HasSuffix(l, sep) {
		return l + c
	}
	return l + sep + c
}

// around adds the spot, a child and a sibling.
func (pr *prober) around(s spot) {
	pr.add(s.label, s.comps)
	pr.add(joinLabel(s.label, "…"), append(append([]string(nil), s.comps...), childName))
	if s.root || s.glob || len(s.comps) == 0 {
		return
	}
	parent := s.comps[:len(s.comps)-1]
	label := s.label
	if i := strings.LastIndexAny(label, `/\`); i >= 0 {
		label = label[:i]
	}
	if label == "" {
		label = "/"
	}
	pr.add(joinLabel(label, "…"), append(append([]string(nil), parent...), siblingName))
}

func (pr *prober) add(label string, comps []string) {
	key := strings.Join(comps, "\x00")
	if pr.seen[key] {
		return
	}
	pr.seen[key] = true
	pr.probes = append(pr.probes, probe{label: label, comps: comps})
}

// workspaceRoots are the synthetic runtime root and every profile root of
// every policy.
func (pr *prober) workspaceRoots(pols []*ir.Policy) []spot {
	var out []spot
	for _, r := range pr.b.WorkspaceRoots {
		c, _ := ir.SplitPath(pr.t, r)
		out = append(out, spot{label: "<workspace>", comps: c, root: true})
	}
	seen := map[string]bool{}
	for _, p := range pols {
		for _, w := range p.FS.WorkspaceRoots {
			if seen[w.Path] {
				continue
			}
			seen[w.Path] = true
			if s, ok := pr.bindPath(w.Path); ok {
				s.root = true
				out = append(out, s)
			}
		}
	}
	return out
}

// bindPath binds an absolute or ~ path.
func (pr *prober) bindPath(p string) (spot, bool) {
	if rest, ok := ir.CutHome(p); ok {
		return pr.home().join(rest), true
	}
	c, ok := ir.SplitPath(pr.t, p)
	return spot{label: p, comps: c}, ok
}

func (pr *prober) home() spot {
	c, _ := ir.SplitPath(pr.t, pr.b.Home)
	return spot{label: "~", comps: c, root: true}
}

// spots are the places a rule names; a glob names its literal base and
// one example path that it matches.
func (pr *prober) spots(r ir.FSRule, roots []spot) []spot {
	var bases []spot
	rel := r.Path
	switch r.Base {
	case ir.BaseAbs:
		c, ok := ir.SplitPath(pr.t, r.Path)
		if !ok {
			return nil
		}
		if !r.Glob {
			return []spot{{label: r.Path, comps: c}}
		}
		// A glob: start from the root of its OS and keep the written form.
		n, label := len(rootComps(pr.t)), rootLabel(pr.t)
		if pr.t == ir.Windows {
			label = c[0] + `\`
		}
		bases = []spot{{label: label, comps: c[:n], root: true}}
		rel = strings.Join(c[n:], "/")
	case ir.BaseHome:
		bases = []spot{pr.home()}
	case ir.BaseRoot:
		return []spot{{label: rootLabel(pr.t), comps: rootComps(pr.t), root: true}}
	case ir.BaseWorkspaceRoots:
		bases = roots
	case ir.BaseTmpdir:
		c, _ := ir.SplitPath(pr.t, pr.b.Tmpdir)
		return []spot{{label: "$TMPDIR", comps: c, root: true}}
	case ir.BaseSlashTmp:
		if c, ok := ir.SplitPath(pr.t, "/tmp"); ok && pr.t != ir.Windows {
			return []spot{{label: "/tmp", comps: c, root: true}}
		}
	}
	var out []spot
	for _, b := range bases {
		if !r.Glob {
			out = append(out, b.join(rel))
			continue
		}
		lit, pat := splitGlob(rel)
		base := b.join(lit)
		out = append(out, base)
		for _, ex := range globExamples(pat, pr.globDirs) {
			s := base.join(ex)
			s.label, s.glob = joinLabel(base.label, pat), true
			out = append(out, s)
		}
	}
	return out
}

func rootLabel(t ir.Target) string {
	if t == ir.Windows {
		return `C:\`
	}
	return "/"
}

func rootComps(t ir.Target) []string {
	if t == ir.Windows {
		return []string{"C:"}
	}
	return nil
}

// splitGlob splits a "/"-separated glob into its literal leading
// components and the pattern after them.
func splitGlob(rel string) (lit, pat string) {
	comps := strings.Split(rel, "/")
	i := 0
	for i < len(comps) && !ir.HasGlobMeta(comps[i]) {
		i++
	}
	return strings.Join(comps[:i], "/"), strings.Join(comps[i:], "/")
}

// globExamples returns paths the pattern matches: "**" as no directory
// and as 1 to dirs directories, each other wildcard replaced by a plain
// letter.
func globExamples(pat string, dirs int) []string {
	out := []string{globExample(strings.ReplaceAll(pat, "**/", ""))}
	if !strings.Contains(pat, "**") {
		return out
	}
	for k := 1; k <= max(dirs, 1); k++ {
		d := strings.TrimSuffix(strings.Repeat("d/", k), "/")
		out = append(out, globExample(strings.ReplaceAll(pat, "**", d)))
	}
	return out
}

// globExample replaces each wildcard of one glob by a character it
// matches: * and ? by "p", a class by its first member.
func globExample(pat string) string {
	var b strings.Builder
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '*', '?':
			b.WriteByte('p')
			for i+1 < len(pat) && pat[i+1] == '*' {
				i++
			}
		case '[':
			end := strings.IndexByte(pat[i+1:], ']')
			if end < 0 {
				b.WriteByte(c)
				continue
			}
			class := pat[i+1 : i+1+end]
			i += end + 1
			if class == "" || class[0] == '!' || class[0] == '^' {
				b.WriteByte('~') // a member of most negated classes
				continue
			}
			b.WriteByte(class[0])
		case '\\':
			if i+1 < len(pat) {
				i++
				b.WriteByte(pat[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
