package bwrap

import (
	"sort"
	"strconv"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Op is one bubblewrap operation of a resolved plan.
type Op struct {
	Op     string    `json:"op"`
	Src    string    `json:"src,omitempty"`
	Dest   string    `json:"dest"`
	Perms  string    `json:"perms,omitempty"`
	Why    string    `json:"why"`
	Origin ir.Origin `json:"origin"`
	// ident is the source's identity at load, checked again at launch.
	ident ident
}

// Operations.
const (
	OpROBind   = "ro-bind"    // --ro-bind SRC DEST
	OpBind     = "bind"       // --bind SRC DEST
	OpDevBind  = "dev-bind"   // --dev-bind SRC DEST
	OpTmpfs    = "tmpfs"      // --perms PERMS --tmpfs DEST
	OpDir      = "dir"        // --perms PERMS --dir DEST
	OpSymlink  = "symlink"    // --symlink SRC DEST
	OpRemount  = "remount-ro" // --remount-ro DEST
	OpChmod    = "chmod"      // --chmod PERMS DEST
	OpDev      = "dev"        // --dev DEST
	OpProc     = "proc"       // --proc DEST
	permsMask  = "0000"
	permsTrav  = "0111"
	whyMask    = "deny"
	whyGlob    = "deny-glob"
	whyRuntime = "runtime-mask"
	whyInter   = "intermediate"
	whyLink    = "symlink"
	whyRoot    = "read-only empty root"
	whyFresh   = "fresh"
	whyBase    = "base"
	whyHold    = "placeholder"
	whyDevBind = "device"
	whyPin     = "pin-parent"
)

// isMount reports whether the operation creates a mount.
func (o Op) isMount() bool {
	switch o.Op {
	case OpROBind, OpBind, OpDevBind, OpTmpfs, OpDev, OpProc:
		return true
	}
	return false
}

// isMask reports whether a bind covers a path with the mask file.
func (o Op) isMask() bool {
	return (o.Op == OpROBind) && (o.Why == whyMask || o.Why == whyGlob || o.Why == whyRuntime)
}

// view is what a mount shows below its mount point.
type view uint8

const (
	viewHostRO   view = iota // the host's tree, read-only
	viewHostRW               // the host's tree, writable
	viewEmpty                // a tmpfs: only what the plan puts there
	viewDev                  // the fresh /dev
	viewProc                 // the fresh /proc
	viewFileMask             // an empty mode-0000 file
)

type builder struct {
	r            *resolver
	views        map[string]view
	ops          []Op // ordered by depth at the end
	masks        map[string]int
	synth        map[string]bool
	holds        map[string]bool
	placeholders []Placeholder
	mounts       int
	globMounts   map[int]int
	fileMasks    bool
}

func newBuilder(r *resolver) *builder {
	return &builder{r: r, views: map[string]view{}, masks: map[string]int{},
		synth: map[string]bool{}, holds: map[string]bool{}, globMounts: map[int]int{}}
}

func (bl *builder) run() {
	bl.base()
	globbed := map[string]*globPoint{}
	for i := range bl.r.matches {
		g := &bl.r.matches[i]
		if _, dup := globbed[g.path]; !dup {
			globbed[g.path] = g
		}
	}
	for _, p := range bl.points(globbed) {
		if bl.underGlob(p, globbed) {
			continue
		}
		if g, ok := globbed[p]; ok {
			bl.globMask(g)
			continue
		}
		bl.point(p)
	}
	bl.links()
	bl.finish()
}

// base mounts the root as the entries at "/" decide, then a fresh /dev
// and /proc.
func (bl *builder) base() {
	acc, e := bl.r.decide("/", true)
	o := bl.r.plan.BaseOrigin
	if e != nil {
		o = e.origin
	}
	switch acc {
	case ir.Read:
		bl.views["/"] = viewHostRO
		bl.emit(Op{Op: OpROBind, Src: "/", Dest: "/", Why: whyBase, Origin: o})
	case ir.Write:
		bl.views["/"] = viewHostRW
		bl.emit(Op{Op: OpBind, Src: "/", Dest: "/", Why: whyBase, Origin: o})
	default:
		bl.views["/"] = viewEmpty
	}
	fresh := ir.Origin{Profile: ":minimal"}
	bl.views["/dev"], bl.views["/proc"] = viewDev, viewProc
	bl.emit(Op{Op: OpDev, Dest: "/dev", Why: whyFresh, Origin: fresh})
	bl.emit(Op{Op: OpProc, Dest: "/proc", Why: whyFresh, Origin: fresh})
}

// points returns every path that may need an operation, parents first.
func (bl *builder) points(globbed map[string]*globPoint) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range bl.r.entries {
		if !e.refused && !seen[e.path] {
			seen[e.path] = true
			out = append(out, e.path)
		}
	}
	for p := range globbed {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sortByDepth(out)
	return out
}

func sortByDepth(ps []string) {
	sort.Slice(ps, func(i, j int) bool {
		if di, dj := depth(ps[i]), depth(ps[j]); di != dj {
			return di < dj
		}
		return ps[i] < ps[j]
	})
}

// underGlob reports whether p lies strictly below a glob-masked path:
// deny globs always win, so nothing below them is reopened.
func (bl *builder) underGlob(p string, globbed map[string]*globPoint) bool {
	for q := p; q != "/"; {
		q = parentOf(q)
		if _, ok := globbed[q]; ok {
			return true
		}
	}
	return false
}

// context returns the nearest mount point strictly above p and its view.
func (bl *builder) context(p string) (string, view) {
	for q := p; q != "/"; {
		q = parentOf(q)
		if v, ok := bl.views[q]; ok {
			return q, v
		}
	}
	return "/", bl.views["/"]
}

// point emits what the entries at p need: the deciding entry gives the
// access and origin, the disk the type.
func (bl *builder) point(p string) {
	acc, e := bl.r.decide(p, true)
	if e == nil || p == "/" || p == "/dev" || p == "/proc" {
		return
	}
	node := bl.r.nodeAt(p)
	_, ctx := bl.context(p)
	switch {
	case e.kind == KindImplicit:
		return
	case ctx == viewDev:
		bl.devPoint(p, acc, e, node)
		return
	case ctx == viewProc:
		bl.procPoint(p, acc, e, node)
		return
	case ctx == viewFileMask:
		return
	}
	if node.Type == typeMissing {
		bl.missing(p, acc, e, ctx)
		return
	}
	bl.existing(p, acc, e, ctx, node)
}

// existing emits the operation for a path found on the disk.
func (bl *builder) existing(p string, acc ir.Access, e *entry, ctx view, node resolution) {
	switch acc {
	case ir.Read:
		if ctx != viewHostRO {
			bl.bind(p, OpROBind, viewHostRO, e, node)
		}
	case ir.Write:
		if ctx != viewHostRW {
			bl.bind(p, OpBind, viewHostRW, e, node)
		}
	case ir.Deny:
		if ctx == viewHostRO || ctx == viewHostRW {
			bl.mask(p, node.Type, whyMask, e.origin)
		}
	}
}

// missing handles a path that does not exist. Only where the sandbox
// could create it does a placeholder hold a mask or a read-only bind.
func (bl *builder) missing(p string, acc ir.Access, e *entry, ctx view) {
	if ctx != viewHostRW || acc == ir.Write || e.kind == KindMinimal {
		// :minimal names only what exists.
		return
	}
	if !bl.hold(p, e.origin) {
		return
	}
	if acc == ir.Deny {
		bl.mask(p, typeDir, whyMask, e.origin)
		return
	}
	bl.views[p] = viewHostRO
	bl.emit(Op{Op: OpROBind, Src: p, Dest: p, Why: whyHold, Origin: e.origin})
}

// hold records placeholders for p and its missing parents. It fails when
// an existing ancestor is not a directory.
func (bl *builder) hold(p string, o ir.Origin) bool {
	var chain []string
	for q := p; ; q = parentOf(q) {
		if bl.holds[q] {
			break
		}
		fi, err := bl.r.fs.Lstat(q)
		if err == nil {
			if !fi.IsDir() {
				return false
			}
			break
		}
		chain = append(chain, q)
		if q == "/" {
			return false
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		bl.holds[chain[i]] = true
		bl.placeholders = append(bl.placeholders, Placeholder{Path: chain[i], Origin: o})
	}
	for i := range bl.placeholders {
		if bl.placeholders[i].Path == p {
			bl.placeholders[i].Mounted = true
		}
	}
	return true
}

func (bl *builder) bind(p, op string, v view, e *entry, node resolution) {
	bl.views[p] = v
	bl.emit(Op{Op: op, Src: p, Dest: p, Why: e.access.String(), Origin: e.origin, ident: node.Ident})
}

// mask hides p: a directory behind a tmpfs, anything else behind the
// shared mode-0000 file.
func (bl *builder) mask(p string, t nodeType, why string, o ir.Origin) {
	if t == typeDir {
		bl.views[p] = viewEmpty
		bl.masks[p] = len(bl.ops)
		bl.emit(Op{Op: OpTmpfs, Dest: p, Perms: permsMask, Why: why, Origin: o})
		return
	}
	bl.views[p] = viewFileMask
	bl.fileMasks = true
	bl.emit(Op{Op: OpROBind, Src: bl.r.opts.MaskFile, Dest: p, Why: why, Origin: o})
}

func (bl *builder) globMask(g *globPoint) {
	_, ctx := bl.context(g.path)
	if ctx != viewHostRO && ctx != viewHostRW && ctx != viewDev {
		return
	}
	before, why := bl.mounts, whyGlob
	if g.scan < 0 {
		why = whyRuntime
	}
	bl.mask(g.path, g.typ, why, g.origin)
	if g.scan >= 0 {
		bl.globMounts[g.scan] += bl.mounts - before
	}
}

// devPoint binds devices a rule grants and masks those it denies.
func (bl *builder) devPoint(p string, acc ir.Access, e *entry, node resolution) {
	if node.Type == typeMissing {
		return
	}
	if acc == ir.Deny {
		bl.mask(p, node.Type, whyMask, e.origin)
		return
	}
	bl.views[p] = viewHostRW
	bl.emit(Op{Op: OpDevBind, Src: p, Dest: p, Why: whyDevBind, Origin: e.origin, ident: node.Ident})
}

// procPoint masks denied entries of the fresh /proc that are not a
// process's own; what a process's directory holds is left to Landlock.
func (bl *builder) procPoint(p string, acc ir.Access, e *entry, node resolution) {
	if acc != ir.Deny {
		return
	}
	first := splitComps(p)[1]
	if _, err := strconv.Atoi(first); err == nil || first == "self" || first == "thread-self" ||
		node.Type == typeMissing {
		bl.r.diags.Warnf(e.origin.Pos, diag.Load,
			"deny of %s is not enforced by the mount plan: /proc is the sandbox's own", e.lex)
		return
	}
	bl.mask(p, node.Type, whyMask, e.origin)
}

// links recreates, inside empty views, the read-only symlinks that granted
// paths go through (/bin -> usr/bin in a restricted root).
func (bl *builder) links() {
	done := map[string]bool{}
	for _, e := range bl.r.entries {
		if e.refused || e.access == ir.Deny || e.kind == KindImplicit {
			continue
		}
		for _, h := range e.res.Hops {
			if done[h.Link] || e.pin != nil && h.Link == e.pin.Link {
				continue
			}
			done[h.Link] = true
			if _, v := bl.context(h.Link); v == viewEmpty {
				bl.synth[h.Link] = true
				bl.emit(Op{Op: OpSymlink, Src: h.Content, Dest: h.Link, Why: whyLink, Origin: e.origin})
			}
		}
	}
}

func (bl *builder) emit(o Op) {
	if o.isMount() {
		bl.mounts++
	}
	bl.ops = append(bl.ops, o)
}

// finish adds the directories bubblewrap must create inside empty views,
// sets the masks' modes, orders everything by depth and appends the
// read-only remounts.
func (bl *builder) finish() {
	bl.pinParents()
	bl.intermediates()
	bl.maskModes()
	head, rest := bl.ops[:0:0], []Op{}
	for _, o := range bl.ops {
		if o.Why == whyBase || o.Why == whyFresh {
			head = append(head, o)
		} else {
			rest = append(rest, o)
		}
	}
	sort.SliceStable(rest, func(i, j int) bool {
		if di, dj := depth(rest[i].Dest), depth(rest[j].Dest); di != dj {
			return di < dj
		}
		return rest[i].Dest < rest[j].Dest
	})
	bl.ops = append(head, rest...)
	bl.remounts()
}

// pinParents binds onto itself, read-write, every directory between a
// writable mount and a read-only or denied path below it. Otherwise the
// sandbox could rename such a directory, carrying the mount away with it,
// and recreate the protected path with content of its own: a mount point
// cannot be renamed (EBUSY), a plain directory can. Deny-glob matches are
// not pinned: their files stay masked wherever they are moved.
func (bl *builder) pinParents() {
	for _, o := range append([]Op(nil), bl.ops...) {
		if o.restrictive() {
			bl.pinAbove(o.Dest, o.Origin)
		}
	}
	for _, e := range bl.r.entries {
		if e.pin != nil {
			bl.pinAbove(e.pin.Link, e.origin)
		}
	}
}

// pinAbove pins the directories between p and the writable mount above.
func (bl *builder) pinAbove(p string, o ir.Origin) {
	cp, v := bl.context(p)
	if v != viewHostRW {
		return
	}
	for a := parentOf(p); a != cp && within(a, cp); a = parentOf(a) {
		bl.views[a] = viewHostRW
		bl.emit(Op{Op: OpBind, Src: a, Dest: a, Why: whyPin, Origin: o, ident: bl.identAt(a)})
	}
}

// restrictive reports whether the operation narrows what its context
// allows: a read-only bind or a mask of a rule, or a placeholder's.
func (o Op) restrictive() bool {
	switch {
	case o.Op == OpTmpfs && o.Why == whyMask, o.Op == OpROBind && o.Why == whyMask:
		return true
	case o.Op == OpROBind && (o.Why == ir.Read.String() || o.Why == whyHold):
		return true
	}
	return false
}

func (bl *builder) identAt(p string) ident {
	if fi, err := bl.r.fs.Lstat(p); err == nil {
		return identOf(fi)
	}
	return ident{}
}

// intermediates creates, with mode 0111, the directories between an empty
// view and an operation below it, so the sandbox can traverse them but
// not list them.
func (bl *builder) intermediates() {
	for _, o := range append([]Op(nil), bl.ops...) {
		if o.Why == whyBase || o.Why == whyFresh {
			continue
		}
		cp, v := bl.context(o.Dest)
		if v != viewEmpty && v != viewDev {
			continue
		}
		for q := parentOf(o.Dest); within(q, cp) && q != cp; q = parentOf(q) {
			if _, mounted := bl.views[q]; mounted || bl.synth[q] {
				continue
			}
			bl.synth[q] = true
			bl.emit(Op{Op: OpDir, Dest: q, Perms: permsTrav, Why: whyInter, Origin: o.Origin})
		}
	}
}

// maskModes opens a mask for traversal when something lies below it.
// The destinations are sorted once, so that what lies below a mask is
// found by a search: a plan of thousands of masks stays fast.
func (bl *builder) maskModes() {
	dests := make([]string, 0, len(bl.ops))
	for _, o := range bl.ops {
		dests = append(dests, o.Dest)
	}
	sort.Strings(dests)
	for p, i := range bl.masks {
		prefix := p + "/"
		if p == "/" {
			prefix = "/"
		}
		j := sort.SearchStrings(dests, prefix)
		for ; j < len(dests) && strings.HasPrefix(dests[j], prefix); j++ {
			if dests[j] != p {
				bl.ops[i].Perms = permsTrav
				break
			}
		}
	}
}

// remounts makes every mask tmpfs, then an empty root, read-only: after
// everything below them is in place, deepest first.
func (bl *builder) remounts() {
	var ps []string
	for p := range bl.masks {
		ps = append(ps, p)
	}
	sortByDepth(ps)
	tmpfs := map[string]int{} // each destination's first tmpfs
	for i, o := range bl.ops {
		if _, seen := tmpfs[o.Dest]; !seen && o.Op == OpTmpfs {
			tmpfs[o.Dest] = i
		}
	}
	for i := len(ps) - 1; i >= 0; i-- {
		bl.ops = append(bl.ops, Op{Op: OpRemount, Dest: ps[i], Why: whyMask,
			Origin: bl.ops[tmpfs[ps[i]]].Origin})
	}
	if bl.views["/"] == viewEmpty {
		o := bl.r.plan.BaseOrigin
		bl.ops = append(bl.ops, Op{Op: OpChmod, Dest: "/", Perms: permsTrav, Why: whyRoot, Origin: o},
			Op{Op: OpRemount, Dest: "/", Why: whyRoot, Origin: o})
	}
}
