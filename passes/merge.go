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
	r := &resolver{s: s, done: map[string]*partial{}, failed: map[string]bool{}, onStack: map[string]int{}}
	names := make([]string, 0, len(s.merged))
	for n := range s.merged {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r.resolve(n)
	}
	s.merged = r.done
}

// MaxExtendsDepth bounds a chain of extends: deeper chains are refused at
// the line of the profile that starts them, so a hostile config cannot make
// resolution slow.
const MaxExtendsDepth = 64

// MaxFoldedEntries bounds the entries (filesystem rules, roots, domains,
// sockets) that extends copies into profiles, over the whole config: each
// child holds its parent's entries, so a small config of many children of
// one large profile would otherwise take gigabytes to compile.
const MaxFoldedEntries = 200_000

// resolver folds every profile onto its parents once, remembering what it
// resolved and what failed, so a long chain costs one fold per profile.
type resolver struct {
	folded     int // entries copied by extends so far
	overBudget bool
	s          *state
	done       map[string]*partial
	failed     map[string]bool
	stack      []string       // profiles being resolved, outermost first
	onStack    map[string]int // index in stack
}

// resolve returns the folded profile name, or nil when it or a parent is
// in error; s.chains[name] gets its parents, nearest first.
func (r *resolver) resolve(name string) *partial {
	s := r.s
	if p, ok := r.done[name]; ok {
		return p
	}
	if r.failed[name] {
		return nil
	}
	if i, ok := r.onStack[name]; ok {
		s.cycle(append(append([]string(nil), r.stack[i:]...), name))
		return nil
	}
	p := s.merged[name]
	if p.extends == nil {
		r.done[name] = p
		return p
	}
	parent := p.extends.Value
	if len(r.stack) >= MaxExtendsDepth {
		s.diags.Errorf(s.merged[r.stack[0]].extends.Pos, diag.ExtendsTooDeep,
			"profile %q starts a chain of extends deeper than %d profiles (%s -> ... -> %s -> %s)",
			r.stack[0], MaxExtendsDepth, r.stack[0], name, parent)
		return r.fail(name)
	}
	var base *partial
	var chain []string
	switch {
	case parent == DangerFullAccess:
		s.diags.Errorf(p.extends.Pos, diag.ExtendsFullAccess,
			"profile %q cannot extend %s: it has no restrictions to build on; extend :workspace or :read-only",
			name, parent)
		return r.fail(name)
	case IsBuiltin(parent):
		base = builtin(parent)
	case s.merged[parent] != nil && s.managed[name] && !s.managed[parent]:
		// A managed profile built on a user's profile would be the
		// user's to change.
		s.diags.Errorf(p.extends.Pos, diag.ManagedOverride,
			"managed profile %q extends %q, which managed requirements do not define, so a user layer "+
				"could change it; define %q in the requirements too, or extend a built-in", name, parent, parent)
		return r.fail(name)
	case s.merged[parent] != nil:
		r.onStack[name] = len(r.stack)
		r.stack = append(r.stack, name)
		base = r.resolve(parent)
		r.stack = r.stack[:len(r.stack)-1]
		delete(r.onStack, name)
		if base == nil {
			return r.fail(name)
		}
		chain = s.chains[parent]
	default:
		d := s.diags.Errorf(p.extends.Pos, diag.UnknownProfile,
			"profile %q extends unknown profile %q", name, parent)
		d.Message += s.suggestProfile(parent)
		return r.fail(name)
	}
	r.folded += len(base.rules.keys) + len(base.roots.keys) + len(base.domains.keys) + len(base.sockets.keys)
	if r.folded > MaxFoldedEntries {
		if r.overBudget {
			return r.fail(name) // said once, at the first profile past it
		}
		r.overBudget = true
		s.diags.Errorf(p.extends.Pos, diag.ExtendsTooLarge,
			"profile %q extends %q: the config's profiles would hold more than %d entries copied from the "+
				"profiles they extend; fewer profiles extending a large one, or a folder denied instead of "+
				"many paths, keep it small", name, parent, MaxFoldedEntries)
		return r.fail(name)
	}
	out := over(base, p)
	out.builtin = false
	r.done[name] = out
	s.chains[name] = append([]string{parent}, chain...)
	return out
}

func (r *resolver) fail(name string) *partial {
	r.failed[name] = true
	return nil
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

// maxSuggestions bounds the "did you mean" searches of one run.
const maxSuggestions = 50

// suggestProfile offers the nearest defined or built-in name.
//
// Only the first maxSuggestions names get one: each costs an edit
// distance against every profile, and a config of thousands of unknown
// names would take minutes, for diagnostics capped at ten anyway.
func (s *state) suggestProfile(name string) string {
	if s.suggestions >= maxSuggestions {
		return ""
	}
	s.suggestions++
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
