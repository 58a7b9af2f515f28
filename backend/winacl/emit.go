package winacl

import (
	"fmt"
	"strings"

	"github.com/permc/permc/ir"
)

// childProbe is a name no file can have ('<' and '>' are reserved on
// Windows): deciding a path below a folder with it gives the access its
// descendants that no entry names inherit.
const childProbe = "<child>"

// decision is what Decide says of a path and of its unnamed children.
type decision struct {
	self, child ir.Decision
}

func (r *resolver) decide(comps []string) decision {
	p := ir.JoinPath(ir.Windows, comps)
	return decision{
		self:  r.dec.Decide(p),
		child: r.dec.Decide(p + `\` + childProbe),
	}
}

// baseAt is the access the token gives at comps without any entry of
// ours: nothing in an AppContainer except below the roots that admit all
// application packages; reads elsewhere.
func (r *resolver) baseAt(comps []string) ir.Access {
	if r.mm.Model != ModelAppContainer {
		return ir.Read
	}
	for _, b := range r.apps {
		if hasPrefix(b.comps, comps) {
			return ir.Read
		}
	}
	return ir.Deny
}

func hasPrefix(pre, p []string) bool {
	if len(pre) > len(p) {
		return false
	}
	for i := range pre {
		if !strings.EqualFold(pre[i], p[i]) {
			return false
		}
	}
	return true
}

// perm orders accesses by how much they allow.
func perm(a ir.Access) int {
	switch a {
	case ir.Write:
		return 2
	case ir.Read:
		return 1
	}
	return 0
}

func (r *resolver) emitAll(cands []*cand) error {
	for _, c := range cands {
		if !c.exists && !r.placeholder(c) {
			continue
		}
		if err := r.emit(c, r.decide(c.comps)); err != nil {
			return err
		}
	}
	return nil
}

// emittedAbove reports whether entries were placed on a proper ancestor
// of comps, whose inheritance must then be overridden here.
func (r *resolver) emittedAbove(comps []string) bool {
	for _, c := range r.cands {
		if c.emitted && len(c.comps) < len(comps) && hasPrefix(c.comps, comps) {
			return true
		}
	}
	return false
}

// emit places the entries of c, unless the token already gives the
// decided access there and nothing above was changed.
func (r *resolver) emit(c *cand, d decision) error {
	path := ir.JoinPath(ir.Windows, c.comps)
	base := r.baseAt(c.comps)
	sa, ca := d.self.Access(), d.child.Access()
	if !c.anchor && sa == base && (ca == base || !c.dir) && !r.emittedAbove(c.comps) {
		return nil
	}
	if strings.HasPrefix(c.comps[0], `\\`) {
		return r.remote(c, path, d, base)
	}
	if len(c.comps) == 1 {
		return &LoadError{Origin: r.origin(d.self), Path: path,
			Msg: "an entry on a volume root would be copied to every file of the volume"}
	}
	n := Node{Path: path, Dir: c.dir, Origin: r.origin(d.self), Why: c.why}
	n.ACEs, n.Label = r.entries(c.dir, d)
	r.out.Nodes = append(r.out.Nodes, n)
	c.emitted = true
	return nil
}

// remote handles a path on a network share: permc never changes a
// server's ACLs. A grant is left out (the sandbox gets less, as the
// server decides); anything narrower than the token's base is refused.
func (r *resolver) remote(c *cand, path string, d decision, base ir.Access) error {
	if perm(d.self.Access()) < perm(base) || perm(d.child.Access()) < perm(base) {
		return &LoadError{Origin: r.origin(d.self), Path: path,
			Msg: "cannot narrow access on a network share: permc never changes a server's acls"}
	}
	r.out.Notes = append(r.out.Notes, fmt.Sprintf("%s: %s: no entry placed on a network share; "+
		"the server's acls decide", r.origin(d.self).Pos, path))
	return nil
}

// origin is the origin of the entry that decided d; a :minimal table
// entry is traced to the profile's :minimal rule.
func (r *resolver) origin(d ir.Decision) ir.Origin {
	if d.By == nil {
		return ir.Origin{}
	}
	if d.By.Kind == ir.MatchMinimal {
		if m, ok := findBase(r.pol.FS.Rules, ir.BaseMinimal); ok {
			return m.Origin
		}
	}
	return d.By.Origin
}

// entries returns the entries and label of a path: one tree-inherited
// set when the path and its children get one access; otherwise a set
// for the object alone and an inherit-only set for what lies below.
func (r *resolver) entries(dir bool, d decision) ([]ACE, *Label) {
	self := r.templates(d.self)
	if !dir {
		return bindAll(self, 0), r.label(d.self.Access(), 0)
	}
	if d.self.Access() == d.child.Access() {
		return bindAll(self, InheritTree), r.label(d.self.Access(), InheritTree)
	}
	aces := append(bindAll(self, 0), bindAll(r.templates(d.child), InheritTree|InheritOnly)...)
	switch {
	case d.self.Access() == ir.Write && d.child.Access() != ir.Write:
		return aces, r.label(ir.Write, 0)
	case d.child.Access() == ir.Write:
		return aces, r.label(ir.Write, InheritTree|InheritOnly)
	}
	return aces, nil
}

func bindAll(ts []ACETemplate, f ACEFlags) []ACE {
	out := make([]ACE, len(ts))
	for i, t := range ts {
		out[i] = t.Bind(f)
	}
	return out
}

func (r *resolver) label(a ir.Access, f ACEFlags) *Label {
	l := labelFor(r.mm.Model, a)
	if l == nil {
		return nil
	}
	l.Flags = f
	return l
}

// templates returns the manifest's entries for the match that decided
// d, or the model's set for its access when no entry matched.
func (r *resolver) templates(d ir.Decision) []ACETemplate {
	if e := r.aclEntry(d); e != nil {
		return e.ACEs
	}
	return aceSet(r.mm.Model, d.Access())
}

func (r *resolver) aclEntry(d ir.Decision) *ACLEntry {
	if d.By == nil {
		return nil
	}
	src, idx := r.source(d.By)
	for i := range r.mm.ACL {
		e := &r.mm.ACL[i]
		if e.Source == src && (idx < 0 || e.Index == idx) && e.Access == d.Access().String() {
			return e
		}
	}
	return nil
}

// source names the manifest entry of a match: a rule, a tool folder, a
// :minimal root or a protection (idx -1: any index).
func (r *resolver) source(m *ir.Match) (string, int) {
	switch m.Kind {
	case ir.MatchRule, ir.MatchDenyGlob:
		for i := range r.pol.FS.Rules {
			if &r.pol.FS.Rules[i] != m.Rule {
				continue
			}
			if i < len(r.m.Rules) {
				return "rule", i
			}
			return "tool", i - len(r.m.Rules)
		}
	case ir.MatchMinimal:
		return "minimal", -1
	case ir.MatchProtected:
		return "protect", -1
	}
	return "", -1
}

// placeholder decides whether a missing path c needs a placeholder
// folder: the profile keeps it read-only or denied, and the sandbox could
// create it (some folder between the nearest existing one and c is
// writable). It records the folders to create and marks c as existing.
func (r *resolver) placeholder(c *cand) bool {
	if r.decide(c.comps).self.Access() == ir.Write {
		return false
	}
	i := len(c.comps) - 1
	for i > 0 && !r.exists(c.comps[:i]) {
		i--
	}
	if i == 0 || !r.creatable(c.comps, i) {
		return false
	}
	o := r.origin(r.decide(c.comps).self)
	for j := i + 1; j <= len(c.comps); j++ {
		r.mkdir(c.comps[:j], o)
	}
	c.exists, c.dir = true, true
	return true
}

func (r *resolver) exists(comps []string) bool {
	_, ok := r.fs.Stat(ir.JoinPath(ir.Windows, comps))
	return ok
}

// creatable reports whether the sandbox may write some folder from the
// existing ancestor comps[:from] down to the parent of comps.
func (r *resolver) creatable(comps []string, from int) bool {
	for j := from; j < len(comps); j++ {
		if r.dec.Decide(ir.JoinPath(ir.Windows, comps[:j])).Write {
			return true
		}
	}
	return false
}

func (r *resolver) mkdir(comps []string, o ir.Origin) {
	p := ir.JoinPath(ir.Windows, comps)
	for _, m := range r.out.Mkdirs {
		if strings.EqualFold(m.Path, p) {
			return
		}
	}
	r.out.Mkdirs = append(r.out.Mkdirs, Mkdir{Path: p, Origin: o})
}

// reassertDenies walks below every folder whose descendants are denied
// and places the deny again on each path whose own entries would win
// over the inherited deny: one whose inheritance is cut, or one with
// explicit allow entries (explicit entries come before inherited ones).
func (r *resolver) reassertDenies() error {
	for _, c := range r.sorted() {
		if !c.emitted || !c.dir || r.decide(c.comps).child.Access() != ir.Deny {
			continue
		}
		w := reasserter{r: r, origin: r.origin(r.decide(c.comps).child)}
		if err := w.walk(c.comps); err != nil {
			return err
		}
	}
	return nil
}

type reasserter struct {
	r      *resolver
	origin ir.Origin
	seen   int
}

func (w *reasserter) walk(dir []string) error {
	path := ir.JoinPath(ir.Windows, dir)
	names, err := w.r.fs.ReadDir(path)
	if err != nil {
		return &LoadError{Origin: w.origin, Path: path, Msg: "cannot list folder: " + err.Error()}
	}
	for _, n := range names {
		if w.seen++; w.seen > MaxWalk {
			return &LoadError{Origin: w.origin, Path: path,
				Msg: fmt.Sprintf("a deny here covers more than %d entries; deny narrower paths", MaxWalk)}
		}
		if err := w.visit(append(append([]string(nil), dir...), n)); err != nil {
			return err
		}
	}
	return nil
}

func (w *reasserter) visit(comps []string) error {
	if _, ok := w.r.cands[fold(ir.JoinPath(ir.Windows, comps))]; ok {
		return nil // it has entries of its own, and its own walk
	}
	fi, _ := w.r.fs.Stat(ir.JoinPath(ir.Windows, comps))
	if fi.Protected || fi.ExplicitAllow {
		c := w.r.add(comps, "reassert")
		if err := w.r.emit(c, w.r.decide(comps)); err != nil {
			return err
		}
	}
	if !fi.Dir {
		return nil
	}
	return w.walk(comps)
}
