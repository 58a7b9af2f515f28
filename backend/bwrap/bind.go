package bwrap

import (
	"path"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Binding is what a machine says about a plan's symbolic roots.
type Binding struct {
	Home   string // "" when unknown
	Tmpdir string // $TMPDIR; "" when unset
	// WorkspaceRoots are the session's roots; the plan's own are added.
	WorkspaceRoots []string
}

// entry is one template bound to a concrete path.
type entry struct {
	lex     string // the path as bound, before symlinks are followed
	path    string // the path with every symlink followed
	access  ir.Access
	kind    string // KindRule, KindMinimal, KindImplicit or kindProtected
	literal bool
	subtree bool
	origin  ir.Origin
	res     resolution
	root    string // for protected entries: the workspace root (lexical)
	refused bool   // crosses a symlink the sandbox can rewrite
	pin     *Pin   // a protected symlink whose name must be pinned
}

const kindProtected = "protected"

// globTemplate is a deny glob bound to a concrete base.
type globTemplate struct {
	scan GlobScan
	res  resolution
}

func (e *entry) depth() int {
	if e.subtree {
		return depth(e.path) + 1
	}
	return depth(e.path)
}

// bindRoots returns the workspace roots: the session's, then the plan's.
func (r *resolver) bindRoots() []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, w := range r.b.WorkspaceRoots {
		if c, ok := cleanAbs(w); ok {
			add(c)
		}
	}
	for _, w := range r.plan.WorkspaceRoots {
		p, ok := r.homeOrAbs(w.Path)
		if !ok {
			r.diags.Warnf(w.Origin.Pos, diag.Load,
				"workspace root %s skipped: the home directory is not bound", w.Path)
			continue
		}
		add(p)
	}
	return out
}

func cleanAbs(p string) (string, bool) {
	if !path.IsAbs(p) {
		return "", false
	}
	return path.Clean(p), true
}

func (r *resolver) homeOrAbs(p string) (string, bool) {
	if rest, ok := ir.CutHome(p); ok {
		return r.underHome(rest)
	}
	return cleanAbs(p)
}

func (r *resolver) underHome(rest string) (string, bool) {
	h, ok := cleanAbs(r.b.Home)
	if !ok {
		return "", false
	}
	return joinPath(h, rest), true
}

// bindTemplate returns the concrete paths a template stands for.
func (r *resolver) bindTemplate(t *Template) []string {
	switch baseByName[t.Base] {
	case ir.BaseAbs:
		if c, ok := cleanAbs(t.Path); ok {
			return []string{c}
		}
	case ir.BaseHome:
		return r.bindHome(t)
	case ir.BaseRoot:
		return []string{"/"}
	case ir.BaseWorkspaceRoots:
		var out []string
		for _, root := range r.roots {
			out = append(out, joinPath(root, t.Path))
		}
		return out
	case ir.BaseTmpdir:
		return r.bindTmp(t, r.b.Tmpdir, "$TMPDIR is not set")
	case ir.BaseSlashTmp:
		if r.slashTmp {
			return []string{"/tmp"}
		}
		return r.bindTmp(t, "", "/tmp is not a directory")
	}
	return nil
}

func (r *resolver) bindHome(t *Template) []string {
	if p, ok := r.underHome(t.Path); ok {
		return []string{p}
	}
	if t.Access == "deny" {
		r.diags.Errorf(t.Origin.Pos, diag.Load,
			"cannot deny ~/%s: the home directory is not bound", t.Path)
		return nil
	}
	r.diags.Warnf(t.Origin.Pos, diag.Load,
		"~/%s skipped: the home directory is not bound", t.Path)
	return nil
}

func (r *resolver) bindTmp(t *Template, dir, why string) []string {
	if c, ok := cleanAbs(dir); ok {
		return []string{c}
	}
	if t.Access == "deny" {
		r.diags.Notef(t.Origin.Pos, diag.Load, "%s deny satisfied: %s", t.Base, why)
	}
	return nil
}

// bindEntries binds every template. Deny globs go to r.globs.
func (r *resolver) bindEntries() {
	for i := range r.plan.Templates {
		t := &r.plan.Templates[i]
		acc, ok := ir.ParseAccess(t.Access)
		if !ok {
			r.diags.Errorf(t.Origin.Pos, diag.Load, "plan holds unknown access %q", t.Access)
			continue
		}
		for _, p := range r.bindTemplate(t) {
			if t.Pattern != "" {
				r.globs = append(r.globs, globTemplate{scan: GlobScan{Base: p,
					Pattern: t.Pattern, MaxDepth: r.plan.GlobScanMaxDepth, Origin: t.Origin}})
				continue
			}
			r.entries = append(r.entries, &entry{lex: p, access: acc, kind: t.Kind,
				literal: t.Literal, subtree: t.Subtree, origin: t.Origin})
		}
	}
}

// decide returns the access of p from the entries: the deepest entry at or
// above p decides; at equal depth deny beats write beats read. Protected
// entries count only when withProtected is set.
func (r *resolver) decide(p string, withProtected bool) (ir.Access, *entry) {
	var best *entry
	for _, e := range r.entries {
		if e.refused || !within(p, e.path) || e.literal && p != e.path {
			continue
		}
		if e.kind == kindProtected && !withProtected {
			continue
		}
		if best == nil || e.depth() > best.depth() ||
			e.depth() == best.depth() && e.access.Rank() > best.access.Rank() {
			best = e
		}
	}
	if best == nil {
		return ir.Deny, nil
	}
	return best.access, best
}

// explicitAt reports whether a rule of the profile (not a glob) names the
// lexical path q, or an ancestor of it that does not contain root.
func (r *resolver) explicitAt(q, root string) bool {
	for _, e := range r.entries {
		if e.kind != KindRule || e.subtree {
			continue
		}
		if e.lex == q || within(q, e.lex) && !within(root, e.lex) {
			return true
		}
	}
	return false
}

// protections adds the implicit read-only entries under each root.
func (r *resolver) protections() {
	if r.plan.Protect == nil {
		return
	}
	var add []*entry
	for _, root := range r.roots {
		qs := make([]string, 0, len(r.plan.Protect.Names)+1)
		for _, n := range r.plan.Protect.Names {
			qs = append(qs, joinPath(root, n))
		}
		if g, ok := r.gitdirs[root]; ok {
			qs = append(qs, g)
		}
		acc := ir.Read
		if a, _ := r.decide(r.canon(root), false); a == ir.Deny {
			acc = ir.Deny
		}
		for _, q := range qs {
			if r.explicitAt(q, root) {
				continue
			}
			add = append(add, &entry{lex: q, access: acc, kind: kindProtected,
				origin: r.plan.Protect.Origin, root: root})
		}
		// Other git directories in the root's care are never left writable
		// by a broader rule, and never made readable either.
		for _, c := range r.caps[root] {
			if r.explicitAt(c, root) {
				continue
			}
			if a, _ := r.decide(r.canon(c), false); a != ir.Write {
				continue
			}
			add = append(add, &entry{lex: c, access: ir.Read, kind: kindProtected,
				origin: r.plan.Protect.Origin, root: root})
		}
	}
	for _, e := range add {
		r.resolveEntry(e)
	}
	r.entries = append(r.entries, add...)
}

// nodeAt returns what the disk holds at p, an entry's resolved path.
func (r *resolver) nodeAt(p string) resolution {
	for _, e := range r.entries {
		if !e.refused && e.path == p {
			return e.res
		}
	}
	return resolution{Real: p}
}

// canon returns the real path of p, or p when it cannot be resolved.
func (r *resolver) canon(p string) string {
	res, err := canonical(r.fs, p)
	if err != nil {
		return p
	}
	return res.Real
}

// readGitdir returns the gitdir a root's .git file points at, when the
// root really is a linked worktree: the .git file says "gitdir: G", G is
// ".../.git/worktrees/NAME", and G/gitdir points back at this .git file.
func (r *resolver) readGitdir(root string) (string, bool) {
	dotgit := joinPath(root, ".git")
	fi, err := r.fs.Lstat(dotgit)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	g, ok := pointer(r.fs, dotgit, "gitdir:", root)
	if !ok || path.Base(path.Dir(g)) != "worktrees" || path.Base(path.Dir(path.Dir(g))) != ".git" {
		return "", false
	}
	back, ok := pointer(r.fs, joinPath(g, "gitdir"), "", g)
	if !ok || r.canon(back) != r.canon(dotgit) {
		return "", false
	}
	return g, true
}

// gitCaps returns the git directories a root's .git leads to besides a
// verified worktree gitdir: that worktree's common directory (hooks and
// config live there), or, for any other .git file, the gitdir it names (a
// submodule's). Hooks written there would run outside the sandbox.
func (r *resolver) gitCaps(root string) []string {
	if g, ok := r.gitdirs[root]; ok {
		if c, ok := pointer(r.fs, joinPath(g, "commondir"), "", g); ok {
			return []string{c}
		}
		return nil
	}
	dotgit := joinPath(root, ".git")
	fi, err := r.fs.Lstat(dotgit)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	if g, ok := pointer(r.fs, dotgit, "gitdir:", root); ok {
		return []string{g}
	}
	return nil
}

// pointer reads a one-line path file: "PREFIX path", relative to dir.
func pointer(fsys FS, file, prefix, dir string) (string, bool) {
	b, err := fsys.ReadFile(file)
	if err != nil {
		return "", false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
	line = strings.TrimSpace(line)
	if !ok || line == "" {
		return "", false
	}
	if !path.IsAbs(line) {
		line = path.Join(dir, line)
	}
	return path.Clean(line), true
}
