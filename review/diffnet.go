package review

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/permc/permc/ir"
	"github.com/permc/permc/ir/host"
)

// SettingChange is a network or filesystem setting that changed.
type SettingChange struct {
	Setting string `json:"setting"`
	From    string `json:"from"`
	To      string `json:"to"`
	Widens  bool   `json:"widens"`
	Old     string `json:"old_at,omitempty"` // where the old value was written
	New     string `json:"new_at,omitempty"`
}

// HostChange is a host that became reachable or unreachable.
type HostChange struct {
	// Host is the probed host; "<sub>.x" stands for any subdomain of x
	// and "<any host>" for a host no pattern names.
	Host   string `json:"host"`
	From   string `json:"from"` // allowed or blocked
	To     string `json:"to"`
	Widens bool   `json:"widens"`
	Old    string `json:"old_reason"`
	New    string `json:"new_reason"`
}

// SocketChange is a unix socket path that entered or left the allowlist.
type SocketChange struct {
	Path    string `json:"path"`
	Allowed bool   `json:"allowed"` // on the new side
	Widens  bool   `json:"widens"`
	At      string `json:"at,omitempty"`
}

// netMode is the effective mode: an unrestricted policy has full network.
func netMode(p *ir.Policy) ir.NetMode {
	if p.Unrestricted {
		return ir.NetFull
	}
	return p.Net.Mode()
}

func originAt(p *ir.Policy, key string) string {
	if o, ok := p.Net.Origins[key]; ok {
		return at(o)
	}
	return ""
}

// compareSettings compares the sandbox as a whole, the network mode and
// the settings that open more when set.
func compareSettings(a, b *ir.Policy) []SettingChange {
	var out []SettingChange
	add := func(name, from, to string, widens bool, oldAt, newAt string) {
		if from != to {
			out = append(out, SettingChange{Setting: name, From: from, To: to, Widens: widens, Old: oldAt, New: newAt})
		}
	}
	add("unrestricted (no sandbox)", strconv.FormatBool(a.Unrestricted), strconv.FormatBool(b.Unrestricted),
		b.Unrestricted, at(a.Origin), at(b.Origin))
	ma, mb := netMode(a), netMode(b)
	add("network mode", ma.String(), mb.String(), mb > ma, modeAt(a), modeAt(b))
	na, nb := &a.Net, &b.Net
	on := mb != ir.NetOff
	bools := []struct {
		key    string
		va, vb bool
		widens bool // when it goes from false to true
	}{
		{"enable_socks5", na.EnableSOCKS5, nb.EnableSOCKS5, on},
		{"enable_socks5_udp", na.EnableSOCKS5UDP, nb.EnableSOCKS5UDP, on},
		{"allow_upstream_proxy", na.AllowUpstreamProxy, nb.AllowUpstreamProxy, on},
		{"allow_local_binding", na.AllowLocalBinding, nb.AllowLocalBinding, on},
		{"dangerously_allow_non_loopback_proxy", na.DangerouslyAllowNonLoopbackProxy, nb.DangerouslyAllowNonLoopbackProxy, on},
		{"dangerously_allow_all_unix_sockets", na.DangerouslyAllowAllUnixSockets, nb.DangerouslyAllowAllUnixSockets, true},
	}
	for _, s := range bools {
		add(s.key, strconv.FormatBool(s.va), strconv.FormatBool(s.vb), s.widens && s.vb && !s.va,
			originAt(a, s.key), originAt(b, s.key))
	}
	if mb == ir.NetProxied || ma == ir.NetProxied {
		add("proxy_url", na.ProxyURL, nb.ProxyURL, false, originAt(a, "proxy_url"), originAt(b, "proxy_url"))
		add("socks_url", na.SOCKSURL, nb.SOCKSURL, false, originAt(a, "socks_url"), originAt(b, "socks_url"))
	}
	// A smaller scan depth covers fewer files with the deny globs; no
	// depth covers every level.
	da, db := a.FS.GlobScanMaxDepth, b.FS.GlobScanMaxDepth
	add("glob_scan_max_depth", depthWords(da), depthWords(db), hasDenyGlob(b) && coverage(db) < coverage(da),
		at(a.FS.GlobScanMaxDepthPos), at(b.FS.GlobScanMaxDepthPos))
	return out
}

func depthWords(d int) string {
	if d == 0 {
		return "unset"
	}
	return strconv.Itoa(d)
}

func coverage(d int) int {
	if d == 0 {
		return int(^uint(0) >> 1)
	}
	return d
}

func hasDenyGlob(p *ir.Policy) bool {
	for _, r := range p.FS.Rules {
		if r.Glob && r.Access == ir.Deny {
			return true
		}
	}
	return false
}

// modeAt is where the network mode was set: the domains table for a
// proxied profile, else the enabled key.
func modeAt(p *ir.Policy) string {
	if p.Net.Mode() == ir.NetProxied {
		if s := originAt(p, "domains"); s != "" {
			return s
		}
	}
	return originAt(p, "enabled")
}

// compareHosts probes every pattern's host and a subdomain of it on both
// sides. When either side is fully open the mode change says it all.
func compareHosts(a, b *ir.Policy) []HostChange {
	if netMode(a) == ir.NetFull || netMode(b) == ir.NetFull {
		return nil
	}
	var out []HostChange
	for _, pr := range hostProbes(a, b) {
		va, vb := decideHost(a, pr.host), decideHost(b, pr.host)
		if va.Allowed == vb.Allowed {
			continue
		}
		out = append(out, HostChange{Host: pr.label, From: allowedWord(va.Allowed), To: allowedWord(vb.Allowed),
			Widens: vb.Allowed, Old: hostSummary(va), New: hostSummary(vb)})
	}
	return out
}

func allowedWord(b bool) string {
	if b {
		return "allowed"
	}
	return "blocked"
}

type hostProbe struct{ label, host string }

// hostProbes are, for each domain pattern of either side, its host and a
// subdomain of it; for "*", a host no pattern names.
func hostProbes(pols ...*ir.Policy) []hostProbe {
	seen := map[string]bool{}
	var out []hostProbe
	add := func(label, h string) {
		if c, err := host.Canonical(h); err == nil && !seen[c] {
			seen[c] = true
			out = append(out, hostProbe{label, c})
		}
	}
	for _, p := range pols {
		for _, d := range p.Net.Domains {
			pat, err := host.ParsePattern(d.Pattern)
			if err != nil {
				continue
			}
			if pat.Kind == host.Any {
				add("<any host>", "permc-probe.example")
				continue
			}
			add(pat.Host, pat.Host)
			if _, ip := host.ParseIP(pat.Host); !ip {
				add("<sub>."+pat.Host, "permc-probe."+pat.Host)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].label < out[j].label })
	return out
}

// compareSockets compares the effective unix socket allowlists.
func compareSockets(a, b *ir.Policy) []SocketChange {
	out := compareSocketSets(a, b, socketSet(a, ""), socketSet(b, ""), "")
	// macOS reads a deny through the /private links and in any case: a
	// change seen only there is listed with the target named.
	seen := map[string]bool{}
	for _, c := range out {
		seen[c.Path] = true
	}
	for _, c := range compareSocketSets(a, b, socketSet(a, ir.MacOS), socketSet(b, ir.MacOS), ir.MacOS) {
		if !seen[strings.TrimSuffix(c.Path, " (macos)")] {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func compareSocketSets(a, b *ir.Policy, sa, sb map[string]ir.Origin, t ir.Target) []SocketChange {
	tag := ""
	if t != "" {
		tag = " (" + string(t) + ")"
	}
	var out []SocketChange
	for path, o := range sb {
		if _, ok := sa[path]; !ok {
			out = append(out, SocketChange{Path: path + tag, Allowed: true, Widens: true, At: at(o)})
		}
	}
	for path, o := range sa {
		if _, ok := sb[path]; !ok {
			// Cite the deny that removed it, when there is one.
			for _, s := range b.Net.UnixSockets {
				if s.Path == path && !s.Allow {
					o = s.Origin
				}
			}
			out = append(out, SocketChange{Path: path + tag, Allowed: false, At: at(o)})
		}
	}
	return out
}

// socketSet is the socket allowlist as target t reads it ("": as spelled).
func socketSet(p *ir.Policy, t ir.Target) map[string]ir.Origin {
	out := map[string]ir.Origin{}
	socks := p.Net.AllowedUnixSockets()
	if t != "" {
		socks = p.Net.AllowedUnixSocketsOn(t)
	}
	for _, s := range socks {
		out[s.Path] = s.Origin
	}
	return out
}

// hostSummary says in a few words what decided a host.
func hostSummary(e *HostExplanation) string {
	switch {
	case e.Guard != nil && e.Guard.Reached && !e.Guard.Passed:
		return fmt.Sprintf("blocked by the local/private guard (%s)", e.Guard.Range)
	case e.DecidedBy != nil && e.DecidedBy.Allow:
		return "allowed by " + e.DecidedBy.String()
	case e.DecidedBy != nil:
		return "denied by " + e.DecidedBy.String()
	case e.Network == ir.NetOff:
		return "network is off"
	}
	return e.Reason
}
