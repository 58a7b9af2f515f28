// Package passes turns the frontend's ir.Config into one ir.Policy per
// profile: layers merged, inheritance folded, built-ins and defaults
// applied, paths and hosts normalised, the selected profile chosen, and
// managed requirements enforced. Enforceability per target is judged by
// Enforceability, which reads only ir's capability table.
//
// The passes are an ordered table. Each names what it relies on and what it
// establishes; Options.StopAfter ends the run after any of them, so a test
// or `permc check -v` can look at the state in between.
//
// # Limitations
//
//   - Rules are compared by their written form after normalisation; two
//     spellings that name one file through a symlink are two rules.
//   - Which rule of two with symbolic bases is more specific (~ against an
//     absolute path) is known only when the loader binds them.
package passes

import (
	"sort"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Options are the selection flags of the CLI.
type Options struct {
	Profile       string // --profile: the permission profile to select
	ConfigProfile string // --config-profile: Codex's config profile
	Sandbox       string // --sandbox: forces the older settings
	StopAfter     string // stop after the named pass
}

// Result is the outcome of the passes.
type Result struct {
	// Policies holds every user profile, plus the selected one when it is a
	// built-in or the older settings, sorted by name.
	Policies []*ir.Policy
	// Selected names the policy in effect (a key of Policies).
	Selected string
	// Source says whether profiles or the older settings are in effect.
	Source ir.Source
	// Requirements are the managed requirements that applied, if any.
	Requirements *ir.Requirements
	Diags        diag.List
	// Undefined is the diagnostic saying that --profile names a profile
	// that no layer defines and that is not a built-in; nil otherwise.
	Undefined *diag.Diagnostic
}

// Policy returns the policy called name, or nil.
func (r *Result) Policy(name string) *ir.Policy {
	for _, p := range r.Policies {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// SelectedPolicy returns the policy in effect, or nil.
func (r *Result) SelectedPolicy() *ir.Policy { return r.Policy(r.Selected) }

// state is what the passes share.
type state struct {
	cfg      *ir.Config
	opts     Options
	diags    diag.List
	rawDecls []*ir.ProfileDecl
	decls    map[string][]*partial // per profile, lowest precedence first
	managed  map[string]bool
	merged   map[string]*partial
	chains   map[string][]string
	// suggestions counts the "did you mean" searches made.
	suggestions int
	cycles      map[string]bool
	policies    map[string]*ir.Policy
	legacy      *legacySetting
	selected    string
	undefined   *diag.Diagnostic // --profile's name is defined nowhere
	source      ir.Source
}

// pass is one named step.
type pass struct {
	name      string
	relies    string
	establish string
	run       func(*state)
}

// Passes is the ordered table of passes.
var Passes = []pass{
	{"collect", "the frontend's layers and requirements",
		"profile declarations per name, managed ones marked; reserved names and managed overrides rejected",
		collect},
	{"normalize", "collect",
		"each declaration's paths, accesses, hosts, sockets and URLs checked and in canonical form",
		normalize},
	{"merge-layers", "normalize",
		"one declaration per profile: later layers add or replace entries key by key",
		mergeLayers},
	{"extends", "merge-layers",
		"inheritance folded parent first, cycles and unknown parents rejected with their chain",
		resolveExtends},
	{"legacy", "extends",
		"whether the older sandbox settings are in effect, lowered into a policy",
		legacyMode},
	{"select", "legacy",
		"the profile in effect, checked against managed requirements",
		selectProfile},
	{"finish", "select",
		"defaults applied, rules sorted, ineffective settings warned about",
		finish},
}

// Run runs the passes over cfg.
func Run(cfg *ir.Config, o Options) *Result {
	s := &state{cfg: cfg, opts: o, policies: map[string]*ir.Policy{}, chains: map[string][]string{}, cycles: map[string]bool{}}
	for _, p := range Passes {
		p.run(s)
		if o.StopAfter == p.name {
			break
		}
	}
	res := &Result{Selected: s.selected, Source: s.source, Requirements: cfg.Requirements, Diags: s.diags,
		Undefined: s.undefined}
	for _, p := range s.policies {
		res.Policies = append(res.Policies, p)
	}
	sort.Slice(res.Policies, func(i, j int) bool { return res.Policies[i].Name < res.Policies[j].Name })
	return res
}
