package landlock

import (
	"path"
	"sort"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Resolved is a ruleset bound to one machine: concrete paths, ready for
// [Apply] in the sandbox and for the evaluator methods.
type Resolved struct {
	Unrestricted bool           `json:"unrestricted,omitempty"`
	MinABI       int            `json:"min_abi"`
	HandledFS    Set            `json:"handled_fs"`
	HandledNet   Set            `json:"handled_net"`
	Scoped       Set            `json:"scoped"`
	Paths        []ResolvedPath `json:"paths"`
	Ports        []PortRule     `json:"ports,omitempty"`
	// Gaps are what Landlock alone would leave unenforced on this
	// machine: the mount plan must carry them.
	Gaps []Gap `json:"gaps,omitempty"`
}

// ResolvedPath grants rights below one concrete path.
type ResolvedPath struct {
	Path   string    `json:"path"`
	Rights Set       `json:"rights"`
	Origin ir.Origin `json:"origin"`
}

// Gap is a decision of the policy that Landlock cannot enforce here.
type Gap struct {
	Path   string    `json:"path"`
	Why    string    `json:"why"`
	Origin ir.Origin `json:"origin"`
}

// Standalone reports whether Landlock alone enforces the filesystem
// policy on this machine, so that a Landlock-only mode may run it.
func (r *Resolved) Standalone() bool { return len(r.Gaps) == 0 }

// Resolve binds a ruleset's templates with b. Rules whose root is not
// bound are left out; nothing is looked up on the disk (Apply does that,
// inside the sandbox).
func Resolve(rs *Ruleset, b ir.Binding) (*Resolved, diag.List) {
	out := &Resolved{Unrestricted: rs.Unrestricted, MinABI: rs.MinABI,
		HandledFS: setOf(FS, rs.HandledFS), HandledNet: setOf(Net, rs.HandledNet),
		Scoped: setOf(Scope, rs.Scoped), Ports: rs.Ports}
	if rs.Format != Format {
		var diags diag.List
		diags.Errorf(diag.Pos{}, diag.Load, "landlock ruleset format %d, this permc reads %d: rebuild the artifact",
			rs.Format, Format)
		return nil, diags
	}
	if rs.Unrestricted {
		return out, nil
	}
	bd := binder{b: b, roots: workspaceRoots(rs, b)}
	merged := map[string]*ResolvedPath{}
	for _, pr := range rs.Paths {
		for _, p := range bd.bind(pr.Base, pr.Path) {
			if m, ok := merged[p]; ok {
				m.Rights |= setOf(FS, pr.Rights)
				continue
			}
			merged[p] = &ResolvedPath{Path: p, Rights: setOf(FS, pr.Rights), Origin: pr.Origin}
		}
	}
	for _, m := range merged {
		out.Paths = append(out.Paths, *m)
	}
	sort.Slice(out.Paths, func(i, j int) bool { return out.Paths[i].Path < out.Paths[j].Path })
	out.Gaps = bd.gaps(rs, out)
	return out, nil
}

type binder struct {
	b     ir.Binding
	roots []string
}

// workspaceRoots are the session's roots, then the profile's.
func workspaceRoots(rs *Ruleset, b ir.Binding) []string {
	var out []string
	for _, r := range b.WorkspaceRoots {
		if path.IsAbs(r) {
			out = append(out, path.Clean(r))
		}
	}
	bd := binder{b: b}
	for _, r := range rs.WorkspaceRoots {
		if rest, ok := ir.CutHome(r.Path); ok {
			out = append(out, bd.bind(ir.BaseHome.String(), rest)...)
		} else if path.IsAbs(r.Path) {
			out = append(out, path.Clean(r.Path))
		}
	}
	return out
}

// bind returns the concrete paths of a template.
func (bd binder) bind(base, rel string) []string {
	join := func(dir string) string {
		if rel == "" {
			return path.Clean(dir)
		}
		return path.Join(dir, rel)
	}
	switch base {
	case ir.BaseAbs.String():
		if path.IsAbs(rel) {
			return []string{path.Clean(rel)}
		}
	case ir.BaseRoot.String():
		return []string{"/"}
	case ir.BaseHome.String():
		if path.IsAbs(bd.b.Home) {
			return []string{join(bd.b.Home)}
		}
	case ir.BaseWorkspaceRoots.String():
		var out []string
		for _, r := range bd.roots {
			out = append(out, join(r))
		}
		return out
	case ir.BaseTmpdir.String():
		if path.IsAbs(bd.b.Tmpdir) {
			return []string{join(bd.b.Tmpdir)}
		}
	case ir.BaseSlashTmp.String():
		if bd.b.SlashTmp {
			return []string{"/tmp"}
		}
	case ir.BaseMinimal.String():
		var out []string
		for _, m := range ir.Minimal(ir.Linux) {
			if !m.Implicit {
				out = append(out, m.Path)
			}
		}
		return out
	case baseGitdir:
		var out []string
		for _, r := range bd.roots {
			if g, ok := bd.b.LinkedGitDirs[r]; ok {
				out = append(out, path.Clean(g))
			}
		}
		return out
	}
	return nil
}

var writeBits = setOf(FS, groupRights(GroupWrite)) &^ setOf(FS, groupRights(GroupRead))

// gaps finds what Landlock alone cannot enforce: denies and read-only
// paths inside a grant, deny globs below one, and protected metadata in a
// writable root.
func (bd binder) gaps(rs *Ruleset, r *Resolved) []Gap {
	var out []Gap
	for _, d := range rs.Denies {
		out = append(out, bd.denyGaps(d, r)...)
	}
	for _, p := range r.Paths {
		if p.Rights&writeBits != 0 {
			continue
		}
		if w, ok := r.grantAbove(p.Path, writeBits, true); ok {
			out = append(out, Gap{Path: p.Path, Origin: p.Origin,
				Why: "read-only inside the writable " + w})
		}
	}
	return out
}

func (bd binder) denyGaps(d Denied, r *Resolved) []Gap {
	var out []Gap
	if d.Protect {
		for _, root := range bd.roots {
			if _, ok := r.grantAbove(root, writeBits, false); ok {
				out = append(out, Gap{Path: path.Join(root, ".git"), Origin: d.Origin,
					Why: "protected metadata inside a writable workspace root"})
			}
		}
		return out
	}
	rel := d.Path
	if d.Glob {
		rel = literalPrefix(rel)
	}
	for _, p := range bd.bind(d.Base, rel) {
		g, ok := r.grantAbove(p, ^Set(0), false)
		if !ok && d.Glob {
			g, ok = r.grantBelow(p)
		}
		if ok {
			out = append(out, Gap{Path: p, Origin: d.Origin, Why: "denied inside the granted " + g})
		}
	}
	return out
}

// grantAbove finds a rule granting some of bits at or above p (strictly
// above when strict).
func (r *Resolved) grantAbove(p string, bits Set, strict bool) (string, bool) {
	for _, g := range r.Paths {
		if within(p, g.Path) && g.Rights&bits != 0 && !(strict && g.Path == p) {
			return g.Path, true
		}
	}
	return "", false
}

func (r *Resolved) grantBelow(p string) (string, bool) {
	for _, g := range r.Paths {
		if within(g.Path, p) {
			return g.Path, true
		}
	}
	return "", false
}

func literalPrefix(p string) string {
	comps := strings.Split(p, "/")
	i := 0
	for i < len(comps) && !ir.HasGlobMeta(comps[i]) {
		i++
	}
	return strings.Join(comps[:i], "/")
}

// within reports whether p is anc or lies below it.
func within(p, anc string) bool {
	if anc == "/" || p == anc {
		return true
	}
	return strings.HasPrefix(p, anc) && len(p) > len(anc) && p[len(anc)] == '/'
}
