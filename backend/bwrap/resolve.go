package bwrap

import (
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Defaults of [Options].
const (
	// DefaultMountCap keeps bubblewrap's setup cost, which grows with the
	// square of the mount count, near 20 ms on a typical machine.
	DefaultMountCap = 256
	// DefaultMatchCap bounds the matches of one deny glob.
	DefaultMatchCap = 10000
)

// Options tune [Resolve].
type Options struct {
	// FS is the disk; nil means [HostFS].
	FS FS
	// MaskFile is an empty regular file of mode 0000 in permc's private
	// state directory, outside every writable root, bound read-only over
	// each denied file (see [EnsureMaskFile]).
	MaskFile string
	// MountCap bounds the mounts of the plan; 0 means DefaultMountCap.
	MountCap int
	// MatchCap bounds the matches of one deny glob; 0 means
	// DefaultMatchCap.
	MatchCap int
	// PinLinks says the runtime pins, with [PinSymlinks], a rule's path
	// that is itself a symlink in a writable directory (a symlinked .git,
	// .agents or .codex); without it such layouts are refused.
	PinLinks bool
	// Masks are absolute paths the runtime denies on top of the plan,
	// each with its origin: for instance root-only secrets when permc runs
	// as root, where the kernel still sees root inside the sandbox.
	Masks []Mask
	// Expand expands deny globs; nil means [ExpandGlobs]. The runtime
	// wraps it with its cache.
	Expand func(fsys FS, scans []GlobScan, opts GlobOptions) ([]GlobResult, diag.List)
}

// Mask is a path the runtime denies, and why.
type Mask struct {
	Path   string    `json:"path"`
	Origin ir.Origin `json:"origin"`
}

// Resolved is a plan bound to one machine.
type Resolved struct {
	// Unrestricted means no sandbox: the plan was :danger-full-access.
	Unrestricted bool `json:"unrestricted,omitempty"`
	// Ops are the bubblewrap operations, in order.
	Ops []Op `json:"ops"`
	// Placeholders must exist while the sandbox runs, parents first.
	Placeholders []Placeholder `json:"placeholders,omitempty"`
	// Pins are symlinks whose names the inner stage pins.
	Pins []Pin `json:"pins,omitempty"`
	// Mounts counts the mounts Ops create.
	Mounts int `json:"mounts"`
	// Globs are the expanded deny globs, in the plan's order.
	Globs []GlobResult `json:"globs,omitempty"`
	// WorkspaceRoots are the bound roots; LinkedGitDirs maps a root that
	// is a linked worktree to its gitdir.
	WorkspaceRoots []string          `json:"workspace_roots,omitempty"`
	LinkedGitDirs  map[string]string `json:"linked_git_dirs,omitempty"`
	// GitDirCaps maps a root to the other git directories it leads to
	// (a worktree's common directory, a submodule's gitdir), which no
	// implicit rule leaves writable.
	GitDirCaps map[string][]string `json:"git_dir_caps,omitempty"`
	Home       string              `json:"home,omitempty"`
	Tmpdir     string              `json:"tmpdir,omitempty"`
	SlashTmp   bool                `json:"slash_tmp,omitempty"`

	fs FS
}

// Placeholder is an empty directory the runtime creates before the
// sandbox starts and removes when the last run using it ends. Mounted
// placeholders carry a mount of the plan; the others only hold one.
type Placeholder struct {
	Path    string    `json:"path"`
	Mounted bool      `json:"mounted,omitempty"`
	Origin  ir.Origin `json:"origin"`
	// Dev and Ino are the folder's identity once CreatePlaceholders made
	// it: RemovePlaceholders removes only that folder.
	Dev uint64 `json:"dev,omitempty"`
	Ino uint64 `json:"ino,omitempty"`
}

// Pin is a symlink whose own name the sandbox must not replace: the inner
// stage mounts the link on itself ([PinSymlinks]).
type Pin struct {
	Link    string    `json:"link"`
	Content string    `json:"content"`
	Origin  ir.Origin `json:"origin"`
}

type resolver struct {
	plan     *Plan
	b        Binding
	opts     Options
	fs       FS
	diags    diag.List
	roots    []string
	slashTmp bool
	gitdirs  map[string]string
	caps     map[string][]string
	entries  []*entry
	globs    []globTemplate
	results  []GlobResult
	matches  []globPoint
}

// Resolve binds a plan to this machine: roots bound, templates resolved
// against the disk, deny globs expanded, operations ordered. Errors refuse
// the plan (the result is then nil); they point at the TOML line that
// caused them. Warnings and notes come with a usable result.
func Resolve(plan *Plan, b Binding, opts Options) (*Resolved, diag.List) {
	r := &resolver{plan: plan, b: b, opts: opts, fs: opts.FS, gitdirs: map[string]string{},
		caps: map[string][]string{}}
	if r.fs == nil {
		r.fs = HostFS{}
	}
	if plan.Format != Format {
		r.diags.Errorf(plan.BaseOrigin.Pos, diag.Load,
			"mount plan format %d, this permc reads %d: rebuild the artifact", plan.Format, Format)
		return nil, r.diags
	}
	if plan.Unrestricted {
		return &Resolved{Unrestricted: true, fs: r.fs}, nil
	}
	r.bind()
	r.checkLinks()
	r.expandGlobs()
	r.runtimeMasks()
	if r.diags.HasErrors() {
		return nil, r.diags
	}
	out := r.build()
	return out, r.diags
}

// bind binds roots and templates and follows their symlinks.
func (r *resolver) bind() {
	r.roots = r.bindRoots()
	if res, err := canonical(r.fs, "/tmp"); err == nil && res.Type == typeDir {
		r.slashTmp = true
	}
	if r.plan.Protect != nil {
		for _, root := range r.roots {
			if g, ok := r.readGitdir(root); ok {
				r.gitdirs[root] = g
			}
			if c := r.gitCaps(root); len(c) > 0 {
				r.caps[root] = c
			}
		}
	}
	r.bindEntries()
	for _, e := range r.entries {
		r.resolveEntry(e)
	}
	r.protections()
}

func (r *resolver) resolveEntry(e *entry) {
	res, err := canonical(r.fs, e.lex)
	if err != nil {
		r.diags.Errorf(e.origin.Pos, diag.Load, "cannot resolve %s: %v", e.lex, err)
		e.refused = true
		return
	}
	e.res, e.path = res, res.Real
}

// rewritable reports whether the sandbox could replace the symlink at
// link: its directory is writable inside.
func (r *resolver) rewritable(link string) bool {
	a, _ := r.decide(parentOf(link), true)
	return a == ir.Write
}

// checkLinks refuses entries that cross a symlink the sandbox can rewrite
// and decides which protected symlinks are pinned.
func (r *resolver) checkLinks() {
	for _, e := range r.entries {
		if e.kind == KindImplicit || e.refused {
			continue
		}
		for i, h := range e.res.Hops {
			if !r.rewritable(h.Link) {
				continue
			}
			own := e.res.FinalLink && i == e.res.FinalHop
			if own && r.opts.PinLinks {
				e.pin = &Pin{Link: h.Link, Content: h.Content, Origin: e.origin}
				continue
			}
			r.refuse(e, h, own)
			break
		}
	}
}

func (r *resolver) refuse(e *entry, h hop, own bool) {
	e.refused = true
	if own {
		what := ""
		if e.kind == kindProtected {
			what = "protected "
		}
		r.diags.Errorf(e.origin.Pos, diag.Load,
			"%s%s is a symlink to %s in a writable directory, and this runtime cannot pin it; "+
				"replace the link with what it points at, or write the rule for %s",
			what, h.Link, h.Target, h.Target)
		return
	}
	r.diags.Errorf(e.origin.Pos, diag.Load,
		"%s crosses the symlink %s -> %s, which the sandbox can rewrite; write the rule for %s instead",
		e.lex, h.Link, h.Target, h.Target)
}

// build turns the bound entries and glob matches into operations.
func (r *resolver) build() *Resolved {
	out := &Resolved{WorkspaceRoots: r.roots, Home: r.b.Home, Tmpdir: r.b.Tmpdir,
		SlashTmp: r.slashTmp, Globs: r.results, fs: r.fs}
	if len(r.gitdirs) > 0 {
		out.LinkedGitDirs = r.gitdirs
	}
	if len(r.caps) > 0 {
		out.GitDirCaps = r.caps
	}
	bl := newBuilder(r)
	bl.run()
	out.Ops, out.Placeholders, out.Mounts = bl.ops, bl.placeholders, bl.mounts
	for _, e := range r.entries {
		if e.pin != nil {
			out.Pins = append(out.Pins, *e.pin)
		}
	}
	r.checkCap(bl)
	r.checkMaskFile(bl)
	if r.diags.HasErrors() {
		return nil
	}
	return out
}

func (r *resolver) checkCap(bl *builder) {
	limit := r.opts.MountCap
	if limit <= 0 {
		limit = DefaultMountCap
	}
	if bl.mounts <= limit {
		return
	}
	worst, n := -1, 0
	for i, c := range bl.globMounts {
		if c > n {
			worst, n = i, c
		}
	}
	if worst < 0 {
		r.diags.Errorf(r.plan.BaseOrigin.Pos, diag.Load,
			"the mount plan needs %d mounts, more than the cap of %d", bl.mounts, limit)
		return
	}
	g := r.globs[worst].scan
	r.diags.Errorf(g.Origin.Pos, diag.Load,
		"deny glob %q under %s masks %d paths: the plan needs %d mounts, more than the cap of %d; "+
			"deny their directory instead, or lower glob_scan_max_depth",
		g.Pattern, g.Base, n, bl.mounts, limit)
}

// checkMaskFile refuses a plan whose file masks have no mask file, or one
// the sandbox could change.
func (r *resolver) checkMaskFile(bl *builder) {
	if !bl.fileMasks {
		return
	}
	o := r.plan.BaseOrigin.Pos
	if r.opts.MaskFile == "" {
		r.diags.Errorf(o, diag.Internal, "the plan masks files but the runtime gave no mask file")
		return
	}
	if a, _ := r.decide(r.opts.MaskFile, true); a == ir.Write {
		r.diags.Errorf(o, diag.Load, "the mask file %s lies under a writable root; "+
			"keep permc's state outside every writable root", r.opts.MaskFile)
	}
}

// GlobMasks returns the operations that mask deny-glob matches.
func (res *Resolved) GlobMasks() []Op {
	var out []Op
	for _, o := range res.Ops {
		if o.Why == whyGlob {
			out = append(out, o)
		}
	}
	return out
}

// Binding returns what ir.Decide needs to judge this machine: the roots
// as bound, the linked worktrees found, and the disk for deny globs.
func (res *Resolved) Binding() ir.Binding {
	fsys := res.fs
	if fsys == nil {
		fsys = HostFS{}
	}
	return ir.Binding{Home: res.Home, Tmpdir: res.Tmpdir, SlashTmp: res.SlashTmp,
		WorkspaceRoots: res.WorkspaceRoots, LinkedGitDirs: res.LinkedGitDirs, GitDirCaps: res.GitDirCaps,
		Exists: func(p string) bool { _, err := fsys.Lstat(p); return err == nil }}
}
