package host

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The spellings of numeric-host-alias.md and of issue 7, each expected to
// reach one canonical form.
var canonicalCases = []struct {
	name, in, want string
}{
	// 127.0.0.1 in every spelling.
	{"dotted quad", "127.0.0.1", "127.0.0.1"},
	{"decimal", "2130706433", "127.0.0.1"},
	{"hex whole", "0x7f000001", "127.0.0.1"},
	{"hex two parts", "0x7f.1", "127.0.0.1"},
	{"hex upper", "0X7F.0X0.0X0.0X1", "127.0.0.1"},
	{"octal", "0177.0.0.1", "127.0.0.1"},
	{"octal whole", "017700000001", "127.0.0.1"},
	{"shortened", "127.1", "127.0.0.1"},
	{"three parts", "127.0.1", "127.0.0.1"},
	{"mixed", "0x7f.0.01", "127.0.0.1"},
	{"trailing dot", "127.0.0.1.", "127.0.0.1"},
	{"decimal trailing dot", "2130706433.", "127.0.0.1"},
	{"port", "127.0.0.1:8080", "127.0.0.1"},
	{"decimal port", "2130706433:80", "127.0.0.1"},
	{"bracketed ipv4", "[127.0.0.1]", "127.0.0.1"},
	{"bracketed ipv4 port", "[0x7f.1]:443", "127.0.0.1"},
	{"mapped", "::ffff:127.0.0.1", "127.0.0.1"},
	{"mapped hex", "::ffff:7f00:1", "127.0.0.1"},
	{"mapped bracketed port", "[::ffff:127.0.0.1]:80", "127.0.0.1"},
	{"mapped long form", "0:0:0:0:0:ffff:7f00:0001", "127.0.0.1"},
	{"compatible", "::127.0.0.1", "127.0.0.1"},
	{"compatible hex", "[::7f00:1]", "127.0.0.1"},
	{"percent-encoded", "%31%32%37.0.0.1", "127.0.0.1"},
	{"full-width digits", "１２７．０．０．１", "127.0.0.1"},
	{"spaces", "  127.0.0.1\t", "127.0.0.1"},
	{"zero", "0", "0.0.0.0"},
	{"bare 0x", "0x", "0.0.0.0"},
	{"broadcast", "4294967295", "255.255.255.255"},

	// 169.254.169.254, the cloud metadata address.
	{"metadata", "169.254.169.254", "169.254.169.254"},
	{"metadata decimal", "2852039166", "169.254.169.254"},
	{"metadata hex", "0xA9.0xFE.0xA9.0xFE", "169.254.169.254"},
	{"metadata hex whole", "0xa9fea9fe", "169.254.169.254"},
	{"metadata octal", "0251.0376.0251.0376", "169.254.169.254"},
	{"metadata shortened", "169.254.43518", "169.254.169.254"},
	{"metadata mapped", "[::ffff:a9fe:a9fe]", "169.254.169.254"},
	{"metadata compatible", "::169.254.169.254", "169.254.169.254"},

	// IPv6 other than mapped and compatible forms.
	{"loopback v6", "::1", "::1"},
	{"loopback v6 bracketed", "[::1]:443", "::1"},
	{"loopback v6 long", "0:0:0:0:0:0:0:1", "::1"},
	{"unspecified v6", "[::]", "::"},
	{"v6 upper", "[2001:DB8::A]", "2001:db8::a"},
	{"v6 leading zeros", "2001:0db8:0000::0001", "2001:db8::1"},
	{"nat64 stays v6", "64:ff9b::7f00:1", "64:ff9b::7f00:1"},

	// Names.
	{"lowercase", "EXAMPLE.com", "example.com"},
	{"name trailing dot", "example.com.", "example.com"},
	{"name port", "Example.COM:443", "example.com"},
	{"name trailing dot port", "example.com.:443", "example.com"},
	{"localhost", "LOCALHOST.", "localhost"},
	{"idna", "bücher.example", "xn--bcher-kva.example"},
	{"idna upper", "BÜCHER.example", "xn--bcher-kva.example"},
	{"punycode kept", "XN--BCHER-KVA.example", "xn--bcher-kva.example"},
	{"nontransitional sharp s", "faß.de", "xn--fa-hia.de"},
	{"ideographic full stop", "example。com", "example.com"},
	{"full-width letters", "ｅｘａｍｐｌｅ.com", "example.com"},
	{"percent-encoded name", "ex%41mple.com", "example.com"},
	{"percent-encoded utf-8", "b%C3%BCcher.example", "xn--bcher-kva.example"},
	{"underscore", "a_b.example.com", "a_b.example.com"},
	{"double hyphen", "r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com"},
	{"numeric label inside", "1.example.com", "1.example.com"},
	{"hex-looking label not last", "0x7f.example", "0x7f.example"},
	{"port max", "example.com:65535", "example.com"},
	{"port leading zero", "example.com:0080", "example.com"},
}

func TestCanonical(t *testing.T) {
	for _, tc := range canonicalCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonical(tc.in)
			if err != nil {
				t.Fatalf("Canonical(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Canonical(%q) (-want +got):\n%s", tc.in, diff)
			}
			again, err := Canonical(got)
			if err != nil || again != got {
				t.Errorf("Canonical(%q) = %q, %v; not idempotent", got, again, err)
			}
		})
	}
}

// errorCase is an input that must be refused, with the message and offset.
type errorCase struct {
	name, in string
	want     Error
}

func TestCanonicalErrors(t *testing.T) {
	cases := []errorCase{
		{"empty", "", Error{Msg: "empty host"}},
		{"blank", " \t", Error{Msg: "empty host"}},
		{"lone dot", ".", Error{Msg: "empty host"}},
		{"empty label", "a..b", Error{Offset: 2, Msg: "empty label"}},
		{"leading dot", ".example.com", Error{Msg: "empty label"}},
		{"two trailing dots", "example.com..", Error{Offset: 12, Msg: "empty label"}},
		{"star", "a*.example.com", Error{Offset: 1, Msg: `"*" is not allowed in a host`}},
		{"space inside", "ex ample.com", Error{Offset: 2, Msg: `invalid character ' ' in host`}},
		{"slash", "example.com/x", Error{Offset: 11, Msg: `invalid character '/' in host`}},
		{"offset after trim", "  a..b", Error{Offset: 4, Msg: "empty label"}},
		{"hyphen start", "-a.example", Error{Msg: `label "-a" starts or ends with "-"`}},
		{"hyphen end", "x.a-.example", Error{Offset: 2, Msg: `label "a-" starts or ends with "-"`}},
		{"long label", "a" + repeat("b", 64) + ".com",
			Error{Msg: `label "a` + repeat("b", 64) + `" is longer than 63 bytes`}},
		{"long name", repeat("a.", 127) + "com", Error{Msg: "host is longer than 253 bytes"}},
		{"huge", repeat("a", 2000), Error{Msg: "host is longer than 1024 bytes"}},
		{"ends in number", "example.123",
			Error{Msg: `"example.123" ends in a number but is not an ipv4 address: "example" is not a number`}},
		{"bad octal", "08.0.0.1",
			Error{Msg: `"08.0.0.1" ends in a number but is not an ipv4 address: "08" is not a number`}},
		{"five parts", "1.2.3.4.5",
			Error{Msg: `"1.2.3.4.5" is not a valid ipv4 address: more than four parts`}},
		{"part above 255", "1.256.3.4",
			Error{Offset: 2, Msg: `"1.256.3.4" is not a valid ipv4 address: "256" is above 255`}},
		{"decimal overflow", "4294967296",
			Error{Msg: `"4294967296" is not a valid ipv4 address: "4294967296" is out of range`}},
		{"huge decimal", "99999999999999999999999",
			Error{Msg: `"99999999999999999999999" is not a valid ipv4 address: "99999999999999999999999" is out of range`}},
		{"wraps past 2^64", "18446744075839225857", Error{Msg: `"18446744075839225857" is not a ` +
			`valid ipv4 address: "18446744075839225857" is out of range`}},
		{"hex wraps past 2^64", "0x1000000007f000001", Error{Msg: `"0x1000000007f000001" is not a ` +
			`valid ipv4 address: "0x1000000007f000001" is out of range`}},
		{"last part overflow", "127.16777216",
			Error{Offset: 4, Msg: `"127.16777216" is not a valid ipv4 address: "16777216" is out of range`}},
		{"empty port", "example.com:", Error{Offset: 12, Msg: `empty port after ":"`}},
		{"named port", "example.com:http",
			Error{Offset: 12, Msg: `port "http" is not a simple port number`}},
		{"port zero", "example.com:0", Error{Offset: 12, Msg: "port 0 is out of range 1-65535"}},
		{"port too big", "example.com:65536",
			Error{Offset: 12, Msg: "port 65536 is out of range 1-65535"}},
		{"two ports", "example.com:80:90",
			Error{Msg: `"example.com:80:90" is neither an ipv6 address nor a host with one simple port`}},
		{"bad ipv6", "1:2:3:4:5:6:7:8:9",
			Error{Msg: `"1:2:3:4:5:6:7:8:9" is neither an ipv6 address nor a host with one simple port`}},
		{"bad bracketed ipv6", "[1::2::3]",
			Error{Offset: 1, Msg: `"1::2::3" is not a valid ipv6 address`}},
		{"unclosed bracket", "[::1", Error{Msg: `missing "]" after "["`}},
		{"text after bracket", "[::1]x", Error{Offset: 5, Msg: `unexpected "x" after "]"`}},
		{"bracket bad port", "[::1]:x", Error{Offset: 6, Msg: `port "x" is not a simple port number`}},
		{"bracketed name", "[example.com]",
			Error{Msg: `brackets must enclose an ip address, not "example.com"`}},
		{"zone", "fe80::1%eth0", Error{Offset: 7, Msg: `invalid percent-encoding "%et"`}},
		{"encoded zone", "[fe80::1%25eth0]",
			Error{Msg: `"%" is not allowed in a host (no ipv6 zones, no double percent-encoding)`}},
		{"double encoding", "%2531.0.0.1",
			Error{Msg: `"%" is not allowed in a host (no ipv6 zones, no double percent-encoding)`}},
		{"truncated escape", "a%4", Error{Offset: 1, Msg: `invalid percent-encoding "%4"`}},
		{"encoded star", "%2a.example.com", Error{Msg: `"*" is not allowed in a host`}},
		{"invalid utf-8", "\xff\xfe", Error{Msg: "host is not valid utf-8"}},
		{"encoded invalid utf-8", "%ff.example", Error{Msg: "host is not valid utf-8"}},
		{"bad punycode", "xn--zz.example",
			Error{Msg: `"xn--zz.example" is not a valid domain name: invalid label "zz"`}},
		{"ascii punycode", "xn--abc-.example",
			Error{Msg: `"xn--abc-.example" is not a valid domain name: invalid label "abc-"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Canonical(tc.in)
			checkError(t, tc, h, err)
		})
	}
}

// checkError compares an error with the expected message and offset.
func checkError(t *testing.T, tc errorCase, got any, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: got %v, %v; want *Error %q", tc.in, got, err, tc.want.Msg)
	}
	want := tc.want
	want.Input = tc.in
	if diff := cmp.Diff(want, *e); diff != "" {
		t.Errorf("%q (-want +got):\n%s", tc.in, diff)
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for range n {
		b = append(b, s...)
	}
	return string(b)
}

func TestParseIP(t *testing.T) {
	cases := []struct {
		in     string
		want   string // "" when not a canonical IP literal
		wantOK bool
	}{
		{"127.0.0.1", "127.0.0.1", true},
		{"::1", "::1", true},
		{"2001:db8::1", "2001:db8::1", true},
		{"example.com", "", false},
		{"127.1", "", false},
		{"2130706433", "", false},
		{"::ffff:127.0.0.1", "", false},
		{"::127.0.0.1", "", false},
		{"2001:DB8::1", "", false},
		{"fe80::1%eth0", "", false},
		{"[::1]", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		a, ok := ParseIP(tc.in)
		got := ""
		if ok {
			got = a.String()
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || ok != tc.wantOK {
			t.Errorf("ParseIP(%q) = %q, %v (-want +got):\n%s", tc.in, got, ok, diff)
		}
	}
}

// Every canonical IP literal parses back with ParseIP.
func TestCanonicalIPsParse(t *testing.T) {
	for _, tc := range canonicalCases {
		h, err := Canonical(tc.in)
		if err != nil {
			continue
		}
		_, isIP := ParseIP(h)
		_, wantIP := netip.ParseAddr(h)
		if isIP != (wantIP == nil) {
			t.Errorf("ParseIP(%q) = %v, want %v", h, isIP, wantIP == nil)
		}
		if isIP != isIPLiteral(h) {
			t.Errorf("isIPLiteral(%q) = %v, want %v", h, isIPLiteral(h), isIP)
		}
	}
}

// BenchmarkCanonical measures the per-request cost the proxy pays.
func BenchmarkCanonical(b *testing.B) {
	hosts := []string{"api.github.com:443", "Bücher.example", "2130706433", "[::1]:8080"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Canonical(hosts[i%len(hosts)]); err != nil {
			b.Fatal(err)
		}
	}
}
