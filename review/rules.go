package review

import (
	"fmt"
	"strings"

	"github.com/permc/permc/ir"
)

// Rule is an entry that covers a path, as a reviewer would look it up.
type Rule struct {
	Kind   ir.MatchKind `json:"kind"`
	Access ir.Access    `json:"access"`
	// Entry is the rule as written in TOML, or what the entry is when no
	// line of the config wrote it (a :minimal path, an implicit grant).
	Entry string `json:"entry"`
	// Path is the entry's concrete path or pattern on the target.
	Path string `json:"path"`
	// At is file:line of the entry, or "builtin" with the built-in's name.
	At string `json:"at"`
	// Profile is the profile whose table held the entry.
	Profile string `json:"profile,omitempty"`
	// Via says how the entry reached the policy: through extends, or from
	// the older settings.
	Via string `json:"via,omitempty"`
}

// String renders the rule on one line.
func (r Rule) String() string {
	s := r.Entry + " at " + r.At
	if r.Via != "" {
		s += " (" + r.Via + ")"
	}
	return s
}

// ruleOf describes the match m of policy p.
func ruleOf(p *ir.Policy, m *ir.Match) *Rule {
	if m == nil {
		return nil
	}
	r := &Rule{Kind: m.Kind, Access: m.Access, Path: m.Path, Profile: m.Origin.Profile,
		At: at(m.Origin)}
	switch {
	case m.Rule != nil:
		r.Entry = Describe(*m.Rule)
	case m.Kind == ir.MatchMinimal:
		r.Entry = fmt.Sprintf("%s from :minimal (%s)", m.Path, m.Access)
		r.At, r.Profile = at(minimalOrigin(p)), minimalOrigin(p).Profile
	case m.Kind == ir.MatchImplicit:
		r.Entry = fmt.Sprintf("%s, an implicit grant every sandbox needs (%s)", m.Path, m.Access)
		r.At, r.Profile = "builtin", ""
	case m.Kind == ir.MatchProtected:
		name := m.Path
		if i := strings.LastIndexAny(name, `/\`); i >= 0 {
			name = name[i+1:]
		}
		r.Entry = fmt.Sprintf("%s under a workspace root, protected metadata (%s)", name, m.Access)
	}
	r.Via = via(p, r.Profile)
	return r
}

// minimalOrigin is where the profile asked for :minimal.
func minimalOrigin(p *ir.Policy) ir.Origin {
	for _, r := range p.FS.Rules {
		if r.Base == ir.BaseMinimal && r.Access != ir.Deny {
			return r.Origin
		}
	}
	return ir.Origin{Profile: ":minimal"}
}

// at renders an origin as file:line, or as the built-in it came from.
func at(o ir.Origin) string {
	if o.Pos.IsValid() {
		return o.Pos.Short()
	}
	if o.Pos.File != "" {
		return o.Pos.File
	}
	if o.Profile != "" {
		return "builtin " + o.Profile
	}
	return "builtin"
}

// via says how an entry of profile from reached policy p.
func via(p *ir.Policy, from string) string {
	switch {
	case from == "" || from == p.Name:
		return ""
	case p.Source == ir.SourceLegacy:
		return fmt.Sprintf("via sandbox_mode %q", legacyMode(p.Name))
	}
	for i, e := range p.Extends {
		if e == from {
			chain := append([]string{p.Name}, p.Extends[:i+1]...)
			return "inherited: " + strings.Join(chain, " extends ")
		}
	}
	return "from profile " + from
}

// Describe renders a filesystem rule as it is written in TOML.
func Describe(r ir.FSRule) string {
	switch r.Base {
	case ir.BaseAbs:
		return fmt.Sprintf("%q = %q", r.Path, r.Access)
	case ir.BaseHome:
		p := "~"
		if r.Path != "" {
			p += "/" + r.Path
		}
		return fmt.Sprintf("%q = %q", p, r.Access)
	case ir.BaseWorkspaceRoots:
		p := r.Path
		if p == "" {
			p = "."
		}
		return fmt.Sprintf("%q.%q = %q", ":workspace_roots", p, r.Access)
	}
	return fmt.Sprintf("%q = %q", r.Base.String(), r.Access)
}
