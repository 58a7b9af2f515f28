// Package host is the one host and pattern grammar of permc, shared by the
// compiler (network.domains keys) and the proxy (the hosts clients ask
// for), so that both sides agree on what a host is and which rule decides.
//
// # What
//
// Canonical turns a host as a client may spell it into one canonical form.
// ParsePattern reads a network.domains key into a Pattern: Exact
// ("example.com"), Sub ("*.example.com", subdomains only), ApexSub
// ("**.example.com", the apex and subdomains) or Any ("*"). A Matcher
// decides a canonical host against many allow and deny rules (Rule.Check
// refuses a deny of "*"), and Guarded tells whether an address is in the
// local/private guard ranges.
//
// # Example
//
//	p, _ := host.ParsePattern("**.Example.COM.")      // ApexSub "example.com"
//	m := host.NewMatcher([]host.Rule{
//		{Pattern: p, Allow: true, ID: 0},
//		{Pattern: host.Pattern{Kind: host.Exact, Host: "ads.example.com"}, ID: 1},
//	})
//	h, _ := host.Canonical("ADS.example.com:443") // "ads.example.com"
//	m.Decide(h).Allowed                           // false: the deny wins
//
// # Guarantees
//
//   - One canonical form: Canonical(Canonical(x)) == Canonical(x), and a
//     Pattern's String parses back to the same Pattern. Every numeric IPv4
//     spelling that inet_aton or a WHATWG URL parser accepts (2130706433,
//     0x7f.1, 0177.0.0.1, 127.1, with a trailing dot, in brackets, as
//     IPv4-mapped or IPv4-compatible IPv6, percent-encoded, in full-width
//     digits) canonicalises to the same dotted quad, so no spelling slips
//     past a deny or the guard.
//   - A name whose last label is a number must be a valid IPv4 address,
//     as in the WHATWG host parser ("example.123" is an error).
//   - Deny wins over allow at any specificity; with no allow rule every
//     host is refused; wildcards never match IP literals; a Matcher refuses
//     a host that is not canonical (Verdict.Malformed) instead of guessing.
//   - Decide costs one map lookup per label of the host: 10,000 rules
//     decide as fast as ten.
//   - Errors are *Error values with a lowercase message and the byte
//     offset of the problem in the input, for a diagnostic at the column.
//   - Nothing panics on any input (fuzzed).
//
// # Limitations
//
//   - A port in a pattern is dropped, as the spec says: "example.com:8443"
//     applies to every port of example.com. Only simple decimal ports
//     1-65535 are accepted.
//   - No CIDR ranges: a pattern names one host or one IP address.
//   - IPv6 zones ("fe80::1%eth0") are refused.
//   - IDNA follows the UTS 46 lookup mapping, nontransitional, with label,
//     joiner and Bidi checks, but, as browsers do, it allows "_" in labels
//     and "--" in the third and fourth places ("r3---sn-x.googlevideo.com").
//     Labels may not start or end with "-".
//   - Resolving names, and deciding whether an exactly allowlisted literal
//     passes the guard, are the caller's (see Matcher.ExactlyAllowed).
//   - Guarded also judges NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
//     addresses by the IPv4 they embed, and guards fec0::/10 and
//     2001:db8::/32, which platform-facts.md does not list; Teredo and
//     other tunnels are not decoded.
//
// # Version notes
//
// The IDNA tables are those of golang.org/x/net/idna for the Unicode
// version of the Go toolchain; a newer Unicode version can accept a name
// an older one refused, never map an accepted name differently.
package host
