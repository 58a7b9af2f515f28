package ir

import (
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Binding is what a machine says about the symbolic roots of a policy.
// Decide needs it because "may this profile write ~/x" has no answer until
// ~ is known.
type Binding struct {
	Home           string   // "" when unknown: ~ rules then match nothing
	Tmpdir         string   // $TMPDIR; "" when unset
	SlashTmp       bool     // /tmp exists and is a directory
	WorkspaceRoots []string // the session's runtime roots (profile roots are added from the policy)
	// LinkedGitDirs maps a workspace root to the gitdir its .git file
	// points at, for roots that really are linked worktrees.
	LinkedGitDirs map[string]string
	// GitDirCaps maps a workspace root to the other git directories its
	// .git leads to (a linked worktree's common directory, a submodule's
	// gitdir). When protection applies, none of them is left writable by a
	// rule that does not name it (or an ancestor of it outside the root),
	// and none is made readable either.
	GitDirCaps map[string][]string
	// Exists tells whether a path exists at load time; nil means every
	// path does. Deny globs on Linux and Windows reach only what exists.
	Exists func(path string) bool
	// WinEnv binds %VAR% roots of the Windows :minimal set; missing names
	// fall back to WindowsDefaults.
	WinEnv map[string]string
}

// MatchKind says what kind of entry a Match came from.
type MatchKind string

const (
	MatchRule      MatchKind = "rule"      // a rule of the profile
	MatchMinimal   MatchKind = "minimal"   // the target's :minimal set
	MatchImplicit  MatchKind = "implicit"  // grants every sandbox needs
	MatchProtected MatchKind = "protected" // metadata kept read-only under a workspace root
	MatchDenyGlob  MatchKind = "deny-glob" // a deny glob, which always wins
)

// Match is one entry that covers a probed path.
type Match struct {
	Kind   MatchKind `json:"kind"`
	Access Access    `json:"access"`
	Depth  int       `json:"depth"` // path components of the entry: its specificity
	Path   string    `json:"path"`  // the entry's concrete path or pattern
	Origin Origin    `json:"origin"`
	Rule   *FSRule   `json:"-"`
}

// Decision is the reference answer for one path.
type Decision struct {
	Read  bool `json:"read"`
	Write bool `json:"write"`
	// By is the entry that decided; nil when nothing matched (denied).
	By *Match `json:"by,omitempty"`
	// Matches are all entries covering the path, deciding one first.
	Matches []Match `json:"matches,omitempty"`
}

// Access reports the decision as one access value.
func (d Decision) Access() Access {
	switch {
	case d.Write:
		return Write
	case d.Read:
		return Read
	}
	return Deny
}

// Decide answers whether policy p lets a sandboxed process on target t read
// and write the absolute path path, once b binds the symbolic roots.
//
// The matching entry with the most path components decides; at equal depth
// deny beats write beats read; no match denies. Deny globs deny read and
// write and always win; on Linux and Windows they reach only paths that
// exist at load and lie at most glob_scan_max_depth below their base.
// Protected metadata under workspace roots is read-only unless a rule of
// the profile names that path (or, for a linked worktree's gitdir outside
// the root, an ancestor of it that does not contain the root).
func Decide(p *Policy, t Target, b Binding, path string) Decision {
	return NewDecider(p, t, b).Decide(path)
}

// Decider answers Decide for many paths of one policy, target and
// binding, binding the rules once.
type Decider struct{ d *decider }

// NewDecider binds p's rules for target t on the machine b.
func NewDecider(p *Policy, t Target, b Binding) *Decider {
	d := &decider{p: p, t: t, b: b}
	if !p.Unrestricted {
		d.expand()
	}
	return &Decider{d: d}
}

// Decide answers for one absolute path, as the function Decide does.
func (x *Decider) Decide(path string) Decision {
	if x.d.p.Unrestricted {
		return Decision{Read: true, Write: true}
	}
	pc, ok := SplitPath(x.d.t, path)
	if !ok {
		return Decision{}
	}
	return x.d.decide(pc, true)
}

// ReadsBelow reports whether the sandbox may read anything strictly below
// dir. It errs towards yes: a granting glob whose base lies above dir, a
// workspace root or git directory at, below or above dir, or a path it
// cannot split all count as reading below.
func (x *Decider) ReadsBelow(dir string) bool {
	d := x.d
	if d.p.Unrestricted {
		return true
	}
	pc, ok := SplitPath(d.t, dir)
	if !ok {
		return true
	}
	// A child of dir that no entry names is decided as every path below
	// dir is, unless a deeper entry covers that path: by the deepest entry
	// at or above dir that covers children. Deny globs are left out (one
	// could match the probe's name and not a real one), which errs
	// towards yes.
	probe := append(append([]string(nil), pc...), "\x00")
	var by *Match
	for i := range d.entries {
		e := &d.entries[i]
		if e.Kind == MatchDenyGlob || len(e.comps) > len(pc) {
			continue
		}
		if m, ok := d.match(e, probe); ok &&
			(by == nil || m.Depth > by.Depth || m.Depth == by.Depth && m.Access.Rank() > by.Access.Rank()) {
			by = &m
		}
	}
	if by != nil && by.Access != Deny {
		return true
	}
	for i := range d.entries {
		e := &d.entries[i]
		if e.Access == Deny {
			continue
		}
		if len(e.comps) > len(pc) && hasPrefixComps(d.t, pc, e.comps, true) {
			return true // a grant below dir
		}
		if e.pattern != "" && hasPrefixComps(d.t, e.comps, pc, true) {
			return true // a granting glob that may reach below dir
		}
	}
	related := func(c []string) bool {
		return hasPrefixComps(d.t, pc, c, true) || hasPrefixComps(d.t, c, pc, true)
	}
	for i, r := range d.roots {
		if related(r) {
			return true
		}
		if g, ok := d.gitdirs[i]; ok && related(g) {
			return true
		}
		for _, c := range d.caps[i] {
			if related(c) {
				return true
			}
		}
	}
	return false
}

// Grants lists the paths of the bound entries that grant read or write:
// the literal base of a glob, every workspace root and the git
// directories protection reads. A runtime that mounts by real path can
// resolve them to learn what the rules reach through symlinks.
func (x *Decider) Grants() []string {
	d := x.d
	var out []string
	for i := range d.entries {
		if e := &d.entries[i]; e.Access != Deny {
			out = append(out, JoinPath(d.t, e.comps))
		}
	}
	for i, r := range d.roots {
		out = append(out, JoinPath(d.t, r))
		if g, ok := d.gitdirs[i]; ok {
			out = append(out, JoinPath(d.t, g))
		}
	}
	return out
}

// WriteGrants lists the paths of the entries that grant write: each path
// as the rule names it once bound (a glob's literal base). A caller that
// must know what a sandbox can write on this machine resolves them, since
// a mount follows a symlink the rule's path passes through.
func (x *Decider) WriteGrants() []string {
	d := x.d
	var out []string
	for i := range d.entries {
		if e := &d.entries[i]; e.Access == Write {
			out = append(out, JoinPath(d.t, e.comps))
		}
	}
	return out
}

type entry struct {
	Match
	comps   []string // path, or the literal base of a glob
	pattern string   // glob pattern below comps, "/"-joined; "" when not a glob
	literal bool     // covers only the path itself
}

type decider struct {
	p       *Policy
	t       Target
	b       Binding
	entries []entry
	roots   [][]string
	gitdirs map[int][]string   // root index -> linked gitdir
	caps    map[int][][]string // root index -> capped git directories
}

// expand binds every rule and table entry to concrete paths.
func (d *decider) expand() {
	d.roots = d.workspaceRoots()
	for i := range d.p.FS.Rules {
		r := &d.p.FS.Rules[i]
		for _, c := range d.bindRule(r) {
			d.add(MatchRule, r.Access, c, r.Glob, false, r.Origin, r)
		}
	}
	for _, m := range Minimal(d.t) {
		if !m.Implicit && !d.hasMinimal() {
			continue
		}
		c, ok := d.bindMinimal(m.Path)
		if !ok {
			continue
		}
		kind := MatchMinimal
		if m.Implicit {
			kind = MatchImplicit
		}
		d.add(kind, m.Access, c, m.Glob, m.Literal, Origin{Profile: ":minimal"}, nil)
	}
	d.gitdirs = map[int][]string{}
	d.caps = map[int][][]string{}
	for i, r := range d.roots {
		if g, ok := d.b.LinkedGitDirs[JoinPath(d.t, r)]; ok {
			if gc, ok := SplitPath(d.t, g); ok {
				d.gitdirs[i] = gc
			}
		}
		for _, c := range d.b.GitDirCaps[JoinPath(d.t, r)] {
			if cc, ok := SplitPath(d.t, c); ok {
				d.caps[i] = append(d.caps[i], cc)
			}
		}
	}
}

func (d *decider) hasMinimal() bool {
	for _, r := range d.p.FS.Rules {
		if r.Base == BaseMinimal && r.Access != Deny {
			return true
		}
	}
	return false
}

func (d *decider) add(kind MatchKind, a Access, comps []string, glob, literal bool, o Origin, r *FSRule) {
	e := entry{Match: Match{Kind: kind, Access: a, Origin: o, Rule: r}, literal: literal}
	if glob {
		i := 0
		for i < len(comps) && !HasGlobMeta(comps[i]) {
			i++
		}
		e.comps = comps[:i]
		e.pattern = strings.Join(comps[i:], "/")
		if a == Deny {
			e.Kind = MatchDenyGlob
		}
	} else {
		e.comps = comps
	}
	e.Depth = len(comps)
	e.Path = JoinPath(d.t, comps)
	d.entries = append(d.entries, e)
}

// workspaceRoots are the runtime roots plus the profile's own.
func (d *decider) workspaceRoots() [][]string {
	var out [][]string
	for _, r := range d.b.WorkspaceRoots {
		if c, ok := SplitPath(d.t, r); ok {
			out = append(out, c)
		}
	}
	for _, r := range d.p.FS.WorkspaceRoots {
		if c, ok := d.bindHomeOrAbs(r.Path); ok {
			out = append(out, c)
		}
	}
	return out
}

func (d *decider) bindHomeOrAbs(p string) ([]string, bool) {
	if rest, ok := CutHome(p); ok {
		return d.underHome(rest)
	}
	return SplitPath(d.t, p)
}

// CutHome splits "~", "~/x" or `~\x` into the part below home ("/"-separated).
func CutHome(p string) (string, bool) {
	if p == "~" {
		return "", true
	}
	if strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		return strings.Trim(strings.ReplaceAll(p[2:], `\`, "/"), "/"), true
	}
	return "", false
}

func (d *decider) underHome(rest string) ([]string, bool) {
	if d.b.Home == "" {
		return nil, false
	}
	h, ok := SplitPath(d.t, d.b.Home)
	if !ok {
		return nil, false
	}
	return joinRel(h, rest), true
}

func joinRel(base []string, rel string) []string {
	out := append([]string(nil), base...)
	if rel == "" {
		return out
	}
	return append(out, strings.Split(rel, "/")...)
}

// bindRule returns the concrete component lists a rule stands for.
func (d *decider) bindRule(r *FSRule) [][]string {
	switch r.Base {
	case BaseAbs:
		if c, ok := SplitPath(d.t, r.Path); ok {
			return [][]string{c}
		}
	case BaseHome:
		if c, ok := d.underHome(r.Path); ok {
			return [][]string{c}
		}
	case BaseRoot:
		return [][]string{{}}
	case BaseWorkspaceRoots:
		var out [][]string
		for _, root := range d.roots {
			out = append(out, joinRel(root, r.Path))
		}
		return out
	case BaseTmpdir:
		if d.b.Tmpdir != "" {
			if c, ok := SplitPath(d.t, d.b.Tmpdir); ok {
				return [][]string{c}
			}
		}
	case BaseSlashTmp:
		if d.b.SlashTmp && d.t != Windows {
			c, _ := SplitPath(d.t, "/tmp")
			return [][]string{c}
		}
	case BaseMinimal:
		// :minimal is expanded from the table; a deny of it denies each entry.
		if r.Access == Deny {
			var out [][]string
			for _, m := range Minimal(d.t) {
				if c, ok := d.bindMinimal(m.Path); ok && !m.Implicit {
					out = append(out, c)
				}
			}
			return out
		}
	}
	return nil
}

func (d *decider) bindMinimal(p string) ([]string, bool) {
	if strings.HasPrefix(p, "%") {
		end := strings.Index(p[1:], "%")
		if end < 0 {
			return nil, false
		}
		name := p[1 : end+1]
		v := d.b.WinEnv[name]
		if v == "" {
			v = WindowsDefaults[name]
		}
		p = v + p[end+2:]
	}
	return SplitPath(d.t, p)
}

// decide matches pc against every entry. withProtection is false only
// while computing the access of a workspace root for its protections.
func (d *decider) decide(pc []string, withProtection bool) Decision {
	var ms []Match
	var globDeny *Match
	for i := range d.entries {
		e := &d.entries[i]
		if m, ok := d.match(e, pc); ok {
			if m.Kind == MatchDenyGlob {
				if globDeny == nil {
					globDeny = &m
				}
				continue
			}
			ms = append(ms, m)
		}
	}
	if withProtection && d.p.FS.ProtectMetadata {
		ms = append(ms, d.protections(pc)...)
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Depth != ms[j].Depth {
			return ms[i].Depth > ms[j].Depth
		}
		return ms[i].Access.Rank() > ms[j].Access.Rank()
	})
	if globDeny != nil {
		ms = append([]Match{*globDeny}, ms...)
	}
	// A glob never overrides protected metadata, whatever its depth: only
	// a rule naming the path does (overridden). Targets refuse such globs
	// (macOS at compile time, or at launch for nested roots); this keeps
	// explain saying what the protection means.
	if len(ms) > 1 && ms[0].Access != Deny && ms[0].Rule != nil && ms[0].Rule.Glob {
		lit := d.literalDepth(ms[0].Path)
		for i, m := range ms {
			// A glob whose literal part reaches the protected path names it.
			if m.Kind == MatchProtected && lit < m.Depth {
				ms = append([]Match{m}, append(ms[:i:i], ms[i+1:]...)...)
				break
			}
		}
	}
	if d.t == MacOS && withProtection && d.p.FS.ProtectMetadata && len(ms) > 0 && ms[0].Access != Deny &&
		ms[0].Rule != nil && ms[0].Rule.Glob {
		// The volume folds case: libs/X/.git is the protected libs/x/.git.
		lit := d.literalDepth(ms[0].Path)
		for _, m := range d.protectionsWith(pc, true) {
			if lit < m.Depth {
				ms = append([]Match{m}, ms...)
				break
			}
		}
	}
	if d.t == MacOS && len(ms) > 0 && ms[0].Access == Write {
		if v, ok := d.readOnlyVeto(pc, ms[0].Depth, withProtection); ok {
			ms = append([]Match{v}, ms...)
		}
	}
	if len(ms) == 0 {
		return Decision{}
	}
	by := ms[0]
	return Decision{Read: by.Access != Deny, Write: by.Access == Write, By: &by, Matches: ms}
}

// literalDepth counts the components of path before its first wildcard.
func (d *decider) literalDepth(path string) int {
	comps, _ := SplitPath(d.t, path)
	n := 0
	for n < len(comps) && !HasGlobMeta(comps[n]) {
		n++
	}
	return n
}

// readOnlyVeto finds, on macOS, a read rule or read-only protection
// deeper than the write grant deciding pc that matches pc in another case
// (at equal depth the write comes later in the SBPL and wins). The "no
// writes" half of a read rule is a deny in the SBPL, folded as every deny
// is, so a differently-cased spelling of a read-only path is not writable
// either.
func (d *decider) readOnlyVeto(pc []string, depth int, withProtection bool) (Match, bool) {
	for i := range d.entries {
		e := &d.entries[i]
		if e.Access != Read {
			continue
		}
		if m, ok := d.matchWith(e, pc, true); ok && m.Depth > depth {
			return m, true
		}
	}
	if withProtection && d.p.FS.ProtectMetadata {
		for _, m := range d.protectionsWith(pc, true) {
			if m.Access == Read && m.Depth > depth {
				return m, true
			}
		}
	}
	return Match{}, false
}

// match reports whether entry e covers the path pc.
func (d *decider) match(e *entry, pc []string) (Match, bool) {
	return d.matchWith(e, pc, e.Access == Deny)
}

// matchWith is match, comparing case-insensitively where the target
// folds when fold is set.
func (d *decider) matchWith(e *entry, pc []string, fold bool) (Match, bool) {
	if !hasPrefixComps(d.t, e.comps, pc, fold) {
		return Match{}, false
	}
	if e.pattern == "" {
		if e.literal && len(pc) != len(e.comps) {
			return Match{}, false
		}
		return e.Match, true
	}
	rel := pc[len(e.comps):]
	pat := e.pattern
	limit := 0
	if e.Kind == MatchDenyGlob && d.t != MacOS {
		limit = d.p.FS.GlobScanMaxDepth
	}
	for k := 1; k <= len(rel); k++ {
		if limit > 0 && k > limit {
			break
		}
		if !globMatch(d.t, pat, rel[:k], fold) {
			continue
		}
		if e.Kind == MatchDenyGlob && d.t != MacOS && d.b.Exists != nil &&
			!d.b.Exists(JoinPath(d.t, pc[:len(e.comps)+k])) {
			continue
		}
		return e.Match, true
	}
	return Match{}, false
}

func globMatch(t Target, pat string, rel []string, fold bool) bool {
	name := strings.Join(rel, "/")
	if t == Windows || (t == MacOS && fold) {
		pat, name = strings.ToLower(pat), strings.ToLower(name)
	}
	ok, err := doublestar.Match(pat, name)
	return err == nil && ok
}

// GlobMayReachProtected reports whether a grant glob's pattern, below
// base, could match a protected name (.git, .agents, .codex) by a
// wildcard: below :workspace_roots the first component, where those names
// sit; below any other base, every component, since the workspace roots
// are not known before the run. A component that spells the name names
// it, as an explicit rule does.
func GlobMayReachProtected(base BaseKind, pattern string) bool {
	comps := strings.Split(strings.Trim(pattern, "/"), "/")
	if base == BaseWorkspaceRoots {
		comps = comps[:1]
	}
	for _, c := range comps {
		if !strings.ContainsAny(c, "*?[") {
			continue
		}
		if c == "**" {
			return true
		}
		for _, n := range ProtectedNames {
			// The pattern matches as written, the volume folds case: any
			// spelling of the name reaches the folder.
			for _, v := range caseVariants(n) {
				if ok, err := doublestar.Match(c, v); err == nil && ok {
					return true
				}
			}
		}
	}
	return false
}

// caseVariants lists every spelling of an ASCII name that differs only
// in case.
func caseVariants(name string) []string {
	out := []string{""}
	for _, r := range name {
		lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r))
		next := make([]string, 0, 2*len(out))
		for _, p := range out {
			next = append(next, p+lo)
			if up != lo {
				next = append(next, p+up)
			}
		}
		out = next
	}
	return out
}

// protections returns the implicit read-only entries covering pc.
func (d *decider) protections(pc []string) []Match { return d.protectionsWith(pc, false) }

// protectionsWith is protections, comparing case-insensitively where
// the target folds when fold is set.
func (d *decider) protectionsWith(pc []string, fold bool) []Match {
	var out []Match
	for i, root := range d.roots {
		prot := make([][]string, 0, len(ProtectedNames)+1)
		for _, n := range ProtectedNames {
			prot = append(prot, joinRel(root, n))
		}
		if g, ok := d.gitdirs[i]; ok {
			prot = append(prot, g)
		}
		for _, q := range prot {
			if !hasPrefixComps(d.t, q, pc, fold) || d.overridden(q, root) {
				continue
			}
			acc := Read
			if !d.decide(root, false).Read {
				acc = Deny
			}
			out = append(out, Match{
				Kind: MatchProtected, Access: acc, Depth: len(q),
				Path: JoinPath(d.t, q), Origin: d.p.FS.ProtectOrigin,
			})
		}
		for _, c := range d.caps[i] {
			if !hasPrefixComps(d.t, c, pc, false) || d.overridden(c, root) || !d.decide(c, false).Write {
				continue
			}
			out = append(out, Match{
				Kind: MatchProtected, Access: Read, Depth: len(c),
				Path: JoinPath(d.t, c), Origin: d.p.FS.ProtectOrigin,
			})
		}
	}
	return out
}

// overridden reports whether an explicit rule of the profile names the
// protected path q, or an ancestor of it that does not contain root.
func (d *decider) overridden(q, root []string) bool {
	for i := range d.entries {
		e := &d.entries[i]
		if e.Kind != MatchRule || e.pattern != "" {
			continue
		}
		if len(e.comps) == len(q) && hasPrefixComps(d.t, e.comps, q, false) {
			return true
		}
		if len(e.comps) < len(q) && hasPrefixComps(d.t, e.comps, q, false) &&
			!hasPrefixComps(d.t, e.comps, root, false) {
			return true
		}
	}
	return false
}
