package winacl

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// lookup reads ir's capability table for Windows.
func lookup(m ir.Mode, f ir.Feature) ir.Capability { return ir.Lookup(ir.Windows, m, f) }

// found is one use of a feature.
type found struct {
	feat   ir.Feature
	origin ir.Origin
	ofRule bool
}

// detection holds the features p uses on Windows in model-independent
// terms, so that the modes of one policy share them.
type detection struct {
	rules  []ir.FSRule // applicable(p)
	common []found
}

func newDetection(p *ir.Policy) *detection {
	rules := applicable(p)
	out := detectRead(p, rules)
	idx := newContainIndex(rules)
	for i := range rules {
		out = append(out, detectRule(p, idx, i)...)
	}
	out = append(out, detectNet(p)...)
	return &detection{rules: rules, common: out}
}

// detect finds every feature p uses on Windows: the model-independent
// ones, plus the model-dependent local ones.
func (d *detection) detect(p *ir.Policy, model Model) []found {
	out := append([]found(nil), d.common...)
	return append(out, detectLocal(p, d.rules, model)...)
}

// applicable returns the rules that mean something on Windows.
func applicable(p *ir.Policy) []ir.FSRule {
	var out []ir.FSRule
	for _, r := range p.FS.Rules {
		if _, ok := Template(r); ok {
			out = append(out, r)
		}
	}
	return out
}

func detectRead(p *ir.Policy, rules []ir.FSRule) []found {
	if !readRestricted(p) {
		return nil
	}
	if r, ok := findBase(rules, ir.BaseRoot); ok {
		return []found{{ir.FeatRootDeny, r.Origin, true}, {ir.FeatReadRestricted, r.Origin, true}}
	}
	return []found{{ir.FeatReadRestricted, p.Origin, false}}
}

func findBase(rules []ir.FSRule, b ir.BaseKind) (ir.FSRule, bool) {
	for _, r := range rules {
		if r.Base == b {
			return r, true
		}
	}
	return ir.FSRule{}, false
}

func detectRule(p *ir.Policy, idx *containIndex, i int) []found {
	r := idx.rules[i]
	at := func(f ir.Feature) found { return found{f, r.Origin, true} }
	var out []found
	switch {
	case r.Glob && r.Access == ir.Deny:
		out = append(out, at(ir.FeatDenyGlob))
		if strings.Contains(r.Path, "**") && p.FS.GlobScanMaxDepth == 0 {
			out = append(out, at(ir.FeatUnboundedGlob))
		}
	case r.Glob && !trailingDoubleStar(r.Path):
		out = append(out, at(ir.FeatAccessGlob))
	case r.Access == ir.Deny && r.Base != ir.BaseRoot && idx.insideAny(i, grants):
		out = append(out, at(ir.FeatDenyCarveout))
	}
	if r.Access != ir.Deny && idx.insideAny(i, denies) {
		out = append(out, at(ir.FeatReopenUnderDeny))
	}
	if r.Access == ir.Read && idx.insideAny(i, writes) {
		out = append(out, at(ir.FeatReadInWrite))
	}
	return out
}

func grants(a ir.Access) bool { return a != ir.Deny }
func denies(a ir.Access) bool { return a == ir.Deny }
func writes(a ir.Access) bool { return a == ir.Write }

// trailingDoubleStar reports whether the only glob of path is a final
// "**" component, which Windows grants as inheritance below a folder.
func trailingDoubleStar(path string) bool {
	rest, ok := strings.CutSuffix(strings.ReplaceAll(path, `\`, "/"), "/**")
	return ok && !ir.HasGlobMeta(rest)
}

// containIndex answers insideAny for every rule of a policy without
// comparing each rule with all the others: the rules of the bases that
// take a subpath sit in a trie of their path components, folded so that
// components strings.EqualFold equates share a node, and a rule's
// containers are found along its own path. Every candidate is still
// checked with contains, so the trie only narrows the search.
type containIndex struct {
	rules []ir.FSRule
	keys  []string   // Key of each rule
	comps [][]string // relComps of each rule, for the subpath bases
	folds [][]string // comps through foldKey
	roots []int      // the :root rules
	tries map[ir.BaseKind]*compNode
}

// compNode is one trie node: the rules whose path ends here, and the
// longer paths by folded next component.
type compNode struct {
	here []int
	next map[string]*compNode
}

func newContainIndex(rules []ir.FSRule) *containIndex {
	x := &containIndex{rules: rules, keys: make([]string, len(rules)), comps: make([][]string, len(rules)),
		folds: make([][]string, len(rules)), tries: map[ir.BaseKind]*compNode{}}
	for i, r := range rules {
		x.keys[i] = r.Key()
		switch r.Base {
		case ir.BaseRoot:
			x.roots = append(x.roots, i)
			continue
		case ir.BaseHome, ir.BaseWorkspaceRoots, ir.BaseAbs:
		default:
			continue
		}
		x.comps[i] = relComps(r)
		x.folds[i] = make([]string, len(x.comps[i]))
		for d, c := range x.comps[i] {
			x.folds[i][d] = foldKey(c)
		}
		if r.Glob {
			continue // never a container
		}
		n := x.tries[r.Base]
		if n == nil {
			n = &compNode{}
			x.tries[r.Base] = n
		}
		for _, k := range x.folds[i] {
			child := n.next[k]
			if child == nil {
				if n.next == nil {
					n.next = map[string]*compNode{}
				}
				child = &compNode{}
				n.next[k] = child
			}
			n = child
		}
		n.here = append(n.here, i)
	}
	return x
}

// insideAny reports whether some other non-glob rule with an access that
// want accepts strictly contains rule i. Without a machine, paths of
// different bases are compared only through :root, which contains all.
func (x *containIndex) insideAny(i int, want func(ir.Access) bool) bool {
	r := x.rules[i]
	other := func(j int) bool {
		o := x.rules[j]
		return !o.Glob && want(o.Access) && x.keys[j] != x.keys[i]
	}
	for _, j := range x.roots {
		// :root contains every grant's path, but a :root deny is the
		// absence of a grant, not a carve-out a rule reopens.
		if other(j) && x.rules[j].Access != ir.Deny {
			return true
		}
	}
	n := x.tries[r.Base]
	rc := x.comps[i]
	for d := 0; n != nil && d < len(rc); d++ {
		// The rules here have d components, equal to rc's first d up to
		// case: strictly shorter than rc.
		for _, j := range n.here {
			if other(j) && x.containsComps(j, i) {
				return true
			}
		}
		n = n.next[x.folds[i][d]]
	}
	return false
}

// containsComps is contains over the precomputed components.
func (x *containIndex) containsComps(o, r int) bool {
	if x.rules[o].Base != x.rules[r].Base {
		return false
	}
	oc, rc := x.comps[o], x.comps[r]
	if len(oc) >= len(rc) {
		return false
	}
	for i := range oc {
		if !strings.EqualFold(oc[i], rc[i]) {
			return false
		}
	}
	return true
}

// foldKey maps s to a string that is equal for two strings exactly when
// strings.EqualFold says they are: each rune (invalid bytes read as
// U+FFFD, as EqualFold reads them) becomes the least rune of its
// unicode.SimpleFold orbit.
func foldKey(s string) string {
	ascii, lower := true, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		lower = lower || 'a' <= c && c <= 'z'
	}
	if ascii {
		if !lower {
			return s
		}
		// The least of an ASCII letter's orbit is its upper case (the
		// other members, such as U+212A KELVIN SIGN, are not ASCII).
		b := []byte(s)
		for i, c := range b {
			if 'a' <= c && c <= 'z' {
				b[i] = c - 'a' + 'A'
			}
		}
		return string(b)
	}
	b := make([]rune, 0, len(s))
	for _, c := range s {
		least := c
		for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b = append(b, least)
	}
	return string(b)
}

func relComps(r ir.FSRule) []string {
	if r.Base == ir.BaseAbs {
		c, _ := ir.SplitPath(ir.Windows, r.Path)
		return c
	}
	if r.Path == "" {
		return nil
	}
	return strings.Split(r.Path, "/")
}

func detectNet(p *ir.Policy) []found {
	var out []found
	n := &p.Net
	o, of := netOrigin(p)
	switch n.Mode() {
	case ir.NetProxied:
		out = append(out, found{ir.FeatNetProxied, o, of})
		if n.EnableSOCKS5 && n.EnableSOCKS5UDP {
			out = append(out, found{ir.FeatSOCKS5UDP, o, of})
		}
	case ir.NetFull:
		out = append(out, found{ir.FeatNetFull, o, of})
	case ir.NetOff:
		out = append(out, found{ir.FeatNetOff, o, of})
	}
	if n.AllowLocalBinding && n.Mode() != ir.NetOff {
		out = append(out, keyFound(p, ir.FeatLocalBinding, "allow_local_binding"))
	}
	for _, s := range n.AllowedUnixSockets() {
		out = append(out, found{ir.FeatUnixSocketAllow, s.Origin, true})
	}
	if n.DangerouslyAllowAllUnixSockets {
		out = append(out, keyFound(p, ir.FeatAllUnixSockets, "dangerously_allow_all_unix_sockets"))
	}
	return out
}

// netOrigin is where the network setting was written: enabled, then the
// domains table, then the profile.
func netOrigin(p *ir.Policy) (ir.Origin, bool) {
	for _, k := range []string{"enabled", "domains"} {
		if o, ok := p.Net.Origins[k]; ok {
			return o, true
		}
	}
	if len(p.Net.Domains) > 0 {
		return p.Net.Domains[0].Origin, true
	}
	return p.Origin, false
}

func keyFound(p *ir.Policy, f ir.Feature, key string) found {
	if o, ok := p.Net.Origins[key]; ok {
		return found{f, o, true}
	}
	o, of := netOrigin(p)
	return found{f, o, of}
}

// detectLocal finds the features of localCaps.
func detectLocal(p *ir.Policy, rules []ir.FSRule, model Model) []found {
	var out []found
	if readRestricted(p) && !readsMinimal(p) {
		out = append(out, systemReadFound(p, rules))
	}
	for _, r := range rules {
		if r.Access == ir.Deny && deniesSystem(r) {
			out = append(out, found{ir.FeatSystemDeny, r.Origin, true})
		}
		if volumeACL(r, rules, model) {
			out = append(out, found{ir.FeatVolumeACL, r.Origin, true})
		}
		if model != ModelAppContainer && r.Access == ir.Deny && isUNC(r) {
			out = append(out, found{ir.FeatRemoteDeny, r.Origin, true})
		}
	}
	return out
}

func systemReadFound(p *ir.Policy, rules []ir.FSRule) found {
	for _, b := range []ir.BaseKind{ir.BaseMinimal, ir.BaseRoot} {
		if r, ok := findBase(rules, b); ok {
			return found{ir.FeatSystemRead, r.Origin, true}
		}
	}
	return found{ir.FeatSystemRead, p.Origin, false}
}

// deniesSystem reports whether a deny rule reaches the system folders of
// :minimal, whose ACLs belong to TrustedInstaller and which every program
// loads from.
func deniesSystem(r ir.FSRule) bool {
	if r.Base == ir.BaseMinimal {
		return true
	}
	if r.Base != ir.BaseAbs {
		return false
	}
	c, ok := ir.SplitPath(ir.Windows, r.Path)
	if !ok {
		return false
	}
	for _, m := range ir.Minimal(ir.Windows) {
		name := strings.Trim(m.Path, "%")
		sys, ok := ir.SplitPath(ir.Windows, ir.WindowsDefaults[name])
		if ok && (within(sys, c) || within(c, sys)) {
			return true
		}
	}
	return false
}

// within reports whether comps a is b or below it, case-insensitively.
func within(a, b []string) bool {
	if len(a) < len(b) {
		return false
	}
	for i := range b {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

func isUNC(r ir.FSRule) bool {
	if r.Base != ir.BaseAbs {
		return false
	}
	c, ok := ir.SplitPath(ir.Windows, r.Path)
	return ok && strings.HasPrefix(c[0], `\\`)
}

// volumeACL reports whether r needs entries on a volume root: a grant on
// :root that writes, or a volume-root rule whose access differs from
// what the token gives without entries.
func volumeACL(r ir.FSRule, rules []ir.FSRule, model Model) bool {
	base := ir.Read
	if model == ModelAppContainer {
		base = ir.Deny
	}
	if r.Base == ir.BaseRoot {
		return r.Access == ir.Write && model != ModelAppContainer
	}
	c, ok := ir.SplitPath(ir.Windows, r.Path)
	if r.Base != ir.BaseAbs || !ok || len(c) != 1 || r.Glob {
		return false
	}
	root, hasRoot := findBase(rules, ir.BaseRoot)
	return r.Access != base || (hasRoot && root.Access == ir.Write)
}

// findings classifies the features of p for mode, rule findings first
// (by position), then those of the profile as a whole.
func findings(p *ir.Policy, mode ir.Mode, model Model) []Finding {
	return findingsOf(p, newDetection(p), mode, model)
}

// findingsOf is findings with p's detection made already.
func findingsOf(p *ir.Policy, det *detection, mode ir.Mode, model Model) []Finding {
	var out []Finding
	for _, f := range det.detect(p, model) {
		c := lookup(mode, f.feat)
		if c.Support == ir.Enforced {
			continue
		}
		out = append(out, Finding{Feature: string(f.feat), Support: c.Support.String(),
			Message: c.Why, Origin: f.origin, OfRule: f.ofRule})
	}
	out = append(out, networkNotes(p, mode, model)...)
	sortFindings(out)
	return dedupFindings(out)
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.OfRule != b.OfRule {
			return a.OfRule
		}
		if a.Origin.Pos != b.Origin.Pos {
			return a.Origin.Pos.Before(b.Origin.Pos)
		}
		if a.Support != b.Support {
			return supportRank(a.Support) < supportRank(b.Support)
		}
		return false
	})
}

func supportRank(s string) int {
	switch s {
	case "unenforceable":
		return 0
	case "snapshot":
		return 1
	}
	return 2
}

func dedupFindings(fs []Finding) []Finding {
	var out []Finding
	seen := map[Finding]bool{}
	for _, f := range fs {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func firstUnenforceable(fs []Finding) *Finding {
	for i := range fs {
		if fs[i].Support == ir.Unenforceable.String() {
			f := fs[i]
			return &f
		}
	}
	return nil
}

// Check returns the Windows diagnostics of p, per mode: an error at each
// rule a mode cannot enforce, a warning for each snapshot and for each
// network path per-user firewall rules cannot close. Messages name the
// mode; Target is "windows".
func Check(p *ir.Policy) diag.List {
	var l diag.List
	if p == nil || p.Unrestricted {
		return l
	}
	det := newDetection(p)
	for _, mode := range ir.Modes(ir.Windows) {
		for _, f := range findingsOf(p, det, mode, modelFor(p, mode)) {
			l.Add(diagnostic(mode, f))
		}
	}
	return l
}

func diagnostic(mode ir.Mode, f Finding) diag.Diagnostic {
	d := diag.Diagnostic{Pos: f.Origin.Pos, Severity: diag.Warning, Code: diag.Unenforceable,
		Target: string(ir.Windows), Message: string(mode) + " mode: " + f.Message}
	switch f.Support {
	case ir.Unenforceable.String():
		d.Severity = diag.Error
	case ir.Snapshot.String():
		d.Code = diag.GlobSnapshot
	}
	return d
}
