package host

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePattern(t *testing.T) {
	cases := []struct {
		name, in string
		want     Pattern
		str      string // canonical spelling
	}{
		{"any", "*", Pattern{Kind: Any}, "*"},
		{"any spaced", "  * ", Pattern{Kind: Any}, "*"},
		{"exact", "api.openai.com", Pattern{Exact, "api.openai.com"}, "api.openai.com"},
		{"sub", "*.github.com", Pattern{Sub, "github.com"}, "*.github.com"},
		{"apexsub", "**.example.com", Pattern{ApexSub, "example.com"}, "**.example.com"},
		{"normalised", " **.Example.COM. ", Pattern{ApexSub, "example.com"}, "**.example.com"},
		{"simple port", "example.com:443", Pattern{Exact, "example.com"}, "example.com"},
		{"wildcard port", "*.example.com:8443", Pattern{Sub, "example.com"}, "*.example.com"},
		{"idna", "bücher.example", Pattern{Exact, "xn--bcher-kva.example"}, "xn--bcher-kva.example"},
		{"idna sub", "*.BÜCHER.example", Pattern{Sub, "xn--bcher-kva.example"}, "*.xn--bcher-kva.example"},
		{"localhost", "localhost", Pattern{Exact, "localhost"}, "localhost"},
		{"ip", "127.0.0.1", Pattern{Exact, "127.0.0.1"}, "127.0.0.1"},
		{"numeric ip", "0x7f.1", Pattern{Exact, "127.0.0.1"}, "127.0.0.1"},
		{"decimal ip", "2852039166", Pattern{Exact, "169.254.169.254"}, "169.254.169.254"},
		{"ip trailing dot", "169.254.169.254.", Pattern{Exact, "169.254.169.254"}, "169.254.169.254"},
		{"ipv6 bare", "::1", Pattern{Exact, "::1"}, "::1"},
		{"ipv6 bracketed port", "[::1]:8080", Pattern{Exact, "::1"}, "::1"},
		{"mapped", "[::ffff:127.0.0.1]", Pattern{Exact, "127.0.0.1"}, "127.0.0.1"},
		{"percent-encoded", "ex%41mple.com", Pattern{Exact, "example.com"}, "example.com"},
		{"wildcard tld", "*.com", Pattern{Sub, "com"}, "*.com"},
		{"underscore", "*.a_b.example", Pattern{Sub, "a_b.example"}, "*.a_b.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePattern(tc.in)
			if err != nil {
				t.Fatalf("ParsePattern(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParsePattern(%q) (-want +got):\n%s", tc.in, diff)
			}
			if diff := cmp.Diff(tc.str, got.String()); diff != "" {
				t.Errorf("String (-want +got):\n%s", diff)
			}
			again, err := ParsePattern(got.String())
			if err != nil || again != got {
				t.Errorf("ParsePattern(%q) = %v, %v; want %v", got.String(), again, err, got)
			}
		})
	}
}

func TestParsePatternErrors(t *testing.T) {
	const wildMsg = `"*" is allowed only as a whole first label: "*", "*.example.com" or "**.example.com"`
	cases := []errorCase{
		{"empty", "", Error{Msg: "empty pattern"}},
		{"blank", "   ", Error{Msg: "empty pattern"}},
		{"star inside label", "a*.example.com", Error{Offset: 1, Msg: wildMsg}},
		{"star label inside", "api.*.example.com", Error{Offset: 4, Msg: wildMsg}},
		{"second wildcard", "*.*.example.com", Error{Offset: 2, Msg: wildMsg}},
		{"star at end", "example.*", Error{Offset: 8, Msg: wildMsg}},
		{"three stars", "***.example.com",
			Error{Msg: `"***" is not a wildcard: use "*", "*.domain" or "**.domain"`}},
		{"star without dot", "*example.com",
			Error{Offset: 1, Msg: `"*" must be followed by "." and a domain, as in "*.example.com"`}},
		{"double star alone", "**",
			Error{Msg: `"**" needs a domain ("**.example.com"); use "*" for every host`}},
		{"wildcard without domain", "*.", Error{Offset: 2, Msg: `a wildcard needs a domain after "*."`}},
		{"wildcard port", "*:80",
			Error{Offset: 1, Msg: `"*" must be followed by "." and a domain, as in "*.example.com"`}},
		{"scheme", "https://example.com",
			Error{Msg: `a pattern is a host, not a url: remove "https://"`}},
		{"scheme after trim", "  http://x",
			Error{Offset: 2, Msg: `a pattern is a host, not a url: remove "http://"`}},
		{"path", "example.com/api",
			Error{Offset: 11, Msg: `a pattern is a host without a path: remove "/api"`}},
		{"backslash path", `example.com\api`,
			Error{Offset: 11, Msg: `a pattern is a host without a path: remove "\\api"`}},
		{"cidr", "10.0.0.0/8",
			Error{Offset: 8, Msg: "cidr ranges are not supported (10.0.0.0/8): a pattern names one host or ip address"}},
		{"cidr v6", "fc00::/7",
			Error{Offset: 6, Msg: "cidr ranges are not supported (fc00::/7): a pattern names one host or ip address"}},
		{"cidr bracketed", "[fc00::]/7",
			Error{Offset: 8, Msg: "cidr ranges are not supported (fc00::/7): a pattern names one host or ip address"}},
		{"empty label", "a..b", Error{Offset: 2, Msg: "empty label"}},
		{"leading dot", ".example.com", Error{Msg: "empty label"}},
		{"wildcard empty label", "*..example.com", Error{Offset: 2, Msg: "empty label"}},
		{"empty label after idna", "ü..example", Error{Offset: 3, Msg: "empty label"}},
		{"two trailing dots", "example.com..", Error{Offset: 12, Msg: "empty label"}},
		{"named port", "example.com:https",
			Error{Offset: 12, Msg: `port "https" is not a simple port number`}},
		{"port range", "example.com:80-90",
			Error{Offset: 12, Msg: `port "80-90" is not a simple port number`}},
		{"port out of range", "example.com:70000",
			Error{Offset: 12, Msg: "port 70000 is out of range 1-65535"}},
		{"two ports", "example.com:80:90",
			Error{Msg: `"example.com:80:90" is neither an ipv6 address nor a host with one simple port`}},
		{"bracket two ports", "[::1]:80:90",
			Error{Offset: 6, Msg: `port "80:90" is not a simple port number`}},
		{"empty port", "example.com:", Error{Offset: 12, Msg: `empty port after ":"`}},
		{"wildcard on ip", "*.10.0.0.1",
			Error{Msg: "a wildcard cannot apply to an ip address (10.0.0.1)"}},
		{"wildcard on short ip", "**.127.1",
			Error{Msg: "a wildcard cannot apply to an ip address (127.0.0.1)"}},
		{"wildcard on ipv6", "*.[::1]", Error{Msg: "a wildcard cannot apply to an ip address (::1)"}},
		{"unclosed bracket", "[::1", Error{Offset: 4, Msg: `missing "]" after "["`}},
		{"stray close", "::1]", Error{Offset: 3, Msg: `unexpected "]"`}},
		{"bracket inside", "a[b",
			Error{Offset: 1, Msg: `"[" may only open a bracketed ip address at the start`}},
		{"after bracket", "[::1]x",
			Error{Offset: 5, Msg: `unexpected "x" after "]": only ":port" may follow`}},
		{"bracketed name", "[example.com]",
			Error{Msg: `brackets must enclose an ip address, not "example.com"`}},
		{"userinfo", "user@example.com",
			Error{Offset: 4, Msg: `a pattern is a host without user info: remove "user@"`}},
		{"query", "example.com?x=1",
			Error{Offset: 11, Msg: `a pattern is a host without a query or fragment: remove "?x=1"`}},
		{"fragment", "example.com#top",
			Error{Offset: 11, Msg: `a pattern is a host without a query or fragment: remove "#top"`}},
		{"space inside", "example .com", Error{Offset: 7, Msg: "space inside a pattern"}},
		{"ends in number", "example.123",
			Error{Msg: `"example.123" ends in a number but is not an ipv4 address: "example" is not a number`}},
		{"bad ipv4", "1.2.3.256",
			Error{Offset: 6, Msg: `"1.2.3.256" is not a valid ipv4 address: "256" is out of range`}},
		{"bad character", "exa!mple.com", Error{Offset: 3, Msg: `invalid character '!' in host`}},
		{"encoded star", "%2A.example.com", Error{Msg: `"*" is not allowed in a host`}},
		{"bad idna", "xn--zz.example",
			Error{Msg: `"xn--zz.example" is not a valid domain name: invalid label "zz"`}},
		{"hyphen label", "*.-x.example", Error{Offset: 2, Msg: `label "-x" starts or ends with "-"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePattern(tc.in)
			checkError(t, tc, p, err)
		})
	}
}

func TestPatternMatch(t *testing.T) {
	cases := []struct {
		pattern, host string
		want          bool
	}{
		{"example.com", "example.com", true},
		{"example.com", "www.example.com", false},
		{"example.com", "notexample.com", false},
		{"*.example.com", "www.example.com", true},
		{"*.example.com", "a.b.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "badexample.com", false},
		{"**.example.com", "example.com", true},
		{"**.example.com", "a.b.example.com", true},
		{"**.example.com", "xexample.com", false},
		{"*", "anything.test", true},
		{"*", "127.0.0.1", true},
		{"127.0.0.1", "127.0.0.1", true},
		{"*.com", "example.com", true},
		{"*.com", "com", false},
	}
	for _, tc := range cases {
		p, err := ParsePattern(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(tc.host); got != tc.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tc.pattern, tc.host, got, tc.want)
		}
	}

	// Wildcards never match IP literals, even built by hand.
	for _, p := range []Pattern{{Sub, "0.1"}, {ApexSub, "0.0.1"}} {
		if p.Match("10.0.0.1") {
			t.Errorf("%v matched an ip literal", p)
		}
	}
}

func TestPatternJSON(t *testing.T) {
	in := []Pattern{{Kind: Any}, {Sub, "example.com"}, {ApexSub, "xn--bcher-kva.example"}, {Exact, "::1"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`["*","*.example.com","**.xn--bcher-kva.example","::1"]`, string(b)); diff != "" {
		t.Errorf("marshal (-want +got):\n%s", diff)
	}
	var out []Pattern
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`["a*.b"]`), &out); err == nil {
		t.Error("unmarshal of a bad pattern succeeded")
	}
}

func TestKindString(t *testing.T) {
	got := []string{Exact.String(), Sub.String(), ApexSub.String(), Any.String(), Kind(9).String()}
	want := []string{"exact", "sub", "apexsub", "any", "kind(9)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
