package winacl

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/permc/permc/ir"
)

// collect gathers every path an entry names: rule paths, the :minimal
// roots, the literal folder of a trailing /** grant, deny-glob matches,
// protected metadata, and the model's anchors.
func (r *resolver) collect() error {
	for i := range r.pol.FS.Rules {
		if err := r.collectRule(&r.pol.FS.Rules[i]); err != nil {
			return err
		}
	}
	r.collectMinimal()
	r.collectProtected()
	r.collectAnchors()
	return nil
}

func (r *resolver) collectRule(rule *ir.FSRule) error {
	switch {
	case rule.Base == ir.BaseMinimal:
		return nil // collectMinimal
	case rule.Glob && rule.Access == ir.Deny:
		return r.expandGlob(rule)
	}
	for _, c := range r.bindRule(rule) {
		r.add(literalPrefix(c), "rule")
	}
	return nil
}

// literalPrefix cuts a trailing /** (or any glob) from a path's
// components.
func literalPrefix(c []string) []string {
	for i, s := range c {
		if ir.HasGlobMeta(s) {
			return c[:i]
		}
	}
	return c
}

// bindRule returns the concrete component lists of a rule, as Decide
// binds them.
func (r *resolver) bindRule(rule *ir.FSRule) [][]string {
	switch rule.Base {
	case ir.BaseAbs:
		return one(ir.SplitPath(ir.Windows, rule.Path))
	case ir.BaseHome:
		return one(r.underHome(rule.Path))
	case ir.BaseWorkspaceRoots:
		var out [][]string
		for _, root := range r.workspaceRoots() {
			out = append(out, joinRel(root, rule.Path))
		}
		return out
	case ir.BaseTmpdir:
		if r.b.Tmpdir != "" {
			return one(ir.SplitPath(ir.Windows, r.b.Tmpdir))
		}
	}
	return nil
}

func one(c []string, ok bool) [][]string {
	if !ok {
		return nil
	}
	return [][]string{c}
}

func (r *resolver) underHome(rel string) ([]string, bool) {
	if r.b.Home == "" {
		return nil, false
	}
	h, ok := ir.SplitPath(ir.Windows, r.b.Home)
	if !ok {
		return nil, false
	}
	return joinRel(h, rel), true
}

func joinRel(base []string, rel string) []string {
	out := append([]string(nil), base...)
	if rel == "" {
		return out
	}
	return append(out, strings.Split(rel, "/")...)
}

// workspaceRoots are the binding's roots, then the profile's own.
func (r *resolver) workspaceRoots() [][]string {
	var out [][]string
	for _, w := range r.b.WorkspaceRoots {
		if c, ok := ir.SplitPath(ir.Windows, w); ok {
			out = append(out, c)
		}
	}
	for _, w := range r.pol.FS.WorkspaceRoots {
		if rest, ok := ir.CutHome(w.Path); ok {
			if c, ok := r.underHome(rest); ok {
				out = append(out, c)
			}
		} else if c, ok := ir.SplitPath(ir.Windows, w.Path); ok {
			out = append(out, c)
		}
	}
	return out
}

// minimalRoots binds the :minimal table's %VAR% roots.
func (r *resolver) minimalRoots() []bound {
	var out []bound
	for _, root := range r.m.Roots {
		if !root.Minimal {
			continue
		}
		if c, ok := r.bindEnv(root.Name); ok {
			out = append(out, bound{root.Name, c})
		}
	}
	return out
}

func (r *resolver) bindEnv(p string) ([]string, bool) {
	name := envName(p)
	if name == "" {
		return ir.SplitPath(ir.Windows, p)
	}
	v := r.b.WinEnv[name]
	if v == "" {
		v = ir.WindowsDefaults[name]
	}
	return ir.SplitPath(ir.Windows, v+p[len(name)+2:])
}

func (r *resolver) collectMinimal() {
	if !readsMinimal(r.pol) && r.mm.Model != ModelAppContainer {
		return
	}
	for _, b := range r.minimalRoots() {
		r.add(b.comps, "rule")
	}
	if r.mm.Model != ModelAppContainer {
		return
	}
	for _, b := range r.minimalRoots() {
		if appPackageRoots[b.name] {
			r.apps = append(r.apps, b)
		}
	}
}

// collectProtected adds the metadata paths kept read-only under each
// workspace root, and a linked worktree's gitdir.
func (r *resolver) collectProtected() {
	if !r.pol.FS.ProtectMetadata {
		return
	}
	for _, root := range r.workspaceRoots() {
		for _, n := range ir.ProtectedNames {
			r.add(joinRel(root, n), "rule")
		}
		if g, ok := r.b.LinkedGitDirs[ir.JoinPath(ir.Windows, root)]; ok {
			if gc, ok := ir.SplitPath(ir.Windows, g); ok {
				r.add(gc, "rule")
			}
		}
	}
}

// collectAnchors adds the home folder, whose inheritance is cut on every
// Windows install, so that a rule above it reaches it. In the
// sandbox-user model it is always written: reads there follow the ACLs,
// and the profile folder admits only its owner.
func (r *resolver) collectAnchors() {
	if h, ok := r.underHome(""); ok {
		r.add(h, "anchor").anchor = r.mm.Model == ModelSandboxUser
	}
}

// expandGlob adds every existing path a deny glob matches, walking from
// its literal base no deeper than glob_scan_max_depth (or the pattern's
// own depth when it has no **).
func (r *resolver) expandGlob(rule *ir.FSRule) error {
	for _, c := range r.bindRule(rule) {
		base := literalPrefix(c)
		if len(base) == len(c) {
			// No glob left once a verbatim prefix (`\\?\`) is gone:
			// Decide treats it as a literal deny that always wins.
			r.add(c, "rule")
			continue
		}
		pat := strings.ToLower(strings.Join(c[len(base):], "/"))
		limit := r.pol.FS.GlobScanMaxDepth
		if limit == 0 && !strings.Contains(pat, "**") {
			limit = len(c) - len(base)
		}
		w := walker{r: r, pat: pat, limit: limit, origin: rule.Origin}
		if err := w.walk(base, nil); err != nil {
			return err
		}
	}
	return nil
}

type walker struct {
	r      *resolver
	pat    string
	limit  int
	seen   int
	origin ir.Origin
}

func (w *walker) walk(base, rel []string) error {
	dir := ir.JoinPath(ir.Windows, append(append([]string(nil), base...), rel...))
	fi, ok := w.r.fs.Stat(dir)
	if !ok || !fi.Dir || (w.limit > 0 && len(rel) >= w.limit) {
		return nil
	}
	names, err := w.r.fs.ReadDir(dir)
	if err != nil {
		return &LoadError{Origin: w.origin, Path: dir, Msg: "cannot list folder: " + err.Error()}
	}
	for _, n := range names {
		if w.seen++; w.seen > MaxWalk {
			return &LoadError{Origin: w.origin, Path: ir.JoinPath(ir.Windows, base),
				Msg: fmt.Sprintf("deny glob scan passed %d entries; narrow it or lower glob_scan_max_depth", MaxWalk)}
		}
		sub := append(append([]string(nil), rel...), n)
		if ok, _ := doublestar.Match(w.pat, strings.ToLower(strings.Join(sub, "/"))); ok {
			w.r.add(append(append([]string(nil), base...), sub...), "rule")
			continue
		}
		if err := w.walk(base, sub); err != nil {
			return err
		}
	}
	return nil
}

// checkAppRoots refuses an AppContainer profile that denies a root an
// AppContainer always reads.
func (r *resolver) checkAppRoots() error {
	for _, b := range r.apps {
		path := ir.JoinPath(ir.Windows, b.comps)
		d := r.dec.Decide(path)
		if d.Read {
			continue
		}
		o := r.pol.Origin
		if d.By != nil {
			o = d.By.Origin
		}
		return &LoadError{Origin: o, Path: path, Msg: b.name + " admits all application " +
			"packages, so an appcontainer reads it whatever the profile says"}
	}
	return nil
}
