package seatbelt

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// evalCase runs one request against a profile body.
type evalCase struct {
	name string
	body string
	req  Request
	want bool
	line int // line of the deciding rule; 0 means no check
}

func runEval(t *testing.T, tests []evalCase, params map[string]string) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "(version 1)\n(deny default)\n" + tc.body
			p, err := Parse([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			prog, err := p.Resolve(params)
			if err != nil {
				t.Fatal(err)
			}
			d := prog.Evaluate(tc.req)
			if d.Allowed != tc.want {
				t.Errorf("Evaluate(%+v) = %v, want %v (by %+v)", tc.req, d.Allowed, tc.want, d.Rule)
			}
			if tc.line != 0 && (d.Rule == nil || d.Rule.Line != tc.line) {
				t.Errorf("decided by %+v, want line %d", d.Rule, tc.line)
			}
		})
	}
}

func TestEvaluateFileSemantics(t *testing.T) {
	read := func(p string) Request { return Request{Op: "file-read-data", Path: p} }
	write := func(p string) Request { return Request{Op: "file-write-data", Path: p} }
	params := map[string]string{"HOME": "/Users/dev", "Q": "/a.b(c)"}
	runEval(t, []evalCase{
		{"default denies", "", read("/x"), false, 2},
		{"subpath covers self", `(allow file-read* (subpath "/a"))`, read("/a"), true, 3},
		{"subpath covers below", `(allow file-read* (subpath "/a"))`, read("/a/b/c"), true, 3},
		{"subpath is not a prefix", `(allow file-read* (subpath "/a"))`, read("/ab"), false, 2},
		{"subpath root", `(allow file-read* (subpath "/"))`, read("/anything"), true, 3},
		{"literal only self", `(allow file-read* (literal "/a"))`, read("/a/b"), false, 2},
		{"family covers member", `(allow file-read* (literal "/a"))`, read("/a"), true, 3},
		{"family does not cover other", `(allow file-read* (literal "/a"))`, write("/a"), false, 2},
		{"last match wins", "(allow file-read* (subpath \"/a\"))\n(deny file-read* (subpath \"/a/b\"))",
			read("/a/b/c"), false, 4},
		{"later allow reopens", "(deny file-read* (subpath \"/a\"))\n(allow file-read* (subpath \"/a/b\"))",
			read("/a/b"), true, 4},
		{"earlier rule kept outside", "(allow file-read* (subpath \"/a\"))\n(deny file-read* (subpath \"/a/b\"))",
			read("/a/c"), true, 3},
		{"filters are alternatives", `(allow file-read* (literal "/x") (literal "/y"))`, read("/y"), true, 3},
		{"regex searches", `(allow file-read* (regex "b/c"))`, read("/a/b/c/d"), true, 3},
		{"regex anchored", `(allow file-read* (regex "^/a/[Bb](/|$)"))`, read("/a/B/x"), true, 3},
		{"regex anchored miss", `(allow file-read* (regex "^/a/[Bb](/|$)"))`, read("/a/Bx"), false, 2},
		{"require-all", `(allow file-read* (require-all (subpath "/a") (regex "z$")))`, read("/a/z"), true, 3},
		{"require-all one fails", `(allow file-read* (require-all (subpath "/a") (regex "z$")))`, read("/b/z"), false, 2},
		{"require-any", `(allow file-read* (require-any (literal "/q") (literal "/r")))`, read("/r"), true, 3},
		{"require-not", `(allow file-read* (require-not (subpath "/a")))`, read("/a/x"), false, 2},
		{"require-not outside", `(allow file-read* (require-not (subpath "/a")))`, read("/b"), true, 3},
		{"param", `(allow file-read* (subpath (param "HOME")))`, read("/Users/dev/x"), true, 3},
		{"string-append", `(allow file-read* (literal (string-append (param "HOME") "/.ssh")))`,
			read("/Users/dev/.ssh"), true, 3},
		{"regex-quote makes metacharacters literal",
			`(allow file-read* (regex (string-append "^" (regex-quote (param "Q")) "$")))`, read("/a.b(c)"), true, 3},
		{"regex-quote dot is not any",
			`(allow file-read* (regex (string-append "^" (regex-quote (param "Q")) "$")))`, read("/aXb(c)"), false, 2},
		{"dot matches newline", `(allow file-read* (regex "^/a.b$"))`, read("/a\nb"), true, 3},
		{"unlink is a write", `(allow file-write* (subpath "/a"))`, Request{Op: "file-write-unlink", Path: "/a/x"}, true, 3},
		{"unknown operation denied", `(allow default)`, Request{Op: "file-frobnicate", Path: "/"}, false, 0},
	}, params)
}

func TestEvaluateOtherSemantics(t *testing.T) {
	out := func(remote string) Request {
		return Request{Op: "network-outbound", Remote: remote, Local: "192.168.1.5:50000"}
	}
	runEval(t, []evalCase{
		{"remote loopback port", `(allow network-outbound (remote ip "localhost:3128"))`, out("127.0.0.1:3128"), true, 3},
		{"remote ipv6 loopback", `(allow network-outbound (remote ip "localhost:3128"))`, out("[::1]:3128"), true, 3},
		{"remote other port", `(allow network-outbound (remote ip "localhost:3128"))`, out("127.0.0.1:22"), false, 2},
		{"remote other host", `(allow network-outbound (remote ip "localhost:3128"))`, out("93.184.216.34:3128"), false, 2},
		{"remote any", `(allow network-outbound (remote ip "*:*"))`, out("93.184.216.34:443"), true, 3},
		{"local endpoint of outbound matches local filter", `(allow network-outbound (local ip "*:*"))`,
			out("93.184.216.34:443"), true, 3},
		{"bind loopback", `(allow network-bind (local ip "localhost:*"))`,
			Request{Op: "network-bind", Local: "127.0.0.1:8080"}, true, 3},
		{"bind elsewhere", `(allow network-bind (local ip "localhost:*"))`,
			Request{Op: "network-bind", Local: "0.0.0.0:8080"}, false, 2},
		{"unix socket path", `(allow network-outbound (remote unix-socket (path-literal "/private/var/run/docker.sock")))`,
			Request{Op: "network-outbound", Socket: "/private/var/run/docker.sock"}, true, 3},
		{"unix socket other", `(allow network-outbound (remote unix-socket (path-literal "/private/var/run/docker.sock")))`,
			Request{Op: "network-outbound", Socket: "/private/tmp/x.sock"}, false, 2},
		{"unix socket any", `(allow network-outbound (remote unix-socket))`,
			Request{Op: "network-outbound", Socket: "/x"}, true, 3},
		{"ip filter is not a socket", `(allow network-outbound (remote ip "*:*"))`,
			Request{Op: "network-outbound", Socket: "/x"}, false, 2},
		{"network family", `(allow network*)`, Request{Op: "network-inbound", Local: "127.0.0.1:1"}, true, 3},
		{"mach service", `(allow mach-lookup (global-name "com.apple.logd"))`,
			Request{Op: "mach-lookup", Name: "com.apple.logd"}, true, 3},
		{"mach other", `(allow mach-lookup (global-name "com.apple.logd"))`,
			Request{Op: "mach-lookup", Name: "com.apple.securityd"}, false, 2},
		{"sysctl prefix", `(allow sysctl-read (sysctl-name-prefix "hw.optional."))`,
			Request{Op: "sysctl-read", Name: "hw.optional.arm64"}, true, 3},
		{"signal same sandbox", `(allow signal (target same-sandbox))`,
			Request{Op: "signal", Target: "same-sandbox"}, true, 3},
		{"signal outside", `(allow signal (target same-sandbox))`, Request{Op: "signal"}, false, 2},
	}, nil)
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"no version", `(deny default)`, "(version 1)"},
		{"no default", "(version 1)\n(allow file-read*)", "default"},
		{"case-insensitive regex", "(version 1)\n(deny default)\n(allow file-read* (regex \"(?i)^/a\"))", ""},
		{"raw regex string", "(version 1)\n(deny default)\n(allow file-read* (regex #\"^/a\"))", "sbpl"},
		{"unknown operation", "(version 1)\n(deny default)\n(allow file-frob)", "unknown operation"},
		{"unknown filter", "(version 1)\n(deny default)\n(allow file-read* (vnode-type REGULAR-FILE))", "unsupported filter"},
		{"modifier", "(version 1)\n(deny default)\n(allow (with report) file-read*)", "names no operation"},
		{"import", "(version 1)\n(deny default)\n(import \"system.sb\")", "unsupported top-level"},
		{"path filter on network", "(version 1)\n(deny default)\n(allow network-outbound (literal \"/x\"))", "does not take"},
		{"ip literal address", "(version 1)\n(deny default)\n(allow network-outbound (remote ip \"10.0.0.1:80\"))", ""},
		{"bad escape", "(version 1)\n(deny default)\n(allow file-read* (literal \"\\q\"))", "escape"},
		{"default with filter", "(version 1)\n(deny default (literal \"/x\"))", "default"},
		{"backreference", "(version 1)\n(deny default)\n(allow file-read* (regex \"(a)\\\\1\"))", ""},
		{"interval", "(version 1)\n(deny default)\n(allow file-read* (regex \"a{2}\"))", ""},
		{"class name", "(version 1)\n(deny default)\n(allow file-read* (regex \"[[:alpha:]]\"))", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.src))
			if err == nil {
				_, err = p.Resolve(nil)
			}
			if err == nil {
				t.Fatalf("accepted %q", tc.src)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestResolveNeedsParams(t *testing.T) {
	p, err := Parse([]byte("(version 1)\n(deny default)\n(allow file-read* (subpath (param \"HOME\")))"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"HOME"}, p.Params()); diff != "" {
		t.Errorf("Params() (-want +got):\n%s", diff)
	}
	if _, err := p.Resolve(map[string]string{}); err == nil || !strings.Contains(err.Error(), "HOME") {
		t.Errorf("Resolve without HOME: %v", err)
	}
}

func TestRuleComments(t *testing.T) {
	src := "(version 1)\n; first\n; second\n(deny default)\n(allow file-read*\n  ; inner\n  (literal \"/a\"))\n"
	p, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{p.Rules[0].Comment, p.Rules[1].Comment}
	if diff := cmp.Diff([]string{"first\nsecond", ""}, got); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	if want := "(allow file-read*\n  ; inner\n  (literal \"/a\"))"; p.Rules[1].Text != want {
		t.Errorf("Text = %q, want %q", p.Rules[1].Text, want)
	}
}

func TestCompileRegexDialect(t *testing.T) {
	ok := []string{`^/a(/|$)`, `[^/]*\.env`, `[]a]`, `[-^]`, `[\\[-]`, `(.*/)?x`, `a|b`, `[Iiİ]`, `^/dev/ttys[0-9]+$`}
	bad := []string{`(?i)a`, `a{2}`, `\d`, `(a)\1`, `[[:alpha:]]`, `a**`, `^*`, `(|a)`, `[a`, `a]`,
		`[\]]`, `\/`, `[z-a]`, `()`}
	for _, re := range ok {
		if _, err := compileRegex(re); err != nil {
			t.Errorf("compileRegex(%q) = %v, want ok", re, err)
		}
	}
	for _, re := range bad {
		if _, err := compileRegex(re); err == nil {
			t.Errorf("compileRegex(%q) accepted", re)
		}
	}
}
