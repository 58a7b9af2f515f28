package winacl

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/ir"
)

// fwLine renders a rule on one line for comparison.
func fwLine(r FirewallRule) string {
	return strings.Join([]string{r.Name, r.Direction, r.Protocol,
		strings.Join(r.Remote, ","), strings.Join(r.Ports, ",")}, " ")
}

func TestFirewallRules(t *testing.T) {
	proxied := func(proxy, socks string, s5, udp bool) *ir.Policy {
		p := withNet(workspace(), true, true)
		p.Net.ProxyURL, p.Net.SOCKSURL = proxy, socks
		p.Net.EnableSOCKS5, p.Net.EnableSOCKS5UDP = s5, udp
		return p
	}
	tests := []struct {
		name string
		p    *ir.Policy
		want []string
	}{
		{"off", workspace(), []string{"out-all out any  ", "in-all in any  "}},
		{"full", withNet(workspace(), true, false), nil},
		{"defaults", proxied(ir.DefaultProxyURL, ir.DefaultSOCKSURL, true, true), []string{
			"out-other-addresses out any 0.0.0.0-127.0.0.0,127.0.0.2-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ",
			"out-tcp-127.0.0.1 out tcp 127.0.0.1 1-3127,3129-8080,8082-65535",
			"out-udp-127.0.0.1 out udp 127.0.0.1 1-8080,8082-65535",
			"in-all in any  ",
		}},
		{"http only, localhost", proxied("http://localhost:1", "", false, false), []string{
			"out-other-addresses out any 0.0.0.0-127.0.0.0,127.0.0.2-255.255.255.255,::,::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ",
			"out-tcp-127.0.0.1 out tcp 127.0.0.1 2-65535",
			"out-udp-127.0.0.1 out udp 127.0.0.1 1-65535",
			"out-tcp-::1 out tcp ::1 2-65535",
			"out-udp-::1 out udp ::1 1-65535",
			"in-all in any  ",
		}},
		{"unspecified listens on loopback", proxied("http://0.0.0.0:65535", "", false, false), []string{
			"out-other-addresses out any 0.0.0.0-127.0.0.0,127.0.0.2-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ",
			"out-tcp-127.0.0.1 out tcp 127.0.0.1 1-65534",
			"out-udp-127.0.0.1 out udp 127.0.0.1 1-65535",
			"in-all in any  ",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Compile(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range m.Mode(ir.ModeElevated).Firewall {
				if r.LocalUser != PhSandboxUser || r.Action != "block" {
					t.Errorf("rule %+v is not a block for the sandbox user", r)
				}
				got = append(got, fwLine(r))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("firewall (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFirewallRefusesHostnames(t *testing.T) {
	p := withNet(workspace(), true, true)
	p.Net.ProxyURL = "http://proxy.example:3128"
	if _, err := Compile(p); err == nil || !strings.Contains(err.Error(), "not an ip address") {
		t.Errorf("compile = %v, want an error about the host", err)
	}
}

func TestNetworkNotes(t *testing.T) {
	tests := []struct {
		name string
		p    *ir.Policy
		want []string
	}{
		{"container, off", rootDeny(), []string{"dns-client", "smb-redirector"}},
		{"container, proxied", withNet(rootDeny(), true, true),
			[]string{"dns-client", "smb-redirector", "loopback"}},
		{"sandbox user, off", workspace(), []string{"dns-client", "smb-redirector", "loopback"}},
		{"full network", withNet(workspace(), true, false), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Compile(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range m.Mode(ir.ModeElevated).Findings {
				if f.Support == "note" {
					got = append(got, f.Feature)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}
