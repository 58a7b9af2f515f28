package host

import (
	"errors"
	"testing"
)

var fuzzSeeds = []string{
	"", "*", "**", "*.", "*.example.com", "**.example.com", "example.com", "EXAMPLE.com.",
	"example.com:443", "[::1]:80", "::1", "::ffff:127.0.0.1", "::127.0.0.1", "2130706433",
	"0x7f.1", "0177.0.0.1", "127.1", "0x", "4294967296", "bücher.example", "xn--zz",
	"xn--bcher-kva.example", "faß.de", "１２７.０.０.１", "example。com", "%31%32%37.0.0.1",
	"%25", "a%", "a..b", "a*.b", "https://x", "x/y", "10.0.0.0/8", "[fc00::]/7", "user@x",
	"x?y", "a b", "[::1", "::1]", "[::1]x", "[example.com]", "fe80::1%eth0", "[fe80::1%25eth0]",
	"r3---sn-x.googlevideo.com", "-a.b", "a_b.c", "*.[::1]", "**.127.1", "\x00", "\xff\xfe",
	"xn--a", "a.0x7f", "1.2.3.4.5",
}

// FuzzCanonical: no panic, errors are *Error with an offset inside the
// input, the output is a fixed point, and it reads back as an exact pattern.
func FuzzCanonical(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Canonical(s)
		if err != nil {
			checkFuzzError(t, s, err)
			return
		}
		again, err := Canonical(h)
		if err != nil || again != h {
			t.Fatalf("Canonical(%q) = %q; Canonical(%q) = %q, %v", s, h, h, again, err)
		}
		p, err := ParsePattern(h)
		if err != nil || p != (Pattern{Exact, h}) {
			t.Fatalf("ParsePattern(%q) = %v, %v; want exact", h, p, err)
		}
		ip, ok := classify(h)
		if !ok {
			t.Fatalf("canonical %q refused by the matcher", h)
		}
		if _, isIP := ParseIP(h); isIP != ip {
			t.Fatalf("ParseIP(%q) = %v, classify says %v", h, isIP, ip)
		}
	})
}

// FuzzParsePattern: no panic, errors are *Error with an offset inside the
// input, and a pattern re-parses from its String to the same Pattern.
func FuzzParsePattern(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePattern(s)
		if err != nil {
			checkFuzzError(t, s, err)
			return
		}
		q, err := ParsePattern(p.String())
		if err != nil || q != p {
			t.Fatalf("ParsePattern(%q) = %v; from String %q: %v, %v", s, p, p.String(), q, err)
		}
		if p.Kind == Any {
			return
		}
		if h, err := Canonical(p.Host); err != nil || h != p.Host {
			t.Fatalf("host %q of %q is not canonical: %q, %v", p.Host, s, h, err)
		}
		if p.Kind != Exact && isIPLiteral(p.Host) {
			t.Fatalf("wildcard on ip literal: %v", p)
		}
		m := NewMatcher([]Rule{{Pattern: p, Allow: true}})
		if !m.Decide(p.Host).Allowed == (p.Kind != Sub) {
			t.Fatalf("%v decides its own host wrongly", p)
		}
	})
}

func checkFuzzError(t *testing.T, s string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %T is not *Error", s, err)
	}
	if e.Offset < 0 || e.Offset > len(s) || e.Input != s || e.Msg == "" {
		t.Fatalf("%q: bad error %+v", s, e)
	}
}
