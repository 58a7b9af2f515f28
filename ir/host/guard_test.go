package host

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGuarded(t *testing.T) {
	cases := []struct {
		addr string
		want string // the range's name, "" when not guarded
	}{
		// Range boundaries, inside and just outside.
		{"0.0.0.0", "this network (unspecified)"},
		{"0.255.255.255", "this network (unspecified)"},
		{"1.0.0.0", ""},
		{"9.255.255.255", ""},
		{"10.0.0.0", "private"},
		{"10.255.255.255", "private"},
		{"11.0.0.0", ""},
		{"100.63.255.255", ""},
		{"100.64.0.0", "carrier-grade nat"},
		{"100.127.255.255", "carrier-grade nat"},
		{"100.128.0.0", ""},
		{"126.255.255.255", ""},
		{"127.0.0.1", "loopback"},
		{"127.255.255.255", "loopback"},
		{"128.0.0.0", ""},
		{"169.253.255.255", ""},
		{"169.254.0.0", "link-local"},
		{"169.254.169.254", "link-local"},
		{"169.255.0.0", ""},
		{"172.15.255.255", ""},
		{"172.16.0.0", "private"},
		{"172.31.255.255", "private"},
		{"172.32.0.0", ""},
		{"192.0.0.0", "ietf protocol assignments"},
		{"192.0.1.0", ""},
		{"192.0.2.1", "documentation"},
		{"192.0.3.0", ""},
		{"192.167.255.255", ""},
		{"192.168.0.0", "private"},
		{"192.168.255.255", "private"},
		{"192.169.0.0", ""},
		{"198.17.255.255", ""},
		{"198.18.0.0", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"198.20.0.0", ""},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"203.0.114.0", ""},
		{"223.255.255.255", ""},
		{"224.0.0.0", "multicast"},
		{"239.255.255.255", "multicast"},
		{"240.0.0.0", "reserved"},
		{"255.255.255.255", "reserved"},
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},

		// IPv6.
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::2", "this network (unspecified)"}, // IPv4-compatible 0.0.0.2
		{"fbff:ffff::1", ""},
		{"fc00::", "unique local"},
		{"fdff:ffff::1", "unique local"},
		{"fe00::1", ""},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"febf:ffff::1", "link-local"},
		{"fec0::1", "site-local"},
		{"ff02::1", "multicast"},
		{"2001:db8::1", "documentation"},
		{"2606:4700::1111", ""},

		// IPv4 inside IPv6, judged as the IPv4.
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:169.254.169.254", "link-local"},
		{"::ffff:10.1.2.3", "private"},
		{"::ffff:8.8.8.8", ""},
		{"::127.0.0.1", "loopback"},
		{"::a9fe:a9fe", "link-local"},
		{"::8.8.8.8", ""},
		{"64:ff9b::127.0.0.1", "loopback"},
		{"64:ff9b::8.8.8.8", ""},
		{"2002:c0a8:0101::1", "private"}, // 6to4 of 192.168.1.1
		{"2002:0808:0808::1", ""},
		// Local-use NAT64 (/48, the u octet skipped) and IPv4-translated.
		{"64:ff9b:1:a9fe:a9:fe00::", "link-local"}, // 169.254.169.254
		{"64:ff9b:1:7f00:0:100::", "loopback"},     // 127.0.0.1
		{"64:ff9b:1:808:8:800::", ""},              // 8.8.8.8
		{"::ffff:0:a9fe:a9fe", "link-local"},
		{"::ffff:0:7f00:1", "loopback"},
		{"::ffff:0:808:808", ""},
		{"2001:2::1", "benchmarking"},
		{"100::1", "discard-only"},
	}
	for _, tc := range cases {
		a := netip.MustParseAddr(tc.addr)
		r, ok := GuardedBy(a)
		if diff := cmp.Diff(tc.want, r.Name); diff != "" || ok != (tc.want != "") {
			t.Errorf("GuardedBy(%s) = %v, %v (-want +got):\n%s", tc.addr, r.Name, ok, diff)
		}
		if Guarded(a) != ok {
			t.Errorf("Guarded(%s) disagrees with GuardedBy", tc.addr)
		}
	}
	if !Guarded(netip.Addr{}) {
		t.Error("the zero Addr is not guarded")
	}
}

// The guard table is the data of platform-facts.md, in order.
func TestGuardRangesTable(t *testing.T) {
	var got []string
	for _, r := range GuardRanges() {
		got = append(got, r.Prefix.String())
	}
	want := []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "fec0::/10", "2001:db8::/32",
		"2001:2::/48", "100::/64",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("guard table (-want +got):\n%s", diff)
	}
}

// numeric-host-alias.md: no spelling of a denied or guarded address
// slips past the deny or the guard.
func TestNumericHostAliasCase(t *testing.T) {
	m := NewMatcher(rules(t, "allow *", "deny 169.254.169.254"))
	metadata := []string{
		"169.254.169.254", "2852039166", "0xa9fea9fe", "0xA9.0xFE.0xA9.0xFE",
		"0251.0376.0251.0376", "169.254.43518", "0251.0xfe.43518", "169.254.169.254.",
		"[169.254.169.254]:80", "::ffff:169.254.169.254", "[::ffff:a9fe:a9fe]",
		"::169.254.169.254", "%31%36%39.254.169.254", "１６９.２５４.１６９.２５４",
	}
	for _, s := range metadata {
		h, err := Canonical(s)
		if err != nil {
			t.Errorf("Canonical(%q): %v", s, err)
			continue
		}
		if v := m.Decide(h); v.Allowed || v.Deny == nil || v.Deny.ID != 1 {
			t.Errorf("%q (%s) not denied by rule 1: %+v", s, h, summarize(v))
		}
		if a, ok := ParseIP(h); !ok || !Guarded(a) {
			t.Errorf("%q (%s) not guarded", s, h)
		}
	}

	loopback := []string{
		"2130706433", "0x7f.1", "0177.0.0.1", "127.1", "127.0.0.1.", "[127.0.0.1]",
		"::ffff:127.0.0.1", "[::ffff:7f00:1]:8080", "::127.0.0.1", "0x7f000001",
	}
	for _, s := range loopback {
		h, err := Canonical(s)
		if err != nil || h != "127.0.0.1" {
			t.Errorf("Canonical(%q) = %q, %v; want 127.0.0.1", s, h, err)
			continue
		}
		if a, _ := ParseIP(h); !Guarded(a) {
			t.Errorf("%q not guarded", s)
		}
	}
}

// loopback-literal-allowlisted.md: the exact literal is the exception,
// nothing else is.
func TestLoopbackLiteralCase(t *testing.T) {
	m := NewMatcher(rules(t, "allow 127.0.0.1", "allow example.test"))
	cases := []struct {
		in   string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.0.0.1:8080", true},
		{"2130706433", true}, // the same address, so the same decision
		{"localhost", false},
		{"127.0.0.2", false},
		{"example.test", true}, // by name; the resolved address is the caller's check
	}
	for _, tc := range cases {
		h, err := Canonical(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.ExactlyAllowed(h); got != tc.want {
			t.Errorf("ExactlyAllowed(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
