package review

import (
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// Report is the semantic difference between two sides.
type Report struct {
	Old string `json:"old"`
	New string `json:"new"`
	// Below are the -c layers read beneath both sides, as given.
	Below []string `json:"below,omitempty"`
	// Targets are the targets compared.
	Targets []ir.Target `json:"targets"`
	// InEffect is set when the policy in effect changed.
	InEffect *InEffect `json:"in_effect,omitempty"`
	// Profiles are the profiles that were added, removed or changed.
	Profiles []ProfileDiff `json:"profiles"`
	// Unchanged names the profiles whose decisions are the same.
	Unchanged []string `json:"unchanged,omitempty"`
	// Widened is the answer: some access is wider on the new side.
	Widened bool `json:"widened"`
}

// InEffect is a change of the policy in effect.
type InEffect struct {
	Old string `json:"old"`
	New string `json:"new"`
	// Diff compares the two policies, when both sides have them.
	Diff *ProfileDiff `json:"diff,omitempty"`
	// Widens is set when the change widens access.
	Widens bool `json:"widens"`
}

// Profile statuses.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// ProfileDiff is what changed in one profile.
type ProfileDiff struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Widened bool   `json:"widened"`
	// NoWiderThan names the old policy in effect when an added profile
	// opens nothing it did not.
	NoWiderThan string          `json:"no_wider_than,omitempty"`
	Paths       []PathChange    `json:"paths,omitempty"`
	Network     []SettingChange `json:"network,omitempty"`
	Hosts       []HostChange    `json:"hosts,omitempty"`
	Sockets     []SocketChange  `json:"unix_sockets,omitempty"`
	// Globs are glob rules added, removed or changed. A glob's matches
	// are compared rule by rule, not by example: which names a changed
	// pattern matches is not something a few probes can show.
	Globs []SettingChange `json:"globs,omitempty"`
	// Build lists build options that change what a folder's artifacts
	// grant beyond its policy (--windows-tool-folders).
	Build []SettingChange `json:"build,omitempty"`
}

func (d *ProfileDiff) empty() bool {
	return len(d.Paths)+len(d.Network)+len(d.Hosts)+len(d.Sockets)+len(d.Globs)+len(d.Build) == 0
}

// buildChanges adds to d what the build options change on top of the
// policies: --windows-tool-folders grants the sandbox read and execute on
// per-user tool folders in the Windows artifacts.
func buildChanges(d *ProfileDiff, old, new bool, targets []ir.Target) {
	if old == new || !slices.Contains(targets, ir.Windows) {
		return
	}
	c := SettingChange{Setting: "--windows-tool-folders",
		From: strconv.FormatBool(old), To: strconv.FormatBool(new), Widens: new}
	d.Build = append(d.Build, c)
	d.Widened = d.Widened || c.Widens
}

// PathChange is a path whose access differs, on some targets.
type PathChange struct {
	// Path is the probe in the config's terms: ~/x, <workspace>/x,
	// $TMPDIR, an absolute path; "…" stands for any entry below.
	Path    string      `json:"path"`
	Targets []ir.Target `json:"targets"`
	From    ir.Access   `json:"from"` // deny means no access
	To      ir.Access   `json:"to"`
	Widens  bool        `json:"widens"`
	// When, if set, says where the change shows: an absolute rule only
	// one side has, with a root placed at or above its path, as it is
	// when a user's workspace (or home, or TMPDIR) holds that path.
	When string `json:"when,omitempty"`
	Old  *Rule  `json:"old_rule,omitempty"` // nil: no entry covered it
	New  *Rule  `json:"new_rule,omitempty"`
}

// Options control a diff.
type Options struct {
	Targets []ir.Target
	// Profile restricts the report to one profile.
	Profile string
}

// Diff compares two sides.
func Diff(old, new *Side, o Options) *Report {
	r := &Report{Old: old.Label, New: new.Label, Targets: o.Targets, Profiles: []ProfileDiff{}}
	for _, n := range names(old, new) {
		if o.Profile != "" && n != o.Profile {
			continue
		}
		a, b := old.Policies[n], new.Policies[n]
		switch {
		case a == nil:
			// A new profile can be selected: it widens, unless it is a
			// built-in, which exists on both sides whether or not it was
			// compiled (the policy in effect is compared below), or it
			// opens nothing the old policy in effect did not (what
			// permc migrate writes, for one).
			d := ProfileDiff{Name: n, Status: Added, Widened: !builtinName(n)}
			if d.Widened && old.Selected != "" && old.Policies[old.Selected] != nil {
				if !Compare(old.Policies[old.Selected], b, o.Targets).Widened {
					d.Widened, d.NoWiderThan = false, old.Selected
				}
			}
			r.add(d)
		case b == nil:
			r.add(ProfileDiff{Name: n, Status: Removed})
		default:
			d := Compare(a, b, o.Targets)
			buildChanges(d, old.ToolFolders[n], new.ToolFolders[n], o.Targets)
			if d.empty() {
				r.Unchanged = append(r.Unchanged, n)
				continue
			}
			r.add(*d)
		}
	}
	if old.Selected != new.Selected && old.Selected != "" && new.Selected != "" {
		ie := &InEffect{Old: old.Selected, New: new.Selected}
		a, b := old.Policies[old.Selected], new.Policies[new.Selected]
		if a != nil && b != nil {
			ie.Diff = Compare(a, b, o.Targets)
			buildChanges(ie.Diff, old.ToolFolders[old.Selected], new.ToolFolders[new.Selected], o.Targets)
			ie.Diff.Name = old.Selected + " → " + new.Selected
			ie.Widens = ie.Diff.Widened
		}
		r.InEffect = ie
		r.Widened = r.Widened || ie.Widens
	}
	return r
}

func (r *Report) add(d ProfileDiff) {
	r.Profiles = append(r.Profiles, d)
	r.Widened = r.Widened || d.Widened
}

// builtinName reports whether n is a built-in or the older settings.
func builtinName(n string) bool {
	return passes.IsBuiltin(n) || strings.HasPrefix(n, passes.LegacyName(""))
}

// Compare returns what changed from policy a to policy b, over the probe
// set of both, on each target.
func Compare(a, b *ir.Policy, targets []ir.Target) *ProfileDiff {
	d := &ProfileDiff{Name: b.Name, Status: Changed}
	d.Paths = comparePaths(a, b, targets)
	d.Network = compareSettings(a, b)
	d.Hosts = compareHosts(a, b)
	d.Sockets = compareSockets(a, b)
	d.Globs = compareGlobs(a, b)
	for _, c := range d.Globs {
		d.Widened = d.Widened || c.Widens
	}
	for _, c := range d.Paths {
		d.Widened = d.Widened || c.Widens
	}
	for _, c := range d.Network {
		d.Widened = d.Widened || c.Widens
	}
	for _, c := range d.Hosts {
		d.Widened = d.Widened || c.Widens
	}
	for _, c := range d.Sockets {
		d.Widened = d.Widened || c.Widens
	}
	return d
}

// compareGlobs lists the glob rules that differ. A glob rule is the same
// on both sides only with the same base, pattern and access; any other
// change widens when it takes a deny away or adds a grant, or grants more.
// A narrowed deny pattern thus shows as its old rule removed (widens) and
// the new one added.
func compareGlobs(a, b *ir.Policy) []SettingChange {
	globs := func(p *ir.Policy) map[string]ir.FSRule {
		m := map[string]ir.FSRule{}
		for _, r := range p.FS.Rules {
			if r.Glob {
				m[r.Key()] = r
			}
		}
		return m
	}
	old, new := globs(a), globs(b)
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range new {
		keys[k] = true
	}
	var out []SettingChange
	for k := range keys {
		o, inOld := old[k]
		n, inNew := new[k]
		if inOld && inNew && o.Access == n.Access {
			continue
		}
		r, c := n, SettingChange{From: "(none)", To: "(none)"}
		if inOld {
			r, c.From, c.Old = o, o.Access.String(), o.Origin.String()
		}
		if inNew {
			c.To, c.New = n.Access.String(), n.Origin.String()
		}
		c.Setting = r.Path
		if r.Base != ir.BaseAbs {
			c.Setting = r.Base.String() + " " + r.Path
		}
		switch {
		case inOld && o.Access == ir.Deny:
			c.Widens = true // a deny taken away or turned into a grant
		case inNew && n.Access != ir.Deny:
			c.Widens = !inOld || rank(n.Access) > rank(o.Access)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Setting < out[j].Setting })
	return out
}

// rank orders accesses by how much they grant.
func rank(a ir.Access) int {
	switch a {
	case ir.Write:
		return 2
	case ir.Read:
		return 1
	}
	return 0
}

// pathChange is one probe's change on one target.
type pathChange struct {
	probe    probe
	from, to ir.Access
	old, new *Rule
}

func (c pathChange) key() string {
	return strings.Join([]string{c.probe.label, c.from.String(), c.to.String(), ruleKey(c.old), ruleKey(c.new)}, "\x00")
}

func ruleKey(r *Rule) string {
	if r == nil {
		return ""
	}
	return r.Entry + "\x00" + r.At
}

// comparePaths decides every probe on both sides and keeps the changes,
// dropping a change that only repeats its ancestor's.
func comparePaths(a, b *ir.Policy, targets []ir.Target) []PathChange {
	byKey := map[string]*PathChange{}
	var order []string
	for _, t := range targets {
		for _, v := range bindings(t, a, b) {
			comparePathsBound(a, b, t, v, byKey, &order)
		}
	}
	out := make([]PathChange, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// binding is a binding the diff compares under, and how a change found
// only under it is described.
type binding struct {
	b    ir.Binding
	when string
	at   string // the path the binding was placed for; "" for Synthetic
}

// maxVariantPaths bounds how many absolute paths get bindings of their
// own.
const maxVariantPaths = 16

// bindings are Synthetic[t] and, for each absolute path that a rule names
// on one side only (the first maxVariantPaths), bindings with the
// workspace root, the home folder and TMPDIR at that path's folder: a
// rule for a path inside the user's workspace changes what the workspace
// rules grant there, which the stand-in roots of Synthetic never show.
func bindings(t ir.Target, a, b *ir.Policy) []binding {
	out := []binding{{b: Synthetic[t]}}
	if t == ir.Windows {
		return out
	}
	count := map[string]int{}
	for _, p := range []*ir.Policy{a, b} {
		seen := map[string]bool{}
		for _, r := range p.FS.Rules {
			if r.Base == ir.BaseAbs && !r.Glob && ir.IsPosixAbs(r.Path) && !seen[r.Path] {
				seen[r.Path] = true
				count[r.Path]++
			}
		}
	}
	var paths []string
	for p, n := range count {
		if n == 1 && p != "/" {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	if len(paths) > maxVariantPaths {
		paths = paths[:maxVariantPaths]
	}
	for _, p := range paths {
		dir := path.Dir(p)
		syn := Synthetic[t]
		for _, v := range []struct {
			what string
			set  func(*ir.Binding)
		}{
			{"the workspace root", func(b *ir.Binding) { b.WorkspaceRoots = []string{dir} }},
			{"the home folder", func(b *ir.Binding) { b.Home = dir }},
			{"TMPDIR", func(b *ir.Binding) { b.Tmpdir = dir }},
		} {
			b := syn
			b.WorkspaceRoots = append([]string(nil), syn.WorkspaceRoots...)
			v.set(&b)
			out = append(out, binding{b: b, when: "with " + v.what + " at " + dir, at: p})
		}
	}
	return out
}

// comparePathsBound is comparePaths on target t under one binding.
// A change already found (under the stand-in roots, or an earlier
// binding) is not reported again.
func comparePathsBound(a, b *ir.Policy, t ir.Target, v binding,
	byKey map[string]*PathChange, order *[]string) {
	{
		bind := v.b
		var kept []pathChange
		var probes []probe
		if v.at == "" {
			probes = probesBound(t, bind, a, b)
		} else {
			// Only around the path the binding was placed for: elsewhere
			// it compares as the stand-in roots do.
			probes = probesAt(t, bind, v.at)
		}
		sort.SliceStable(probes, func(i, j int) bool { return len(probes[i].comps) < len(probes[j].comps) })
		// Bind each side's rules once, not once per probe.
		decA, decB := ir.NewDecider(a, t, bind), ir.NewDecider(b, t, bind)
		for _, pr := range probes {
			path := ir.JoinPath(t, pr.comps)
			da, db := decA.Decide(path), decB.Decide(path)
			if da.Access() == db.Access() {
				continue
			}
			c := pathChange{probe: pr, from: da.Access(), to: db.Access(), old: ruleOf(a, da.By), new: ruleOf(b, db.By)}
			if repeatsAncestor(t, c, kept) {
				continue
			}
			kept = append(kept, c)
			k := c.key()
			if pc := byKey[k]; pc != nil {
				if pc.Targets[len(pc.Targets)-1] != t {
					pc.Targets = append(pc.Targets, t)
				}
				continue
			}
			byKey[k] = &PathChange{Path: pr.label, Targets: []ir.Target{t}, From: c.from, To: c.to,
				Widens: rank(c.to) > rank(c.from), When: v.when, Old: plain(c.old), New: plain(c.new)}
			*order = append(*order, k)
		}
	}
}

// plain drops the target's concrete path from a rule, so that one change
// reads the same on every target.
func plain(r *Rule) *Rule {
	if r == nil {
		return nil
	}
	c := *r
	if c.Kind == ir.MatchRule || c.Kind == ir.MatchDenyGlob {
		c.Path = ""
	}
	return &c
}

// repeatsAncestor reports whether a kept change at an ancestor of c's
// path is the same change, by the same entries.
func repeatsAncestor(t ir.Target, c pathChange, kept []pathChange) bool {
	for _, k := range kept {
		if len(k.probe.comps) >= len(c.probe.comps) || k.from != c.from || k.to != c.to ||
			ruleKey(k.old) != ruleKey(c.old) || ruleKey(k.new) != ruleKey(c.new) {
			continue
		}
		anc := true
		for i := range k.probe.comps {
			if !strings.EqualFold(k.probe.comps[i], c.probe.comps[i]) ||
				t != ir.Windows && k.probe.comps[i] != c.probe.comps[i] {
				anc = false
				break
			}
		}
		if anc {
			return true
		}
	}
	return false
}
