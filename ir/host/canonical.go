package host

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// maxInput bounds the work spent on one host or pattern. A DNS name has at
// most 253 bytes; the slack covers brackets, a port, percent-encoding and
// non-ASCII spellings that shrink under IDNA.
const maxInput = 1024

// profile is the IDNA lookup profile: UTS 46 nontransitional mapping (case,
// width and compatibility forms), label validation, joiner and Bidi rules.
// It relaxes two checks of idna.Lookup the way browsers do, so real hosts
// stay reachable: "_" in a label (checkName still limits ASCII to letters,
// digits, "-" and "_") and "--" in the third and fourth places
// ("r3---sn-abc.googlevideo.com"). Options apply in order, so the two
// relaxations must follow MapForLookup, which sets both checks.
var profile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

// compat is the IPv4-compatible IPv6 block (RFC 4291, deprecated); its
// addresses other than :: and ::1 are treated as the IPv4 in the low bits.
var compat = netip.MustParsePrefix("::/96")

// Canonical returns the canonical form of a host as a client may spell it:
// trimmed, percent-decoded, lowercased, IDNA-encoded to punycode, without
// one trailing dot, brackets or a simple port; every numeric IPv4 spelling
// that inet_aton or a WHATWG URL parser accepts becomes a dotted quad, and
// IPv4-mapped or IPv4-compatible IPv6 becomes that IPv4; other IPv6 is in
// netip's form without brackets. The error is an *Error.
func Canonical(s string) (string, error) {
	h, err := canonical(s)
	if err != nil {
		return "", err
	}
	return h, nil
}

// canonical is Canonical with a concrete error type.
func canonical(s string) (string, *Error) {
	t, lead := trim(s)
	if t == "" {
		return "", errorAt(0, "empty host").finish(s)
	}
	if len(t) > maxInput {
		return "", errorAt(lead, "host is longer than %d bytes", maxInput).finish(s)
	}

	// Percent-decoding comes first, as in a URL parser; positions inside
	// the decoded text no longer match the input, so they are dropped.
	decoded := false
	if strings.IndexByte(t, '%') >= 0 {
		d, err := unescape(t)
		if err != nil {
			return "", err.shift(lead).finish(s)
		}
		t, decoded = d, true
	}
	h, err := hostPort(t)
	if err != nil {
		if decoded {
			err.Offset = 0
		}
		return "", err.shift(lead).finish(s)
	}
	return h, nil
}

// trim strips surrounding white space and says how much led.
func trim(s string) (string, int) {
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	lead := len(s) - len(t)
	return strings.TrimRightFunc(t, unicode.IsSpace), lead
}

// unescape decodes %XX sequences. A "%" left after decoding (double
// encoding, or an IPv6 zone) is refused rather than decoded again.
func unescape(t string) (string, *Error) {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if t[i] != '%' {
			b.WriteByte(t[i])
			continue
		}
		if i+2 >= len(t) || !isHex(t[i+1]) || !isHex(t[i+2]) {
			return "", errorAt(i, "invalid percent-encoding %q", t[i:min(i+3, len(t))])
		}
		v, _ := strconv.ParseUint(t[i+1:i+3], 16, 8)
		b.WriteByte(byte(v))
		i += 2
	}
	d := b.String()
	if strings.IndexByte(d, '%') >= 0 {
		return "", errorAt(0, `"%%" is not allowed in a host (no ipv6 zones, no double percent-encoding)`)
	}
	return d, nil
}

// hostPort splits off brackets and a simple port and canonicalises the
// rest. Two or more colons outside brackets can only be an IPv6 literal.
func hostPort(t string) (string, *Error) {
	if t[0] == '[' {
		return bracketed(t)
	}
	switch strings.Count(t, ":") {
	case 0:
		return name(t)
	case 1:
		i := strings.IndexByte(t, ':')
		if err := checkPort(t[i+1:]); err != nil {
			return "", err.shift(i + 1)
		}
		return name(t[:i])
	}
	return ipv6(t)
}

// bracketed handles "[ip]" and "[ip]:port".
func bracketed(t string) (string, *Error) {
	end := strings.IndexByte(t, ']')
	if end < 0 {
		return "", errorAt(0, `missing "]" after "["`)
	}
	if rest := t[end+1:]; rest != "" {
		if rest[0] != ':' {
			return "", errorAt(end+1, `unexpected %q after "]"`, rest)
		}
		if err := checkPort(rest[1:]); err != nil {
			return "", err.shift(end + 2)
		}
	}
	inner := t[1:end]
	if strings.IndexByte(inner, ':') >= 0 {
		h, err := ipv6(inner)
		if err != nil {
			return "", errorAt(1, "%q is not a valid ipv6 address", inner)
		}
		return h, nil
	}
	h, err := name(inner)
	if err != nil {
		return "", err.shift(1)
	}
	if _, ok := ParseIP(h); !ok {
		return "", errorAt(0, "brackets must enclose an ip address, not %q", inner)
	}
	return h, nil
}

// checkPort accepts a simple port: decimal digits, 1 to 65535.
func checkPort(p string) *Error {
	if p == "" {
		return errorAt(0, `empty port after ":"`)
	}
	if len(p) > 5 || !allDigits(p) {
		return errorAt(0, "port %q is not a simple port number", p)
	}
	if n, _ := strconv.Atoi(p); n < 1 || n > 65535 {
		return errorAt(0, "port %s is out of range 1-65535", p)
	}
	return nil
}

// ipv6 canonicalises an IPv6 literal without brackets.
func ipv6(t string) (string, *Error) {
	a, err := netip.ParseAddr(t)
	if err != nil || !a.Is6() {
		return "", errorAt(0, "%q is neither an ipv6 address nor a host with one simple port", t)
	}
	if a.Zone() != "" {
		return "", errorAt(strings.IndexByte(t, '%'), "ipv6 zones are not allowed")
	}
	return canonAddr(a).String(), nil
}

// canonAddr turns IPv4-mapped and IPv4-compatible IPv6 into IPv4.
func canonAddr(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() && compat.Contains(a) && !a.IsUnspecified() && !a.IsLoopback() {
		b := a.As16()
		return netip.AddrFrom4([4]byte(b[12:]))
	}
	return a
}

// name canonicalises a domain name or a numeric IPv4 spelling. As in the
// WHATWG host parser, IDNA mapping runs first (so full-width digits and
// dots count), then a name whose last label is a number must be an IPv4.
func name(t string) (string, *Error) {
	if !utf8.ValidString(t) {
		return "", errorAt(0, "host is not valid utf-8")
	}
	a, err := profile.ToASCII(t)
	if err != nil {
		why := strings.TrimPrefix(err.Error(), "idna: ")
		return "", errorAt(0, "%q is not a valid domain name: %s", t, why)
	}
	a = strings.TrimSuffix(a, ".")
	if a == "" {
		return "", errorAt(0, "empty host")
	}

	// Positions in a survive only when IDNA left the text alone.
	var e *Error
	if endsInNumber(a) {
		a, e = ipv4(a)
	} else {
		e = checkName(a)
	}
	if e != nil && !isASCII(t) {
		e.Offset = 0
	}
	return a, e
}

// checkName enforces the host alphabet and DNS lengths on an ASCII name.
func checkName(a string) *Error {
	if len(a) > 253 {
		return errorAt(0, "host is longer than 253 bytes")
	}
	start := 0
	for i := 0; i <= len(a); i++ {
		if i < len(a) && a[i] != '.' {
			if !nameByte[a[i]] {
				return badChar(a, i)
			}
			continue
		}
		if err := checkLabel(a[start:i]); err != nil {
			return err.shift(start)
		}
		start = i + 1
	}
	return nil
}

// checkLabel checks one label's length and hyphens.
func checkLabel(l string) *Error {
	switch {
	case l == "":
		return errorAt(0, "empty label")
	case len(l) > 63:
		return errorAt(0, "label %q is longer than 63 bytes", l)
	case l[0] == '-' || l[len(l)-1] == '-':
		return errorAt(0, `label %q starts or ends with "-"`, l)
	}
	return nil
}

// badChar names the first byte outside the host alphabet.
func badChar(a string, i int) *Error {
	if a[i] == '*' {
		return errorAt(i, `"*" is not allowed in a host`)
	}
	r, _ := utf8.DecodeRuneInString(a[i:])
	return errorAt(i, "invalid character %q in host", r)
}

// nameByte is the ASCII alphabet of a canonical domain name label.
var nameByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'] = true, true
	return t
}()

// endsInNumber is the WHATWG test: the last label is decimal digits, or
// "0x" followed by hex digits (possibly none).
func endsInNumber(a string) bool {
	return numberLabel(a[strings.LastIndexByte(a, '.')+1:])
}

// numberLabel reports whether a label is a number in the WHATWG sense.
func numberLabel(last string) bool {
	if last == "" {
		return false
	}
	if allDigits(last) {
		return true
	}
	return strings.HasPrefix(last, "0x") && allHexDigits(last[2:])
}

// ipv4 parses every numeric spelling inet_aton and WHATWG accept: one to
// four parts, each decimal, octal (leading 0) or hex (0x); the last part
// fills the remaining bytes ("127.1", "2130706433").
func ipv4(a string) (string, *Error) {
	parts := strings.Split(a, ".")
	if len(parts) > 4 {
		return "", errorAt(0, "%q is not a valid ipv4 address: more than four parts", a)
	}
	var v uint64
	off := 0
	for i, p := range parts {
		n, ok := ipv4Part(p)
		last := i == len(parts)-1
		switch {
		case !ok:
			return "", errorAt(off, "%q ends in a number but is not an ipv4 address: "+
				"%q is not a number", a, p)
		case !last && n > 255:
			return "", errorAt(off, "%q is not a valid ipv4 address: %q is above 255", a, p)
		case last && n >= 1<<(8*(5-len(parts))):
			return "", errorAt(off, "%q is not a valid ipv4 address: %q is out of range", a, p)
		}
		if last {
			v += n
		} else {
			v += n << (8 * (3 - i))
		}
		off += len(p) + 1
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String(), nil
}

// ipv4Part parses one part, saturating above 2^32 so no spelling wraps.
func ipv4Part(p string) (uint64, bool) {
	base := uint64(10)
	switch {
	case p == "":
		return 0, false
	case strings.HasPrefix(p, "0x"):
		base, p = 16, p[2:]
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	var n uint64
	for i := 0; i < len(p); i++ {
		d := hexVal(p[i])
		if d >= base {
			return 0, false
		}
		n = min(n*base+d, 1<<32+1)
	}
	return n, true
}

// ParseIP reports whether a canonical host is an IP literal, with its
// address. It is false for any other spelling, including IPv4-mapped IPv6,
// zones and numeric IPv4 forms that Canonical would rewrite.
func ParseIP(canonical string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(canonical)
	if err != nil || a.Zone() != "" || canonAddr(a) != a {
		return netip.Addr{}, false
	}
	var buf [64]byte
	if string(a.AppendTo(buf[:0])) != canonical {
		return netip.Addr{}, false
	}
	return a, true
}

// isIPLiteral tells an IP literal from a name among canonical hosts: a
// canonical name never ends in a number and never holds a colon.
func isIPLiteral(h string) bool {
	return strings.IndexByte(h, ':') >= 0 || endsInNumber(h)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func allHexDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return hexVal(c) < 16 }

// hexVal is the value of a hex digit, or 99 for any other byte.
func hexVal(c byte) uint64 {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0')
	case 'a' <= c && c <= 'f':
		return uint64(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return uint64(c - 'A' + 10)
	}
	return 99
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
