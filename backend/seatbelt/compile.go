package seatbelt

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// RuleError is a rule the compiler cannot translate, at the rule's line.
type RuleError struct {
	Pos  diag.Pos
	Rule string
	Err  error
}

func (e *RuleError) Error() string { return e.Rule + ": " + e.Err.Error() }

func (e *RuleError) Unwrap() error { return e.Err }

// Position is where the rule is written.
func (e *RuleError) Position() diag.Pos { return e.Pos }

// base is what an entry's path is relative to.
type base uint8

const (
	baseAbs base = iota
	baseHome
	baseTmpdir
	baseWS
	baseProtected
)

var baseNames = [...]string{"abs", "home", "tmpdir", "workspace_roots", "protected"}

// Entry kinds, as in ir.MatchKind.
const (
	kindRule      = "rule"
	kindMinimal   = "minimal"
	kindImplicit  = "implicit"
	kindProtected = "protected"
	kindDenyGlob  = "deny-glob"
)

// entry is one thing ir.Decide matches paths against, before binding.
type entry struct {
	kind     string
	access   ir.Access
	base     base
	comps    []string // literal components below the base
	pattern  string   // glob below comps, "/"-joined; "" when exact
	patDepth int
	literal  bool
	globRe   string // the pattern as a regex, folded for a deny
	foldRe   string // the pattern folded, for a read glob's deny of writes
	origin   ir.Origin
	what     string // the rule as written, for comments
	sortKey  string // key(), set by sort
}

// nominal is the entry's specificity with symbolic roots at their
// nominal depths.
func (e *entry) nominal() int {
	d := len(e.comps) + e.patDepth
	switch e.base {
	case baseHome:
		d += HomeDepth
	case baseTmpdir:
		d += TmpdirDepth
	case baseWS:
		d += WorkspaceDepth
	case baseProtected:
		d += WorkspaceDepth + 1
	}
	return d
}

func (e *entry) rank() int { return e.access.Rank() }

// compiler holds the state of one Compile.
type compiler struct {
	p       *ir.Policy
	entries []*entry
	globs   []*entry // deny globs, emitted last
	skipped []string // comments for rules with no macOS meaning
	w       *writer
	refs    []RuleRef
}

// Compile turns a policy into SBPL for sandbox-exec and the manifest of
// the parameters the loader binds. The output depends only on p.
func Compile(p *ir.Policy) (*Profile, error) {
	if p.Unrestricted {
		return nil, ErrUnrestricted
	}
	c := &compiler{p: p, w: newWriter()}
	// The text is about half a kilobyte per rule after the fixed forms:
	// room for it up front saves growing the buffer many times over.
	c.w.b.Grow(24<<10 + 512*len(p.FS.Rules))
	if err := c.collect(); err != nil {
		return nil, err
	}
	c.sort()
	if err := c.emit(); err != nil {
		return nil, err
	}
	return &Profile{SBPL: []byte(c.w.b.String()), Manifest: c.manifest()}, nil
}

// collect mirrors ir.Decide's expansion: the profile's rules, the
// :minimal table when a grant names it, the implicit grants, and the
// protected metadata.
func (c *compiler) collect() error {
	for i := range c.p.FS.Rules {
		if err := c.addRule(&c.p.FS.Rules[i]); err != nil {
			return err
		}
	}
	c.addMinimal()
	if c.p.FS.ProtectMetadata {
		for _, a := range []ir.Access{ir.Read, ir.Deny} {
			c.entries = append(c.entries, &entry{kind: kindProtected, access: a, base: baseProtected,
				origin: c.p.FS.ProtectOrigin, what: "protected metadata"})
		}
	}
	return nil
}

func (c *compiler) addRule(r *ir.FSRule) error {
	if !utf8.ValidString(r.Path) || strings.ContainsRune(r.Path, 0) {
		return fmt.Errorf("%s: seatbelt: path %q is not valid UTF-8 text", r.Origin.Pos, r.Path)
	}
	what := ruleText(r)
	switch r.Base {
	case ir.BaseAbs:
		comps, ok := ir.SplitPath(ir.MacOS, r.Path)
		if !ok {
			c.skipped = append(c.skipped, fmt.Sprintf("%s %s: not a macOS path, skipped", r.Origin, what))
			return nil
		}
		return c.add(kindRule, r.Access, baseAbs, comps, r.Glob, false, r.Origin, what)
	case ir.BaseHome:
		return c.add(kindRule, r.Access, baseHome, relComps(r.Path), r.Glob, false, r.Origin, what)
	case ir.BaseWorkspaceRoots:
		return c.add(kindRule, r.Access, baseWS, relComps(r.Path), r.Glob, false, r.Origin, what)
	case ir.BaseRoot:
		return c.add(kindRule, r.Access, baseAbs, nil, r.Glob, false, r.Origin, what)
	case ir.BaseTmpdir:
		return c.add(kindRule, r.Access, baseTmpdir, nil, r.Glob, false, r.Origin, what)
	case ir.BaseSlashTmp:
		return c.add(kindRule, r.Access, baseAbs, []string{"private", "tmp"}, r.Glob, false, r.Origin, what)
	case ir.BaseMinimal:
		return c.addMinimalDeny(r, what)
	}
	return fmt.Errorf("%s: seatbelt: internal error: unknown base %v", r.Origin.Pos, r.Base)
}

// addMinimalDeny: a deny of :minimal denies each non-implicit entry's
// whole subtree, as Decide does. A grant of :minimal is handled by
// addMinimal.
func (c *compiler) addMinimalDeny(r *ir.FSRule, what string) error {
	if r.Access != ir.Deny {
		return nil
	}
	for _, m := range ir.Minimal(ir.MacOS) {
		if m.Implicit {
			continue
		}
		comps, ok := ir.SplitPath(ir.MacOS, m.Path)
		if !ok {
			continue
		}
		if err := c.add(kindRule, ir.Deny, baseAbs, comps, r.Glob, false, r.Origin, what+": "+m.Path); err != nil {
			return err
		}
	}
	return nil
}

// minimalRule returns the rule granting :minimal, if any.
func (c *compiler) minimalRule() *ir.FSRule {
	for i, r := range c.p.FS.Rules {
		if r.Base == ir.BaseMinimal && r.Access != ir.Deny {
			return &c.p.FS.Rules[i]
		}
	}
	return nil
}

func (c *compiler) addMinimal() {
	grant := c.minimalRule()
	for _, m := range ir.Minimal(ir.MacOS) {
		if !m.Implicit && grant == nil {
			continue
		}
		comps, ok := ir.SplitPath(ir.MacOS, m.Path)
		if !ok {
			continue
		}
		kind, origin, what := kindImplicit, ir.Origin{Profile: "implicit"}, m.Path+": "+m.Note
		if !m.Implicit {
			kind, origin, what = kindMinimal, grant.Origin, `":minimal" `+m.Path+": "+m.Note
		}
		// Table entries are known to be valid; a glob error here is a bug
		// caught by the tests.
		_ = c.add(kind, m.Access, baseAbs, comps, m.Glob, m.Literal, origin, what)
	}
}

// add splits a glob at its first component with metacharacters, as
// Decide does, and files the entry.
func (c *compiler) add(kind string, a ir.Access, b base, comps []string, glob, literal bool,
	o ir.Origin, what string) error {
	e := &entry{kind: kind, access: a, base: b, comps: comps, literal: literal, origin: o, what: what}
	if glob {
		i := 0
		for i < len(comps) && !ir.HasGlobMeta(comps[i]) {
			i++
		}
		e.comps, e.pattern, e.patDepth = comps[:i], strings.Join(comps[i:], "/"), len(comps)-i
		if e.pattern != "" {
			re, err := globRegex(e.pattern, a == ir.Deny)
			if err != nil {
				return &RuleError{Pos: o.Pos, Rule: what, Err: err}
			}
			e.globRe = re
			if a == ir.Read {
				e.foldRe, _ = globRegex(e.pattern, true)
			}
		}
		if a == ir.Deny {
			e.kind = kindDenyGlob
			c.globs = append(c.globs, e)
			return nil
		}
	}
	c.entries = append(c.entries, e)
	return nil
}

func relComps(rel string) []string {
	if rel == "" {
		return nil
	}
	return strings.Split(rel, "/")
}

// ruleText renders a rule the way its TOML spells it.
func ruleText(r *ir.FSRule) string {
	var p string
	switch r.Base {
	case ir.BaseAbs:
		p = strconv.Quote(r.Path)
	case ir.BaseHome:
		p = strconv.Quote(strings.TrimSuffix("~/"+r.Path, "/"))
	case ir.BaseWorkspaceRoots:
		sub := r.Path
		if sub == "" {
			sub = "."
		}
		p = `":workspace_roots".` + strconv.Quote(sub)
	default:
		p = strconv.Quote(r.Base.String())
	}
	return p + " = " + r.Access.String()
}

// sort orders entries least to most specific, read before write before
// deny at equal depth; ties broken by base and path for determinism.
func (c *compiler) sort() {
	// Each entry's key is joined once, not at every comparison.
	for _, es := range [][]*entry{c.entries, c.globs} {
		for _, e := range es {
			e.sortKey = e.key()
		}
	}
	sort.SliceStable(c.entries, func(i, j int) bool { return entryLess(c.entries[i], c.entries[j]) })
	sort.SliceStable(c.globs, func(i, j int) bool { return entryLess(c.globs[i], c.globs[j]) })
}

func entryLess(a, b *entry) bool {
	if a.nominal() != b.nominal() {
		return a.nominal() < b.nominal()
	}
	if a.rank() != b.rank() {
		return a.rank() < b.rank()
	}
	if a.base != b.base {
		return a.base < b.base
	}
	if pa, pb := a.sortKey, b.sortKey; pa != pb {
		return pa < pb
	}
	return a.origin.Pos.Before(b.origin.Pos)
}

func (e *entry) key() string {
	return strings.Join(e.comps, "/") + "\x00" + e.pattern
}

// emit writes the whole profile.
func (c *compiler) emit() error {
	c.header()
	if err := c.w.writeBuiltin("basics.sb"); err != nil {
		return err
	}
	if err := c.network(); err != nil {
		return err
	}
	c.fileRules()
	c.guards()
	return c.w.writeBuiltin("metadata.sb")
}

func (c *compiler) header() {
	name := c.p.Name
	c.w.comment(fmt.Sprintf("permc seatbelt profile %q, format %d; generated, do not edit", name, FormatVersion))
	c.w.comment("parameters: see macos.params.json; every form names the rule it came from")
	c.w.line("(version 1)")
	c.w.comment("builtin: whatever no rule below allows is refused")
	c.w.line("(deny default)")
}

// fileRules writes the file rules in order, deny globs last.
func (c *compiler) fileRules() {
	for _, s := range c.skipped {
		c.w.comment(s)
	}
	for _, e := range c.entries {
		c.entryForms(e)
	}
	for _, e := range c.globs {
		c.entryForms(e)
	}
}

// entryForms writes the forms of one entry and records its template.
func (c *compiler) entryForms(e *entry) {
	c.refs = append(c.refs, c.ref(e))
	origin := e.origin.String() + " " + e.what
	switch {
	case e.base == baseProtected:
		c.protectedForms(e, origin)
	case e.access == ir.Read:
		c.w.form(origin, "allow", opsRead, c.filters(e, false))
		folded := *e
		if e.pattern != "" {
			folded.globRe = e.foldRe
		}
		c.w.form(origin+" (read only: no writes)", "deny", opsWrite, c.filters(&folded, true))
	case e.access == ir.Write:
		c.w.form(origin, "allow", opsBoth, c.filters(e, false))
	default:
		c.w.form(origin, "deny", opsBoth, c.filters(e, true))
	}
}

func (c *compiler) ref(e *entry) RuleRef {
	r := RuleRef{Order: len(c.refs), Kind: e.kind, Base: baseNames[e.base],
		Path: strings.Join(e.comps, "/"), GlobDepth: e.patDepth, Pattern: e.pattern, Glob: e.pattern != "",
		Literal: e.literal, Access: e.access.String(), Origin: e.origin.String(), Rule: e.what,
		Line: c.w.nextLine() + 1}
	if e.base == baseAbs {
		r.Path = "/" + r.Path
	}
	return r
}

// protectedForms: the loader binds PROTECTED_READ_RE to the protected
// paths of readable workspace roots (PROTECTED_READ_FOLD_RE to the same,
// case-folded, for the deny of writes) and PROTECTED_DENY_RE to those of
// unreadable ones, leaving out paths a rule of the profile names.
func (c *compiler) protectedForms(e *entry, origin string) {
	if e.access == ir.Read {
		f := []string{"(regex " + appendExpr(`"^"`, c.w.param("PROTECTED_READ_RE"), Quote(subtree)) + ")"}
		c.w.form(origin+": read-only under readable workspace roots", "allow", opsRead, f)
		folded := []string{"(regex " + appendExpr(`"^"`, c.w.param("PROTECTED_READ_FOLD_RE"), Quote(subtree)) + ")"}
		c.w.form(origin+" (read only: no writes)", "deny", opsWrite, folded)
		return
	}
	f := []string{"(regex " + appendExpr(`"^"`, c.w.param("PROTECTED_DENY_RE"), Quote(subtree)) + ")"}
	c.w.form(origin+": denied under unreadable workspace roots", "deny", opsBoth, f)
}

// manifest lists the parameters used and the rule templates.
func (c *compiler) manifest() Manifest {
	m := Manifest{Format: FormatVersion, Profile: c.p.Name, WorkspaceSlots: WorkspaceSlots, Rules: c.refs}
	m.Params = c.paramList()
	for _, r := range c.p.FS.WorkspaceRoots {
		p := r.Path
		if _, home := ir.CutHome(p); !home {
			clean, ok := ir.CleanPath(ir.MacOS, p)
			if !ok {
				continue // not a macOS path: ir.Decide skips it too
			}
			p = clean
		}
		m.ProfileRoots = append(m.ProfileRoots, Root{Path: p, Origin: r.Origin.String()})
	}
	if c.p.FS.ProtectMetadata {
		m.ProtectedNames = append([]string(nil), ir.ProtectedNames...)
	}
	m.HomeRequiredBy = c.homeRequiredBy()
	return m
}

// homeRequiredBy names the first deny below ~; without a home directory
// the loader cannot enforce it and must refuse.
func (c *compiler) homeRequiredBy() string {
	for _, e := range append(append([]*entry(nil), c.entries...), c.globs...) {
		if e.base == baseHome && e.access == ir.Deny {
			return e.origin.String() + " " + e.what
		}
	}
	return ""
}
