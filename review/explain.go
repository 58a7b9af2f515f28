package review

import (
	"errors"
	"fmt"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// PolicyRef names the policy an answer came from.
type PolicyRef struct {
	Name         string    `json:"name"`
	Source       ir.Source `json:"source"`
	Extends      []string  `json:"extends,omitempty"` // nearest parent first
	At           string    `json:"at"`
	Unrestricted bool      `json:"unrestricted,omitempty"`
}

func refOf(p *ir.Policy) PolicyRef {
	return PolicyRef{Name: p.Name, Source: p.Source, Extends: p.Extends, At: at(p.Origin), Unrestricted: p.Unrestricted}
}

// PathQuery asks about one path.
type PathQuery struct {
	// Path is absolute in some target's form, or ~/... (bound to
	// Binding.Home); resolving a relative path is the caller's job.
	Path    string
	Write   bool // ask about writing; otherwise about reading
	Targets []ir.Target
	// Binding binds the symbolic roots, as the loader would on the
	// machine. With Exists set, deny globs on Linux and Windows reach only
	// paths that exist, as they do at load.
	Binding ir.Binding
}

// PathExplanation is the answer for one path.
type PathExplanation struct {
	Path    string        `json:"path"`
	Access  ir.Access     `json:"access"` // what was asked: read or write
	Policy  PolicyRef     `json:"policy"`
	Legacy  *Legacy       `json:"legacy,omitempty"`
	Targets []PathVerdict `json:"targets"`
	// Allowed is the answer: the access asked for is allowed on every
	// target the path belongs to.
	Allowed bool `json:"allowed"`
}

// PathVerdict is the decision on one target.
type PathVerdict struct {
	Target ir.Target `json:"target"`
	Path   string    `json:"path,omitempty"` // as the target sees it
	// Skipped says why the path was not decided for this target (it is
	// not a path of that OS).
	Skipped   string `json:"skipped,omitempty"`
	Read      bool   `json:"read"`
	Write     bool   `json:"write"`
	Allowed   bool   `json:"allowed"`
	DecidedBy *Rule  `json:"decided_by,omitempty"`
	// Overridden are the other entries covering the path, most specific
	// first: the deciding entry won over each of them.
	Overridden  []Rule    `json:"overridden,omitempty"`
	Enforcement string    `json:"enforcement,omitempty"`
	Diagnostics diag.List `json:"diagnostics,omitempty"`
	Notes       []string  `json:"notes,omitempty"`
	// Shadowed is what the permission profile that the older settings
	// shadow would decide, when they are in effect.
	Shadowed *ShadowVerdict `json:"shadowed,omitempty"`
}

// ShadowVerdict is the decision of a profile that is not in effect.
type ShadowVerdict struct {
	Profile   string   `json:"profile"`
	Read      bool     `json:"read"`
	Write     bool     `json:"write"`
	DecidedBy *Rule    `json:"decided_by,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// ErrNoPolicy is returned when the configuration selects no policy.
var ErrNoPolicy = errors.New("no policy is in effect: the configuration has errors")

// ExplainPath decides q against the policy in effect in l.
func ExplainPath(l *Loaded, q PathQuery) (*PathExplanation, error) {
	p := l.Result.SelectedPolicy()
	if p == nil {
		return nil, ErrNoPolicy
	}
	path := q.Path
	if rest, ok := ir.CutHome(path); ok {
		if q.Binding.Home == "" {
			return nil, fmt.Errorf("%s: the home directory is not known; pass --bind home=PATH", q.Path)
		}
		path = strings.TrimSuffix(q.Binding.Home, "/") + "/" + rest
	}
	out := &PathExplanation{Path: path, Access: ir.Read, Policy: refOf(p), Legacy: l.legacy(), Allowed: true}
	if q.Write {
		out.Access = ir.Write
	}
	decided := 0
	for _, t := range q.Targets {
		v := explainTarget(l, p, t, q.Binding, path, out.Access)
		if v.Skipped == "" {
			decided++
			out.Allowed = out.Allowed && v.Allowed
		}
		out.Targets = append(out.Targets, v)
	}
	if decided == 0 {
		return nil, fmt.Errorf("%q is not an absolute path of any target asked for", q.Path)
	}
	return out, nil
}

func explainTarget(l *Loaded, p *ir.Policy, t ir.Target, b ir.Binding, path string, want ir.Access) PathVerdict {
	v := PathVerdict{Target: t}
	clean, ok := ir.CleanPath(t, path)
	if !ok {
		v.Skipped = fmt.Sprintf("not a %s path", t)
		return v
	}
	v.Path = clean
	d := ir.Decide(p, t, b, clean)
	v.Read, v.Write = d.Read, d.Write
	v.Allowed = d.Read && (want == ir.Read || d.Write)
	v.DecidedBy = ruleOf(p, d.By)
	for i := 1; i < len(d.Matches); i++ {
		v.Overridden = append(v.Overridden, *ruleOf(p, &d.Matches[i]))
	}
	v.Enforcement = enforcement(t, p, clean, d)
	v.Diagnostics = concerning(p, t, d)
	v.Notes = globNotes(p, t, b, clean, d)
	if l.Shadowed != nil {
		if sp := l.Shadowed.SelectedPolicy(); sp != nil {
			sd := ir.Decide(sp, t, b, clean)
			v.Shadowed = &ShadowVerdict{Profile: sp.Name, Read: sd.Read, Write: sd.Write, DecidedBy: ruleOf(sp, sd.By),
				Notes: globNotes(sp, t, b, clean, sd)}
		}
	}
	return v
}

// concerning returns the enforceability diagnostics of target t about the
// entry that decided d: the deciding rule's line, or the profile itself
// when nothing matched (a restricted filesystem).
func concerning(p *ir.Policy, t ir.Target, d ir.Decision) diag.List {
	pos := p.Origin.Pos
	if d.By != nil {
		pos = d.By.Origin.Pos
		if d.By.Kind == ir.MatchMinimal {
			pos = minimalOrigin(p).Pos
		}
	}
	if !pos.IsValid() {
		return nil
	}
	var out diag.List
	for _, dg := range passes.Enforceability(p, t) {
		if dg.Pos == pos {
			out = append(out, dg)
		}
	}
	return out.Sorted()
}

// globNotes says when a deny glob would match the path but does not,
// because on this target globs reach only what exists at load.
func globNotes(p *ir.Policy, t ir.Target, b ir.Binding, path string, d ir.Decision) []string {
	if t == ir.MacOS || d.By != nil && d.By.Kind == ir.MatchDenyGlob {
		return nil
	}
	exists := b.Exists
	b.Exists = nil
	if all := ir.Decide(p, t, b, path); all.By != nil && all.By.Kind == ir.MatchDenyGlob {
		if exists == nil {
			return nil
		}
		return []string{fmt.Sprintf("the deny glob %s at %s matches this path, but it does not exist now: "+
			"on %s deny globs cover only files present when the sandbox starts",
			Describe(*all.By.Rule), at(all.By.Origin), t)}
	}
	max := p.FS.GlobScanMaxDepth
	if max <= 0 {
		return nil
	}
	// A deny glob that matches deeper than the scan goes: the least
	// depth at which one would.
	q := *p
	pc, _ := ir.SplitPath(t, path)
	for depth := max + 1; depth <= len(pc); depth++ {
		q.FS.GlobScanMaxDepth = depth
		if all := ir.Decide(&q, t, b, path); all.By != nil && all.By.Kind == ir.MatchDenyGlob {
			return []string{fmt.Sprintf("the deny glob %s at %s matches this path at depth %d below its base, "+
				"deeper than glob_scan_max_depth = %d (%s): on %s deny globs are expanded only that deep "+
				"(the base's children are depth 1), so this path is not masked",
				Describe(*all.By.Rule), at(all.By.Origin), depth, max, at(p.FS.GlobScanMaxDepthPos), t)}
		}
	}
	return nil
}
