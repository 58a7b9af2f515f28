package host

import "net/netip"

// GuardRange is one block of the local/private-network guard.
type GuardRange struct {
	Prefix netip.Prefix
	Name   string // what the block is, for diagnostics and refusals
}

// guardRanges is the local/private guard, from platform-facts.md
// ("Network guard ranges") unless marked otherwise. IPv4-mapped and
// IPv4-compatible IPv6 are judged as their IPv4 (see guardAddr), so they
// need no rows of their own.
var guardRanges = []GuardRange{
	// IPv4.
	{pfx("0.0.0.0/8"), "this network (unspecified)"}, // RFC 791; 0.0.0.0 reaches the local host
	{pfx("10.0.0.0/8"), "private"},                   // RFC 1918
	{pfx("100.64.0.0/10"), "carrier-grade nat"},      // RFC 6598
	{pfx("127.0.0.0/8"), "loopback"},                 // RFC 1122
	{pfx("169.254.0.0/16"), "link-local"},            // RFC 3927; cloud metadata 169.254.169.254
	{pfx("172.16.0.0/12"), "private"},                // RFC 1918
	{pfx("192.0.0.0/24"), "ietf protocol assignments"},
	{pfx("192.0.2.0/24"), "documentation"},    // TEST-NET-1, RFC 5737
	{pfx("192.168.0.0/16"), "private"},        // RFC 1918
	{pfx("198.18.0.0/15"), "benchmarking"},    // RFC 2544
	{pfx("198.51.100.0/24"), "documentation"}, // TEST-NET-2
	{pfx("203.0.113.0/24"), "documentation"},  // TEST-NET-3
	{pfx("224.0.0.0/4"), "multicast"},         // RFC 5771
	{pfx("240.0.0.0/4"), "reserved"},          // RFC 1112, with broadcast 255.255.255.255

	// IPv6.
	{pfx("::/128"), "unspecified"},
	{pfx("::1/128"), "loopback"},
	{pfx("fc00::/7"), "unique local"}, // RFC 4193
	{pfx("fe80::/10"), "link-local"},  // RFC 4291
	{pfx("ff00::/8"), "multicast"},    // RFC 4291

	// Not in platform-facts. Site-local is deprecated (RFC 3879) but still
	// private where used; the documentation block (RFC 3849) is guarded as
	// the IPv4 test nets are.
	{pfx("fec0::/10"), "site-local"},
	{pfx("2001:db8::/32"), "documentation"},
	// The IPv6 twin of 198.18.0.0/15 (RFC 5180), and the discard-only
	// block (RFC 6666), which no destination should be.
	{pfx("2001:2::/48"), "benchmarking"},
	{pfx("100::/64"), "discard-only"},
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// Prefixes that embed an IPv4 address in their low or middle bits. Such an
// address is judged by its IPv4 as well, since a translator on the path
// turns it into that IPv4 (not in platform-facts; fail closed).
// Teredo (2001::/32) is left out: its client address is obscured, and the
// server address it carries is not where its traffic goes.
var (
	nat64      = pfx("64:ff9b::/96")    // RFC 6052 well-known prefix; IPv4 in the low 32 bits
	nat64Local = pfx("64:ff9b:1::/48")  // RFC 8215 local-use prefix; IPv4 in bits 48-63 and 72-87
	translated = pfx("::ffff:0:0:0/96") // RFC 2765 IPv4-translated (SIIT); IPv4 in the low 32 bits
	sixTo4     = pfx("2002::/16")       // RFC 3056; IPv4 in bits 16-47
)

// GuardRanges returns a copy of the guard table, for documentation and
// diagnostics.
func GuardRanges() []GuardRange {
	return append([]GuardRange(nil), guardRanges...)
}

// Guarded reports whether addr is in the local/private guard ranges,
// judging IPv4-mapped and IPv4-compatible IPv6 (and NAT64 and 6to4
// addresses) as their IPv4. An invalid address is guarded.
func Guarded(addr netip.Addr) bool {
	_, ok := GuardedBy(addr)
	return ok
}

// GuardedBy is Guarded with the range that matched. An invalid address
// reports a range named "invalid address" with a zero prefix.
func GuardedBy(addr netip.Addr) (GuardRange, bool) {
	if !addr.IsValid() {
		return GuardRange{Name: "invalid address"}, true
	}
	for _, a := range guardAddrs(addr.WithZone("")) {
		for _, r := range guardRanges {
			if r.Prefix.Contains(a) {
				return r, true
			}
		}
	}
	return GuardRange{}, false
}

// AddrForms returns the addresses a decision about a must cover: a in
// canonical form (IPv4-mapped and IPv4-compatible IPv6 as their IPv4),
// then the IPv4 a NAT64 or 6to4 address embeds, if any. Rules written
// for an IPv4 address hold for each form, as the guard does.
func AddrForms(a netip.Addr) []netip.Addr { return guardAddrs(a.WithZone("")) }

// guardAddrs is the address itself in canonical form, then the IPv4 a
// NAT64 or 6to4 address embeds, if any.
func guardAddrs(a netip.Addr) []netip.Addr {
	a = canonAddr(a)
	b := a.As16()
	switch {
	case nat64.Contains(a), translated.Contains(a):
		return []netip.Addr{a, netip.AddrFrom4([4]byte(b[12:]))}
	case nat64Local.Contains(a):
		// RFC 6052 2.2, a /48 prefix: bits 64-71 (the u octet) are
		// skipped.
		return []netip.Addr{a, netip.AddrFrom4([4]byte{b[6], b[7], b[9], b[10]})}
	case sixTo4.Contains(a):
		return []netip.Addr{a, netip.AddrFrom4([4]byte(b[2:6]))}
	}
	return []netip.Addr{a}
}
