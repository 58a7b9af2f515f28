package seatbelt

import (
	"github.com/permc/permc/ir"
)

// network writes the network forms. Off: none. Full: every IP endpoint.
// Proxied: outbound only to the proxy's loopback ports, given as
// parameters, judged on the remote endpoint. Unix sockets only when the
// profile has network and lists them.
func (c *compiler) network() error {
	n := &c.p.Net
	switch n.Mode() {
	case ir.NetOff:
		c.w.comment(c.netOrigin("enabled") + " network off: no network operation is allowed")
		return nil
	case ir.NetFull:
		if err := c.fullNetwork(); err != nil {
			return err
		}
	case ir.NetProxied:
		if err := c.proxiedNetwork(); err != nil {
			return err
		}
	}
	c.unixSockets()
	return nil
}

func (c *compiler) fullNetwork() error {
	for _, f := range []string{"network.sb", "network_full.sb"} {
		if err := c.w.writeBuiltin(f); err != nil {
			return err
		}
	}
	o := c.netOrigin("enabled") + " network enabled without domains: full network"
	c.w.form(o, "allow", []string{"network-outbound"}, []string{`(remote ip "*:*")`})
	c.w.form(o, "allow", []string{"network-bind", "network-inbound"}, []string{`(local ip "*:*")`})
	return nil
}

func (c *compiler) proxiedNetwork() error {
	if err := c.w.writeBuiltin("network.sb"); err != nil {
		return err
	}
	n := &c.p.Net
	o := c.netOrigin("domains", "enabled") + " domains: only through permc's proxy"
	c.w.form(o+" (http)", "allow", []string{"network-outbound"}, []string{c.loopback("PROXY_PORT")})
	if n.EnableSOCKS5 {
		c.w.form(c.netOrigin("enable_socks5", "domains")+" socks5 proxy", "allow",
			[]string{"network-outbound"}, []string{c.loopback("SOCKS_PORT")})
	}
	if n.EnableSOCKS5 && n.EnableSOCKS5UDP {
		c.w.form(c.netOrigin("enable_socks5_udp", "domains")+" socks5 udp relay", "allow",
			[]string{"network-outbound"}, []string{c.loopback("SOCKS_UDP_PORT")})
	}
	if n.AllowLocalBinding {
		c.w.form(c.netOrigin("allow_local_binding")+" allow_local_binding: servers on loopback", "allow",
			[]string{"network-bind", "network-inbound"}, []string{`(local ip "localhost:*")`})
	}
	return nil
}

// loopback is a remote-endpoint filter for the loopback port in param.
func (c *compiler) loopback(param string) string {
	return "(remote ip " + appendExpr(`"localhost:"`, c.w.param(param)) + ")"
}

func (c *compiler) unixSockets() {
	n := &c.p.Net
	if n.DangerouslyAllowAllUnixSockets {
		o := c.netOrigin("dangerously_allow_all_unix_sockets") + " all unix sockets"
		c.w.form(o, "allow", []string{"network-outbound"}, []string{"(remote unix-socket)"})
		c.w.form(o, "allow", []string{"network-bind", "network-inbound"}, []string{"(local unix-socket)"})
		for _, s := range n.UnixSockets {
			if !s.Allow {
				c.w.form(s.Origin.String()+" unix socket denied", "deny", []string{"network-outbound"},
					socketFilters(s.Path))
			}
		}
		return
	}
	for _, s := range n.AllowedUnixSocketsOn(ir.MacOS) {
		c.w.form(s.Origin.String()+" unix socket allowed", "allow", []string{"network-outbound"},
			socketFilters(s.Path))
	}
}

// socketFilters names a socket path in its canonical and spelled forms.
func socketFilters(p string) []string {
	comps, ok := ir.SplitPath(ir.MacOS, p)
	if !ok {
		return []string{"(remote unix-socket (path-literal " + Quote(p) + "))"}
	}
	var out []string
	for _, s := range spellings(&entry{comps: comps, literal: true}) {
		out = append(out, "(remote unix-socket (path-literal "+Quote(s)+"))")
	}
	return out
}

// netOrigin returns the origin of the first network key written, else the
// profile's.
func (c *compiler) netOrigin(keys ...string) string {
	for _, k := range keys {
		if o, ok := c.p.Net.Origins[k]; ok {
			return o.String()
		}
	}
	return c.p.Origin.String()
}
