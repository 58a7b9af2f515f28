package driver

import "github.com/permc/permc/ir"

// Network is network.json: what the proxy and the sandbox's network
// namespace enforce.
type Network struct {
	Mode        ir.NetMode          `json:"mode"`
	Proxy       *ProxySettings      `json:"proxy,omitempty"`
	Domains     []ir.DomainRule     `json:"domains"`
	UnixSockets []ir.UnixSocketRule `json:"unix_sockets"`
	AllUnix     bool                `json:"dangerously_allow_all_unix_sockets,omitempty"`
}

// ProxySettings are the listener and guard settings of a proxied profile.
type ProxySettings struct {
	HTTP               string `json:"http"`
	SOCKS5             string `json:"socks5,omitempty"`
	SOCKS5UDP          bool   `json:"socks5_udp"`
	AllowUpstreamProxy bool   `json:"allow_upstream_proxy"`
	AllowLocalBinding  bool   `json:"allow_local_binding"`
	NonLoopback        bool   `json:"dangerously_allow_non_loopback_proxy,omitempty"`
	// BlockAll is set when no allow entry exists: every request is refused.
	BlockAll bool `json:"block_all"`
}

// NetworkSummary derives network.json from a policy.
func NetworkSummary(p *ir.Policy) Network {
	n := &p.Net
	out := Network{Mode: n.Mode(), Domains: []ir.DomainRule{}, UnixSockets: n.AllowedUnixSockets(),
		AllUnix: n.DangerouslyAllowAllUnixSockets}
	if p.Unrestricted {
		out.Mode = ir.NetFull
	}
	if out.UnixSockets == nil {
		out.UnixSockets = []ir.UnixSocketRule{}
	}
	if out.Mode != ir.NetProxied {
		return out
	}
	out.Domains = n.Domains
	ps := &ProxySettings{HTTP: n.ProxyURL, SOCKS5UDP: n.EnableSOCKS5 && n.EnableSOCKS5UDP,
		AllowUpstreamProxy: n.AllowUpstreamProxy, AllowLocalBinding: n.AllowLocalBinding,
		NonLoopback: n.DangerouslyAllowNonLoopbackProxy, BlockAll: true}
	if n.EnableSOCKS5 {
		ps.SOCKS5 = n.SOCKSURL
	}
	for _, d := range n.Domains {
		if d.Allow {
			ps.BlockAll = false
		}
	}
	out.Proxy = ps
	return out
}
