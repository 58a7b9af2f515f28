package passes

import (
	"fmt"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Use is one feature a policy uses, with the setting that uses it.
type Use struct {
	f      ir.Feature
	origin ir.Origin
	what   string // the rule or setting, as a user would recognise it
}

// Features lists what p asks of a sandbox, each with the rule or setting
// responsible. The enforceability check judges these against ir's table.
func Features(p *ir.Policy) []Use {
	if p.Unrestricted {
		return nil
	}
	var out []Use
	add := func(f ir.Feature, o ir.Origin, what string) { out = append(out, Use{f, o, what}) }
	denied := deniedPaths(p)
	rootRead := false
	for _, r := range p.FS.Rules {
		var what string // describe(r), written only once the rule uses a feature
		use := func(f ir.Feature) {
			if what == "" {
				what = describe(r)
			}
			add(f, r.Origin, what)
		}
		switch {
		case r.Base == ir.BaseRoot && r.Access == ir.Deny:
			use(ir.FeatRootDeny)
		case r.Base == ir.BaseRoot:
			rootRead = true
		case r.Glob && r.Access == ir.Deny:
			use(ir.FeatDenyGlob)
			if strings.Contains(r.Path, "**") && p.FS.GlobScanMaxDepth == 0 {
				use(ir.FeatUnboundedGlob)
			}
		case r.Glob:
			use(ir.FeatAccessGlob)
		case r.Access == ir.Deny:
			use(ir.FeatDenyCarveout)
		}
		if r.Access != ir.Deny && !r.Glob && underDeny(denied, r) {
			use(ir.FeatReopenUnderDeny)
		}
	}
	if !rootRead {
		o := p.Origin
		for _, r := range p.FS.Rules {
			if r.Base == ir.BaseRoot {
				o = r.Origin
			}
		}
		add(ir.FeatReadRestricted, o, "a filesystem that is not readable everywhere")
	}
	n := &p.Net
	netO := func(k string) ir.Origin {
		if o, ok := n.Origins[k]; ok {
			return o
		}
		return p.Origin
	}
	switch n.Mode() {
	case ir.NetProxied:
		add(ir.FeatNetProxied, netO("domains"), "domain-filtered network")
		if n.EnableSOCKS5 && n.EnableSOCKS5UDP {
			o := netO("domains") // the default is on: point at what starts the proxy
			if w, ok := n.Origins["enable_socks5_udp"]; ok {
				o = w
			}
			add(ir.FeatSOCKS5UDP, o, SOCKS5UDPFeature)
		}
	case ir.NetFull:
		add(ir.FeatNetFull, netO("enabled"), "unfiltered network")
	}
	if n.Enabled && n.AllowLocalBinding {
		add(ir.FeatLocalBinding, netO("allow_local_binding"), "allow_local_binding")
	}
	for _, s := range n.AllowedUnixSockets() {
		add(ir.FeatUnixSocketAllow, s.Origin, fmt.Sprintf("unix socket %q", s.Path))
	}
	if n.DangerouslyAllowAllUnixSockets {
		add(ir.FeatAllUnixSockets, netO("dangerously_allow_all_unix_sockets"), "dangerously_allow_all_unix_sockets")
	}
	return out
}

// SOCKS5UDPFeature names UDP through SOCKS5 in enforceability messages.
const SOCKS5UDPFeature = "UDP through SOCKS5"

// deniedPaths indexes p's plain deny rules by base and path; the root
// deny is keyed by its base alone.
func deniedPaths(p *ir.Policy) map[ir.BaseKind]map[string]bool {
	out := map[ir.BaseKind]map[string]bool{}
	for _, d := range p.FS.Rules {
		if d.Access != ir.Deny || d.Glob {
			continue
		}
		if out[d.Base] == nil {
			out[d.Base] = map[string]bool{}
		}
		out[d.Base][strings.TrimSuffix(strings.ReplaceAll(d.Path, `\`, "/"), "/")] = true
	}
	return out
}

// underDeny reports whether a deny rule on the same base (or of :root)
// covers a strict ancestor of r, walking r's ancestors.
func underDeny(denied map[ir.BaseKind]map[string]bool, r ir.FSRule) bool {
	if len(denied[ir.BaseRoot]) > 0 {
		return true
	}
	set := denied[r.Base]
	if len(set) == 0 {
		return false
	}
	p := strings.TrimSuffix(strings.ReplaceAll(r.Path, `\`, "/"), "/")
	if p != "" && set[""] {
		return true
	}
	for i := strings.LastIndex(p, "/"); i > 0; i = strings.LastIndex(p, "/") {
		p = p[:i]
		if set[p] {
			return true
		}
	}
	return false
}

func describe(r ir.FSRule) string {
	switch r.Base {
	case ir.BaseAbs:
		return fmt.Sprintf("%q = %q", r.Path, r.Access)
	case ir.BaseHome:
		return fmt.Sprintf("%q = %q", "~/"+r.Path, r.Access)
	case ir.BaseWorkspaceRoots:
		p := r.Path
		if p == "" {
			p = "."
		}
		return fmt.Sprintf(":workspace_roots %q = %q", p, r.Access)
	}
	return fmt.Sprintf("%q = %q", r.Base.String(), r.Access)
}

// TargetChecks are a backend's own enforceability findings for its target,
// registered by the build driver. When a target has one, it replaces the
// generic reading of the table (the backend reads the same table, with the
// conditions only it can see).
var TargetChecks = map[ir.Target]func(p *ir.Policy) diag.List{}

// Enforceability reports, for target t, each rule of p the target cannot
// enforce (an error) or enforces only for what exists at start (a warning).
// On Windows a rule that only the unelevated mode cannot enforce is a
// warning saying that mode is unusable; the manifest records it.
func Enforceability(p *ir.Policy, t ir.Target) diag.List {
	diags := enforceability(p, t)
	if t == ir.MacOS {
		diags = append(diags, globsOverProtected(p)...)
	}
	return diags
}

// globsOverProtected refuses, on macOS, a write glob that could match
// protected metadata: Seatbelt applies the last matching form, and a glob
// cannot be ordered below the protection yet above the explicit rules
// deeper inside it, so .git/hooks would become writable.
func globsOverProtected(p *ir.Policy) diag.List {
	var diags diag.List
	if p.Unrestricted || !p.FS.ProtectMetadata {
		return nil
	}
	for _, r := range p.FS.Rules {
		if !r.Glob || r.Access != ir.Write || !ir.GlobMayReachProtected(r.Base, r.Path) {
			continue
		}
		pos := r.Origin.Pos
		if !pos.IsValid() {
			pos = p.Origin.Pos
		}
		diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Error, Code: diag.Unenforceable,
			Target: string(ir.MacOS),
			Message: fmt.Sprintf("%s: on macOS a write glob that can match %s would make that protected metadata "+
				"writable; start the pattern with a literal folder, or name the paths", describe(r),
				strings.Join(ir.ProtectedNames, ", "))})
	}
	return diags
}

func enforceability(p *ir.Policy, t ir.Target) diag.List {
	if check, ok := TargetChecks[t]; ok {
		if p.Unrestricted {
			return nil
		}
		diags := check(p)
		for i := range diags {
			diags[i].Target = string(t)
		}
		return append(append(diags, foreignPaths(p, t)...), unbounded(p, t)...)
	}
	var diags diag.List
	unusable := map[ir.Mode]bool{}
	uses := Features(p)
	for _, u := range uses {
		if !u.origin.Pos.IsValid() {
			u.origin = p.Origin // a built-in's rule: point at the profile
		}
		for _, m := range ir.Modes(t) {
			c := ir.Lookup(t, m, u.f)
			if c.Support == ir.Enforced {
				continue
			}
			if m == ir.ModeUnelevated && c.Support == ir.Unenforceable {
				if unusable[m] {
					continue // the first rule a mode cannot enforce is the one to fix
				}
				unusable[m] = true
			}
			d := diagFor(t, m, u, c)
			d.Target = string(t)
			diags.Add(d)
		}
	}
	return append(append(append(diags, foreignPaths(p, t)...), unboundedOf(uses, t)...), rootSlots(p, t)...)
}

// rootSlots reports, on macOS, a profile with more workspace roots than a
// Seatbelt profile can bind: the run adds its workspace to the profile's
// own, so with as many as there are slots the workspace must be one of
// them, and with more no run can start.
func rootSlots(p *ir.Policy, t ir.Target) diag.List {
	roots := p.FS.WorkspaceRoots
	if t != ir.MacOS || len(roots) < ir.MacOSWorkspaceSlots {
		return nil
	}
	d := diag.Diagnostic{Pos: roots[ir.MacOSWorkspaceSlots-1].Origin.Pos, Code: diag.Unenforceable,
		Target: string(t)}
	if len(roots) > ir.MacOSWorkspaceSlots {
		d.Severity = diag.Error
		d.Pos = roots[ir.MacOSWorkspaceSlots].Origin.Pos
		d.Message = fmt.Sprintf("%d workspace roots: a macOS sandbox binds at most %d, "+
			"the workspace it runs in included", len(roots), ir.MacOSWorkspaceSlots)
	} else {
		d.Severity = diag.Warning
		d.Message = fmt.Sprintf("%d workspace roots: a macOS sandbox binds at most %d, "+
			"the workspace it runs in included, so it starts only in one of these",
			len(roots), ir.MacOSWorkspaceSlots)
	}
	if !d.Pos.IsValid() {
		d.Pos = p.Origin.Pos
	}
	return diag.List{d}
}

// unbounded warns, on targets that expand deny globs before the sandbox
// starts, about a ** with no depth limit.
func unbounded(p *ir.Policy, t ir.Target) diag.List { return unboundedOf(Features(p), t) }

func unboundedOf(uses []Use, t ir.Target) diag.List {
	var diags diag.List
	if t == ir.MacOS {
		return nil
	}
	warned := map[diag.Pos]bool{}
	for _, u := range uses {
		if u.f == ir.FeatUnboundedGlob && !warned[u.origin.Pos] {
			warned[u.origin.Pos] = true
			diags.Add(diag.Diagnostic{Pos: u.origin.Pos, Severity: diag.Warning, Code: diag.UnboundedGlob,
				Target: string(t), Message: fmt.Sprintf(
					"%s has an unbounded ** and no glob_scan_max_depth: the scan before each sandbox start has no depth limit", u.what)})
		}
	}
	return diags
}

func diagFor(t ir.Target, m ir.Mode, u Use, c ir.Capability) diag.Diagnostic {
	d := diag.Diagnostic{Pos: u.origin.Pos}
	switch {
	case c.Support == ir.Snapshot:
		d.Severity, d.Code = diag.Warning, diag.GlobSnapshot
		d.Message = fmt.Sprintf("%s: %s", u.what, c.Why)
	case c.Support == ir.Refused:
		d.Severity, d.Code = diag.Warning, diag.Unenforceable
		d.Message = fmt.Sprintf("%s: %s", u.what, c.Why)
	case m == ir.ModeUnelevated:
		d.Severity, d.Code = diag.Warning, diag.Unenforceable
		d.Message = fmt.Sprintf("%s: %s; the unelevated mode cannot be used for this profile", u.what, c.Why)
	default:
		d.Severity, d.Code = diag.Error, diag.Unenforceable
		d.Message = fmt.Sprintf("%s cannot be enforced on %s: %s", u.what, t, c.Why)
		if m != ir.ModeDefault {
			d.Message = fmt.Sprintf("%s cannot be enforced on %s (%s mode): %s", u.what, t, m, c.Why)
		}
	}
	return d
}

// foreignPaths notes absolute paths of another OS's form.
func foreignPaths(p *ir.Policy, t ir.Target) diag.List {
	var diags diag.List
	for _, r := range p.FS.Rules {
		if r.Base != ir.BaseAbs {
			continue
		}
		if _, ok := ir.SplitPath(t, r.Path); ok {
			continue
		}
		diags.Add(diag.Diagnostic{Pos: r.Origin.Pos, Severity: diag.Note, Code: diag.ForeignPath,
			Target: string(t), Message: fmt.Sprintf("%q is not a %s path; the rule is skipped there", r.Path, t)})
	}
	return diags
}
