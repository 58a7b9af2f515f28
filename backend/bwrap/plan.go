package bwrap

import (
	"path"
	"sort"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Format is the version of the mount-plan JSON. It changes whenever a
// loader of an older format would misread a newer plan.
const Format = 1

// Plan is the compile-time mount plan of one policy: templates only, no
// machine facts. It is the "mounts" part of linux.json.
type Plan struct {
	Format  int    `json:"format"`
	Profile string `json:"profile"`
	// Unrestricted plans run no sandbox at all (:danger-full-access).
	Unrestricted bool `json:"unrestricted,omitempty"`
	// Base is how the root is mounted, for review: "ro-bind", "bind", or
	// "empty" (a read-only empty root with binds of what is readable). The
	// loader derives it again from the templates at "/".
	Base       string    `json:"base"`
	BaseOrigin ir.Origin `json:"base_origin"`
	// Templates in a canonical order: by base, path and access.
	Templates []Template `json:"templates"`
	// WorkspaceRoots are the profile's own roots ("~/x" or absolute);
	// the session's roots are added at load.
	WorkspaceRoots []ir.WorkspaceRoot `json:"workspace_roots,omitempty"`
	// GlobScanMaxDepth bounds deny-glob expansion; 0 scans without limit.
	GlobScanMaxDepth int `json:"glob_scan_max_depth,omitempty"`
	// Protect keeps .git (and a linked worktree's gitdir), .agents and
	// .codex read-only under each workspace root.
	Protect *Protect `json:"protect,omitempty"`
}

// Protect is the template of the implicit metadata protection.
type Protect struct {
	Names  []string  `json:"names"`
	Origin ir.Origin `json:"origin"`
}

// Template is one filesystem entry whose concrete paths are found at load.
//
// Base and Path mean what they mean in [ir.FSRule]; Pattern is the glob
// part of a deny glob below the literal Path. Do says, for a reviewer, what
// the loader will do with whatever it finds there.
type Template struct {
	Base    string `json:"base"`
	Path    string `json:"path,omitempty"`
	Pattern string `json:"pattern,omitempty"`
	Access  string `json:"access"`
	Kind    string `json:"kind"`
	Literal bool   `json:"literal,omitempty"`
	// Subtree marks a grant written as "dir/**": Linux grants the
	// directory with its contents, ranked one component below it.
	Subtree bool      `json:"subtree,omitempty"`
	Do      string    `json:"do"`
	Origin  ir.Origin `json:"origin"`
}

// Template kinds.
const (
	KindRule     = "rule"     // a rule of the profile
	KindMinimal  = "minimal"  // an entry of ir.Minimal(ir.Linux) under :minimal
	KindImplicit = "implicit" // a grant every sandbox gets
)

// What the loader does with a template, as written in Template.Do.
const (
	DoBindRO   = "bind read-only if found; skip if missing"
	DoBindRW   = "bind read-write if found; skip if missing"
	DoMask     = "mask if found; placeholder if it could be created; refuse across writable symlinks"
	DoMaskGlob = "expand at load; mask each match, directories whole"
	DoFresh    = "provided by the fresh /dev or /proc"
	DoBase     = "decides the base mount"
)

var baseByName = map[string]ir.BaseKind{}

func init() {
	for b := ir.BaseAbs; b <= ir.BaseSlashTmp; b++ {
		baseByName[b.String()] = b
	}
}

// Compile turns a policy into a mount plan. It never looks at the host.
func Compile(p *ir.Policy) (*Plan, diag.List) {
	plan := &Plan{Format: Format, Profile: p.Name, Base: "empty", BaseOrigin: p.Origin}
	if p.Unrestricted {
		plan.Unrestricted = true
		return plan, nil
	}
	var diags diag.List
	c := compiler{p: p, plan: plan, diags: &diags}
	for i := range p.FS.Rules {
		c.rule(&p.FS.Rules[i])
	}
	c.minimal()
	plan.WorkspaceRoots = append(plan.WorkspaceRoots, p.FS.WorkspaceRoots...)
	plan.GlobScanMaxDepth = p.FS.GlobScanMaxDepth
	if p.FS.ProtectMetadata {
		plan.Protect = &Protect{Names: append([]string(nil), ir.ProtectedNames...),
			Origin: p.FS.ProtectOrigin}
	}
	sortTemplates(plan.Templates)
	return plan, diags
}

type compiler struct {
	p        *ir.Policy
	plan     *Plan
	diags    *diag.List
	rootRank int
}

// rule adds the templates of one rule of the profile.
func (c *compiler) rule(r *ir.FSRule) {
	switch {
	case r.Base == ir.BaseAbs && !ir.IsPosixAbs(r.Path):
		// Another OS's path: the passes warn; nothing to mount here.
		return
	case r.Base == ir.BaseRoot:
		c.root(r)
		return
	case r.Base == ir.BaseAbs && path.Clean(r.Path) == "/" && !r.Glob:
		c.root(r)
	case r.Base == ir.BaseMinimal:
		c.minimalRule(r)
		return
	case r.Glob:
		c.glob(r)
		return
	}
	c.add(Template{Base: r.Base.String(), Path: r.Path, Access: r.Access.String(),
		Kind: KindRule, Do: doFor(r.Access), Origin: r.Origin})
}

// root records a rule for "/" (:root, or "/" written out); the strongest
// decides the base mount, deny beating write beating read.
func (c *compiler) root(r *ir.FSRule) {
	if r.Base == ir.BaseAbs {
		c.add(Template{Base: r.Base.String(), Path: "/", Access: r.Access.String(), Kind: KindRule,
			Do: DoBase, Origin: r.Origin})
	}
	if r.Access.Rank() < c.rootRank {
		return
	}
	c.rootRank = r.Access.Rank()
	switch r.Access {
	case ir.Read:
		c.plan.Base = "ro-bind"
	case ir.Write:
		c.plan.Base = "bind"
	default:
		c.plan.Base = "empty"
	}
	c.plan.BaseOrigin = r.Origin
	if r.Base == ir.BaseRoot {
		c.add(Template{Base: r.Base.String(), Access: r.Access.String(), Kind: KindRule,
			Do: DoBase, Origin: r.Origin})
	}
}

// minimalRule expands a deny of :minimal into a deny of each entry; a grant
// is expanded once by minimal, since its access comes from the table.
func (c *compiler) minimalRule(r *ir.FSRule) {
	if r.Access != ir.Deny {
		return
	}
	for _, m := range ir.Minimal(ir.Linux) {
		if m.Implicit {
			continue
		}
		c.add(Template{Base: ir.BaseAbs.String(), Path: m.Path, Access: r.Access.String(),
			Kind: KindRule, Do: DoMask, Origin: r.Origin})
	}
}

// glob adds a deny glob, or a grant ending in "/**", which Linux can only
// enforce on the whole directory.
func (c *compiler) glob(r *ir.FSRule) {
	lit, pat := splitGlob(r.Path)
	if r.Access == ir.Deny {
		c.add(Template{Base: r.Base.String(), Path: lit, Pattern: pat, Access: r.Access.String(),
			Kind: KindRule, Do: DoMaskGlob, Origin: r.Origin})
		return
	}
	if pat != "**" {
		why := ir.Lookup(ir.Linux, ir.ModeDefault, ir.FeatAccessGlob).Why
		d := c.diags.Errorf(r.Origin.Pos, diag.Unenforceable, "%s", why)
		d.Target = string(ir.Linux)
		return
	}
	c.add(Template{Base: r.Base.String(), Path: lit, Access: r.Access.String(),
		Kind: KindRule, Subtree: true, Do: doFor(r.Access), Origin: r.Origin})
}

// minimal adds the Linux :minimal entries when the profile grants
// :minimal, and the implicit grants of every sandbox.
func (c *compiler) minimal() {
	var origin ir.Origin
	granted := false
	for _, r := range c.p.FS.Rules {
		if r.Base == ir.BaseMinimal && r.Access != ir.Deny {
			granted, origin = true, r.Origin
		}
	}
	for _, m := range ir.Minimal(ir.Linux) {
		switch {
		case m.Implicit:
			c.add(Template{Base: ir.BaseAbs.String(), Path: m.Path, Access: m.Access.String(),
				Kind: KindImplicit, Literal: m.Literal, Do: DoFresh,
				Origin: ir.Origin{Profile: ":minimal"}})
		case granted:
			c.add(Template{Base: ir.BaseAbs.String(), Path: m.Path, Access: m.Access.String(),
				Kind: KindMinimal, Literal: m.Literal, Do: doFor(m.Access), Origin: origin})
		}
	}
}

func (c *compiler) add(t Template) { c.plan.Templates = append(c.plan.Templates, t) }

func doFor(a ir.Access) string {
	switch a {
	case ir.Read:
		return DoBindRO
	case ir.Write:
		return DoBindRW
	}
	return DoMask
}

// splitGlob splits a glob path into its literal leading components and
// the pattern below them. An absolute path keeps its leading slash.
func splitGlob(p string) (lit, pat string) {
	abs := strings.HasPrefix(p, "/")
	comps := strings.Split(strings.Trim(p, "/"), "/")
	i := 0
	for i < len(comps) && !ir.HasGlobMeta(comps[i]) {
		i++
	}
	lit = strings.Join(comps[:i], "/")
	if abs {
		lit = "/" + lit
	}
	return lit, strings.Join(comps[i:], "/")
}

var kindOrder = map[string]int{KindRule: 0, KindMinimal: 1, KindImplicit: 2}

// sortTemplates orders templates canonically so that the plan is the same
// whatever order the layers were merged in.
func sortTemplates(ts []Template) {
	sort.SliceStable(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		if a.Kind != b.Kind {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		if a.Base != b.Base {
			return baseByName[a.Base] < baseByName[b.Base]
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Pattern != b.Pattern {
			return a.Pattern < b.Pattern
		}
		return a.Access < b.Access
	})
}
