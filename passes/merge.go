package passes

import (
	"sort"
	"strings"

	"github.com/permc/permc/internal/diag"
)

// mergeLayers folds the declarations of each profile, lowest precedence
// first, so a later layer adds or replaces entries without restating them.
func mergeLayers(s *state) {
	s.merged = map[string]*partial{}
	for name, ds := range s.decls {
		m := ds[0]
		for _, d := range ds[1:] {
			desc := d.description
			if desc == nil {
				desc = m.description // layers keep it; extends does not
			}
			m = over(m, d)
			m.description = desc
		}
		s.merged[name] = m
	}
}

// resolveExtends folds each profile's parents into it, parent first.
func resolveExtends(s *state) {
	resolved := map[string]*partial{}
	names := make([]string, 0, len(s.merged))
	for n := range s.merged {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if p, chain := s.resolve(n, resolved, nil); p != nil {
			resolved[n] = p
			s.chains[n] = chain
		}
	}
	s.merged = resolved
}

// resolve returns the folded profile name and its chain of parents,
// nearest first. stack holds the profiles being resolved, for cycles.
func (s *state) resolve(name string, done map[string]*partial, stack []string) (*partial, []string) {
	if p, ok := done[name]; ok {
		return p, s.chains[name]
	}
	p := s.merged[name]
	if p.extends == nil {
		return p, nil
	}
	parent := p.extends.Value
	for i, n := range stack {
		if n == name {
			s.cycle(append(stack[i:], name))
			return nil, nil
		}
	}
	var base *partial
	var chain []string
	switch {
	case parent == DangerFullAccess:
		s.diags.Errorf(p.extends.Pos, diag.ExtendsFullAccess,
			"profile %q cannot extend %s: it has no restrictions to build on; extend :workspace or :read-only",
			name, parent)
		return nil, nil
	case IsBuiltin(parent):
		base = builtin(parent)
	case s.merged[parent] != nil:
		base, chain = s.resolve(parent, done, append(stack, name))
		if base == nil {
			return nil, nil
		}
	default:
		d := s.diags.Errorf(p.extends.Pos, diag.UnknownProfile,
			"profile %q extends unknown profile %q", name, parent)
		d.Message += s.suggestProfile(parent)
		return nil, nil
	}
	out := over(base, p)
	out.builtin = false
	return out, append([]string{parent}, chain...)
}

func (s *state) cycle(chain []string) {
	members := append([]string(nil), chain[:len(chain)-1]...)
	sort.Strings(members)
	key := strings.Join(members, "\x00")
	if s.cycles[key] {
		return
	}
	s.cycles[key] = true
	first := s.merged[chain[0]]
	d := s.diags.Errorf(first.extends.Pos, diag.ExtendsCycle,
		"profiles extend each other in a cycle: %s", strings.Join(chain, " -> "))
	for _, n := range chain[1 : len(chain)-1] {
		p := s.merged[n]
		d.Related = append(d.Related, diag.Related{Pos: p.extends.Pos,
			Message: n + " extends " + p.extends.Value})
	}
}

// suggestProfile offers the nearest defined or built-in name.
func (s *state) suggestProfile(name string) string {
	known := []string{ReadOnly, Workspace, DangerFullAccess}
	for n := range s.merged {
		known = append(known, n)
	}
	sort.Strings(known)
	if c := diag.Closest(name, known); c != "" {
		return "; did you mean \"" + c + "\"?"
	}
	return ""
}
