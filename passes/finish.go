package passes

import (
	"sort"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// finish builds the ir.Policy of every user profile and of the selected
// one, and warns about settings that do nothing.
func finish(s *state) {
	for name, p := range s.merged {
		if p.builtin && name != s.selected {
			continue
		}
		s.policies[name] = s.policy(name, p)
	}
}

func (s *state) policy(name string, p *partial) *ir.Policy {
	pol := &ir.Policy{
		Name: name, Source: ir.SourceProfile, Origin: ir.Origin{Pos: p.pos, Profile: name},
		Extends: s.chains[name], Unrestricted: p.unrestricted,
	}
	if s.legacy != nil && name == LegacyName(s.legacy.mode) {
		pol.Source = ir.SourceLegacy
		pol.Origin.Pos = s.legacy.pos
	}
	if p.description != nil {
		pol.Description = p.description.Value
	}
	pol.FS = s.fsPolicy(p)
	pol.Net = s.netPolicy(p)
	if !p.fsPresent && !p.unrestricted && !p.builtin {
		s.diags.Warnf(p.pos, diag.NoFilesystem,
			"profile %q has no filesystem entries, so filesystem access stays fully restricted", name)
	}
	return pol
}

func (s *state) fsPolicy(p *partial) ir.FSPolicy {
	fs := ir.FSPolicy{ProtectMetadata: p.protect}
	if p.protect {
		fs.ProtectOrigin = ir.Origin{Profile: Workspace}
	}
	p.rules.each(func(_ string, r ir.FSRule) { fs.Rules = append(fs.Rules, r) })
	SortRules(fs.Rules)
	p.roots.each(func(_ string, r rootEntry) {
		if r.enabled {
			fs.WorkspaceRoots = append(fs.WorkspaceRoots, r.root)
		}
	})
	sort.Slice(fs.WorkspaceRoots, func(i, j int) bool { return fs.WorkspaceRoots[i].Path < fs.WorkspaceRoots[j].Path })
	if g := p.globDepth; g != nil {
		fs.GlobScanMaxDepth = int(g.Value)
		fs.GlobScanMaxDepthPos = ir.Origin{Pos: g.KeyPos, Profile: p.name}
	}
	return fs
}

// SortRules puts rules in canonical order: by base, then path, then access.
func SortRules(rs []ir.FSRule) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Base != b.Base {
			return a.Base > b.Base // special paths first, then ~, then absolute
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Access < b.Access
	})
}

func (s *state) netPolicy(p *partial) ir.NetPolicy {
	n := ir.DefaultNetPolicy()
	n.Origins = map[string]ir.Origin{}
	o := func(key string, pos diag.Pos) { n.Origins[key] = ir.Origin{Pos: pos, Profile: p.name} }
	setB := func(dst *bool, v *ir.Bool, key string) {
		if v != nil {
			*dst = v.Value
			o(key, v.KeyPos)
		}
	}
	ns := p.net
	setB(&n.Enabled, ns.enabled, "enabled")
	setB(&n.EnableSOCKS5, ns.socks5, "enable_socks5")
	setB(&n.EnableSOCKS5UDP, ns.socks5UDP, "enable_socks5_udp")
	setB(&n.AllowUpstreamProxy, ns.upstream, "allow_upstream_proxy")
	setB(&n.AllowLocalBinding, ns.localBinding, "allow_local_binding")
	setB(&n.DangerouslyAllowNonLoopbackProxy, ns.nonLoopback, "dangerously_allow_non_loopback_proxy")
	setB(&n.DangerouslyAllowAllUnixSockets, ns.allUnix, "dangerously_allow_all_unix_sockets")
	if v := ns.proxyURL; v != nil {
		n.ProxyURL = v.Value
		o("proxy_url", v.KeyPos)
	}
	if v := ns.socksURL; v != nil {
		n.SOCKSURL = v.Value
		o("socks_url", v.KeyPos)
	}
	n.HasDomains = p.hasDomains
	if p.hasDomains {
		o("domains", p.domainsPos)
	}
	p.domains.each(func(_ string, d ir.DomainRule) { n.Domains = append(n.Domains, d) })
	sort.Slice(n.Domains, func(i, j int) bool {
		if n.Domains[i].Allow != n.Domains[j].Allow {
			return !n.Domains[i].Allow
		}
		return n.Domains[i].Pattern < n.Domains[j].Pattern
	})
	p.sockets.each(func(_ string, r ir.UnixSocketRule) { n.UnixSockets = append(n.UnixSockets, r) })
	sort.Slice(n.UnixSockets, func(i, j int) bool { return n.UnixSockets[i].Path < n.UnixSockets[j].Path })
	s.checkNet(p, &n)
	return n
}

// checkNet judges settings that depend on each other.
func (s *state) checkNet(p *partial, n *ir.NetPolicy) {
	ns := p.net
	if !n.DangerouslyAllowNonLoopbackProxy {
		for _, u := range []*ir.String{ns.proxyURL, ns.socksURL} {
			if u == nil {
				continue
			}
			if ap, err := ListenAddr(u.Value); err == nil && !ap.Addr().IsLoopback() {
				s.diags.Errorf(u.Pos, diag.BadURL,
					"listener %q is not on a loopback address; set dangerously_allow_non_loopback_proxy to allow it", u.Value)
			}
		}
	}
	if p.unrestricted {
		return
	}
	switch {
	case !n.Enabled && p.hasDomains && len(n.Domains) > 0:
		s.diags.Warnf(p.domainsPos, diag.Ineffective,
			"domains have no effect while network.enabled is false")
	case n.Enabled && !p.hasDomains:
		pos := p.pos
		if ns.enabled != nil {
			pos = ns.enabled.KeyPos
		}
		s.diags.Warnf(pos, diag.FullNetwork,
			"network is enabled with no domains table: full network access, no domain filtering and no local-network guard")
	}
	if ns.socks5UDP != nil && ns.socks5UDP.Value && !n.EnableSOCKS5 {
		s.diags.Warnf(ns.socks5UDP.KeyPos, diag.Ineffective,
			"enable_socks5_udp has no effect while enable_socks5 is false")
	}
	if ns.localBinding != nil && ns.localBinding.Value && !n.Enabled {
		s.diags.Warnf(ns.localBinding.KeyPos, diag.Ineffective,
			"allow_local_binding has no effect while network.enabled is false")
	}
}

// BuiltinPolicies returns the built-in profiles as policies.
func BuiltinPolicies() []*ir.Policy {
	s := &state{chains: map[string][]string{}}
	var out []*ir.Policy
	for _, n := range []string{DangerFullAccess, ReadOnly, Workspace} {
		p := s.policy(n, builtin(n))
		p.Origin = ir.Origin{Profile: n}
		out = append(out, p)
	}
	return out
}
