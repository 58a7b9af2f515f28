package seatbelt_test

import (
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/permc/permc/backend/seatbelt"
	gen "github.com/permc/permc/backend/seatbelt/seatbelttest"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/runtime/macos"
)

var dev = ir.Binding{Home: "/Users/dev", Tmpdir: "/var/folders/ab/cd1234/T", SlashTmp: true,
	WorkspaceRoots: []string{"/Users/dev/code/app"}}

func at(line int) ir.Origin {
	return ir.Origin{Pos: diag.Pos{File: "config.toml", Line: line}, Profile: "p"}
}

func rule(line int, b ir.BaseKind, path string, a ir.Access) ir.FSRule {
	return ir.FSRule{Base: b, Path: path, Access: a, Glob: ir.HasGlobMeta(path), Origin: at(line)}
}

func policy(rules ...ir.FSRule) *ir.Policy {
	return &ir.Policy{Name: "p", Origin: at(1), FS: ir.FSPolicy{Rules: rules}, Net: ir.DefaultNetPolicy()}
}

// load compiles p and binds it for b as the macOS launcher does.
func load(t *testing.T, p *ir.Policy, b ir.Binding) (*seatbelt.Profile, *macos.Bound) {
	t.Helper()
	prof, err := seatbelt.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	bound, err := macos.Bind(prof.SBPL, &prof.Manifest, macos.FromBinding(b))
	if err != nil {
		t.Fatal(err)
	}
	return prof, bound
}

type probe struct {
	op, path string
	want     bool
}

// expect evaluates each probe and, for read and write data, also checks
// ir.Decide agrees (on the canonical path).
func expect(t *testing.T, p *ir.Policy, b ir.Binding, probes []probe) {
	t.Helper()
	_, bound := load(t, p, b)
	for _, pr := range probes {
		d := bound.Program.Check(pr.op, pr.path)
		if d.Allowed != pr.want {
			rule := "no rule"
			if d.Rule != nil {
				rule = fmt.Sprintf("line %d %s", d.Rule.Line, d.Rule.Comment)
			}
			t.Errorf("%s %q = %v, want %v (by %s)", pr.op, pr.path, d.Allowed, pr.want, rule)
		}
		ref := ir.Decide(p, ir.MacOS, b, pr.path)
		switch pr.op {
		case "file-read-data":
			if ref.Read != pr.want {
				t.Errorf("ir.Decide read %q = %v, the test expects %v", pr.path, ref.Read, pr.want)
			}
		case "file-write-data":
			if ref.Write != pr.want {
				t.Errorf("ir.Decide write %q = %v, the test expects %v", pr.path, ref.Write, pr.want)
			}
		}
	}
}

func TestSpecDocumentsReopen(t *testing.T) {
	p := policy(rule(3, ir.BaseMinimal, "", ir.Read),
		rule(4, ir.BaseHome, "Documents", ir.Deny), rule(5, ir.BaseHome, "Documents/codex", ir.Write))
	expect(t, p, dev, []probe{
		{"file-read-data", "/Users/dev/Documents/taxes.pdf", false},
		{"file-write-data", "/Users/dev/Documents/taxes.pdf", false},
		{"file-read-data", "/Users/dev/DOCUMENTS/taxes.pdf", false},
		{"file-read-data", "/Users/dev/Documents/codex/notes.md", true},
		{"file-write-data", "/Users/dev/Documents/codex/notes.md", true},
		{"file-write-unlink", "/Users/dev/Documents/codex/notes.md", true},
		{"file-read-data", "/Users/dev/other", false},
		{"file-read-data", "/usr/lib/libSystem.B.dylib", true},
		{"file-write-data", "/usr/lib/libSystem.B.dylib", false},
		// Rename guards: the home directory cannot be moved away.
		{"file-write-unlink", "/Users/dev", false},
		{"file-write-unlink", "/Users", false},
	})
}

// TestMacOSAliasPaths is cases/macos-alias-paths.md.
func TestMacOSAliasPaths(t *testing.T) {
	p := policy(rule(3, ir.BaseMinimal, "", ir.Read), rule(4, ir.BaseAbs, "/tmp/build-out", ir.Write),
		rule(5, ir.BaseAbs, "/var/tmp/vault", ir.Deny), rule(6, ir.BaseAbs, "/etc/service-secret.conf", ir.Deny))
	probes := []probe{
		{"file-read-data", "/private/var/tmp/vault/x", false},
		{"file-write-data", "/private/var/tmp/vault/x", false},
		{"file-read-data", "/private/tmp/build-out/x", true},
		{"file-write-data", "/private/tmp/build-out/x", true},
		{"file-read-data", "/private/etc/service-secret.conf", false},
		{"file-read-data", "/private/etc/hosts", true},
		{"file-read-data", "/PRIVATE/VAR/TMP/VAULT/x", false},
	}
	// The same through the links, should a check ever see the spelled path.
	for _, pr := range probes[:6] {
		probes = append(probes, probe{pr.op, strings.TrimPrefix(pr.path, "/private"), pr.want})
	}
	expect(t, p, dev, probes)
}

// TestDenyFileInReadableDir is cases/deny-file-in-readable-dir.md, with
// the workspace readable and then writable.
func TestDenyFileInReadableDir(t *testing.T) {
	ws := "/Users/dev/code/app"
	for _, a := range []ir.Access{ir.Read, ir.Write} {
		t.Run(a.String(), func(t *testing.T) {
			p := policy(rule(3, ir.BaseMinimal, "", ir.Read), rule(4, ir.BaseWorkspaceRoots, "", a),
				rule(5, ir.BaseWorkspaceRoots, "notes/secret.txt", ir.Deny),
				rule(6, ir.BaseWorkspaceRoots, "private", ir.Deny))
			expect(t, p, dev, []probe{
				{"file-read-data", ws + "/notes/public.txt", true},
				{"file-write-data", ws + "/notes/public.txt", a == ir.Write},
				{"file-read-data", ws + "/notes/secret.txt", false},
				{"file-read-data", ws + "/notes/Secret.TXT", false},
				{"file-read-data", ws + "/private/key.pem", false},
				{"file-read-data", ws + "/private", false},
				{"file-write-data", ws + "/private/new", false},
				{"file-write-unlink", ws + "/notes", false},
				{"file-write-unlink", ws + "/notes/public.txt", a == ir.Write},
			})
		})
	}
}

func TestReadOnlyProfileCannotWriteTmp(t *testing.T) {
	p := policy(rule(3, ir.BaseRoot, "", ir.Read), rule(4, ir.BaseMinimal, "", ir.Read))
	var probes []probe
	for _, d := range []string{"/tmp", "/private/tmp", "/var/tmp", "/private/var/tmp",
		"/private/var/folders/ab/cd1234/T"} {
		probes = append(probes, probe{"file-write-data", d + "/x", false}, probe{"file-read-data", d + "/x", true})
	}
	probes = append(probes, probe{"file-write-data", "/dev/null", true})
	expect(t, p, dev, probes)
}

func TestWorkspaceBuiltin(t *testing.T) {
	p := policy(rule(0, ir.BaseRoot, "", ir.Read), rule(0, ir.BaseWorkspaceRoots, "", ir.Write),
		rule(0, ir.BaseTmpdir, "", ir.Write), rule(0, ir.BaseSlashTmp, "", ir.Write))
	p.FS.ProtectMetadata = true
	ws := "/Users/dev/code/app"
	expect(t, p, dev, []probe{
		{"file-write-data", ws + "/src/main.go", true},
		{"file-write-data", ws + "/.git/config", false},
		{"file-read-data", ws + "/.git/config", true},
		{"file-write-data", ws + "/.codex", false},
		{"file-write-data", ws + "/.agents/x", false},
		{"file-write-data", "/private/tmp/x", true},
		{"file-write-data", "/private/var/folders/ab/cd1234/T/x", true},
		{"file-write-data", "/Users/dev/.zshrc", false},
		{"file-read-data", "/Users/dev/.zshrc", true},
	})
}

func TestNetwork(t *testing.T) {
	out := func(remote, local string) seatbelt.Request {
		return seatbelt.Request{Op: "network-outbound", Remote: remote, Local: local}
	}
	sock := func(op, path string) seatbelt.Request { return seatbelt.Request{Op: op, Socket: path} }
	bind := func(local string) seatbelt.Request { return seatbelt.Request{Op: "network-bind", Local: local} }
	type check struct {
		req  seatbelt.Request
		want bool
	}
	tests := []struct {
		name   string
		net    func(*ir.NetPolicy)
		checks []check
	}{
		{"off", func(n *ir.NetPolicy) {
			n.UnixSockets = []ir.UnixSocketRule{{Path: "/var/run/docker.sock", Allow: true}}
		}, []check{
			{sock("network-outbound", "/private/var/run/docker.sock"), false},
			{out("127.0.0.1:3128", "127.0.0.1:5000"), false},
			{out("93.184.216.34:443", "10.0.0.2:5000"), false},
			{sock("network-outbound", "/private/var/run/mDNSResponder"), false},
			{sock("network-outbound", "/private/var/run/syslog"), true},
		}},
		{"full", func(n *ir.NetPolicy) { n.Enabled = true }, []check{
			{out("93.184.216.34:443", "10.0.0.2:5000"), true},
			{sock("network-outbound", "/private/var/run/mDNSResponder"), true},
			{sock("network-outbound", "/private/var/run/docker.sock"), false},
			{bind("0.0.0.0:8080"), true},
		}},
		{"proxied", func(n *ir.NetPolicy) { n.Enabled, n.HasDomains = true, true }, []check{
			{out("127.0.0.1:3128", "127.0.0.1:5000"), true},
			{out("[::1]:8081", "[::1]:5000"), true},
			{out("127.0.0.1:22", "127.0.0.1:5000"), false},
			{out("93.184.216.34:443", "127.0.0.1:5000"), false},
			{out("93.184.216.34:3128", "10.0.0.2:5000"), false},
			{sock("network-outbound", "/private/var/run/mDNSResponder"), false},
			{bind("127.0.0.1:8080"), false},
		}},
		{"proxied local binding", func(n *ir.NetPolicy) {
			n.Enabled, n.HasDomains, n.AllowLocalBinding = true, true, true
		}, []check{
			{bind("127.0.0.1:8080"), true},
			{bind("0.0.0.0:8080"), false},
			{seatbelt.Request{Op: "network-inbound", Local: "127.0.0.1:8080"}, true},
			{out("127.0.0.1:5432", "127.0.0.1:5000"), false},
		}},
		{"unix allowlist", func(n *ir.NetPolicy) {
			n.Enabled, n.HasDomains = true, true
			n.UnixSockets = []ir.UnixSocketRule{{Path: "/var/run/docker.sock", Allow: true},
				{Path: "/tmp/old.sock", Allow: false}}
		}, []check{
			{sock("network-outbound", "/private/var/run/docker.sock"), true},
			{sock("network-outbound", "/private/tmp/old.sock"), false},
			{sock("network-outbound", "/private/tmp/other.sock"), false},
		}},
		{"a deny in the other spelling of a /private link", func(n *ir.NetPolicy) {
			n.Enabled, n.HasDomains = true, true
			n.UnixSockets = []ir.UnixSocketRule{{Path: "/private/var/run/docker.sock", Allow: true},
				{Path: "/var/run/docker.sock", Allow: false}, {Path: "/var/run/a.sock", Allow: true},
				{Path: "/private/var/run/a.sock", Allow: false}}
		}, []check{
			{sock("network-outbound", "/private/var/run/docker.sock"), false},
			{sock("network-outbound", "/var/run/docker.sock"), false},
			{sock("network-outbound", "/private/var/run/a.sock"), false},
		}},
		{"a deny in another case", func(n *ir.NetPolicy) {
			n.Enabled, n.HasDomains = true, true
			n.UnixSockets = []ir.UnixSocketRule{{Path: "/Users/dev/.colima/docker.sock", Allow: true},
				{Path: "/users/dev/.colima/docker.sock", Allow: false}}
		}, []check{
			{sock("network-outbound", "/Users/dev/.colima/docker.sock"), false},
		}},
		{"all unix sockets", func(n *ir.NetPolicy) {
			n.Enabled, n.HasDomains, n.DangerouslyAllowAllUnixSockets = true, true, true
			n.UnixSockets = []ir.UnixSocketRule{{Path: "/tmp/old.sock", Allow: false}}
		}, []check{
			{sock("network-outbound", "/private/tmp/other.sock"), true},
			{sock("network-outbound", "/private/tmp/old.sock"), false},
			{sock("network-bind", "/private/tmp/mine.sock"), true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := policy(rule(3, ir.BaseMinimal, "", ir.Read))
			tc.net(&p.Net)
			_, bound := load(t, p, dev)
			for _, c := range tc.checks {
				if got := bound.Program.Evaluate(c.req); got.Allowed != c.want {
					t.Errorf("%+v = %v, want %v", c.req, got.Allowed, c.want)
				}
			}
		})
	}
}

func TestNetworkParams(t *testing.T) {
	p := policy(rule(3, ir.BaseMinimal, "", ir.Read))
	p.Net.Enabled, p.Net.HasDomains, p.Net.ProxyURL = true, true, "http://127.0.0.1:9999"
	prof, err := seatbelt.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, prm := range prof.Manifest.Params {
		if prm.Form == "port" {
			got[prm.Name] = prm.Default
		}
	}
	want := map[string]string{"PROXY_PORT": "9999", "SOCKS_PORT": "8081", "SOCKS_UDP_PORT": "8081"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("port params (-want +got):\n%s", diff)
	}
	if strings.Contains(string(prof.SBPL), "(local ip \"*") || strings.Contains(string(prof.SBPL), "network*") {
		t.Errorf("a proxied profile must not allow by local endpoint or network*")
	}
}

// TestEveryFormHasOrigin: every rule carries a comment, the manifest lists
// exactly the parameters used, and file rules come in emitted order.
func TestEveryFormHasOrigin(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 40; i++ {
		p := gen.Policy(rng, "gen")
		p.Net.Enabled, p.Net.HasDomains = i%2 == 0, i%4 == 0
		prof, err := seatbelt.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := seatbelt.Parse(prof.SBPL)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range parsed.Rules {
			if strings.TrimSpace(r.Comment) == "" {
				t.Errorf("line %d has no comment: %s", r.Line, r.Text)
			}
		}
		var names []string
		for _, prm := range prof.Manifest.Params {
			names = append(names, prm.Name)
		}
		if diff := cmp.Diff(parsed.Params(), sortedCopy(names), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("manifest params (-used +listed):\n%s", diff)
		}
		checkRuleRefs(t, prof, parsed)
	}
}

// checkRuleRefs: refs are in order, deny globs last, each Line a form.
func checkRuleRefs(t *testing.T, prof *seatbelt.Profile, parsed *seatbelt.Parsed) {
	lines := map[int]bool{}
	for _, r := range parsed.Rules {
		lines[r.Line] = true
	}
	seenGlob := false
	for i, r := range prof.Manifest.Rules {
		if r.Order != i || !lines[r.Line] || (i > 0 && r.Line <= prof.Manifest.Rules[i-1].Line) {
			t.Errorf("rule ref %d out of order: %+v", i, r)
		}
		if seenGlob && r.Kind != "deny-glob" {
			t.Errorf("rule ref %d (%s) after a deny glob", i, r.Kind)
		}
		seenGlob = seenGlob || r.Kind == "deny-glob"
	}
}

func sortedCopy(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

func TestCompileIsDeterministic(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for i := 0; i < 30; i++ {
		p := gen.Policy(rng, "gen")
		a, err := seatbelt.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		shuffled := *p
		shuffled.FS.Rules = append([]ir.FSRule(nil), p.FS.Rules...)
		rng.Shuffle(len(shuffled.FS.Rules), func(i, j int) {
			shuffled.FS.Rules[i], shuffled.FS.Rules[j] = shuffled.FS.Rules[j], shuffled.FS.Rules[i]
		})
		b, err := seatbelt.Compile(&shuffled)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(a.SBPL), string(b.SBPL)); diff != "" {
			t.Fatalf("rule order changed the output (-first +shuffled):\n%s", diff)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	if _, err := seatbelt.Compile(&ir.Policy{Unrestricted: true}); !errors.Is(err, seatbelt.ErrUnrestricted) {
		t.Errorf("unrestricted: %v, want ErrUnrestricted", err)
	}
	tests := []struct{ name, path, want string }{
		{"negated class", "[!a]*.env", "negated classes are not supported"},
		{"doublestar inside", "a**.env", "whole component"},
		{"unclosed class", "[a.env", "malformed glob"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := seatbelt.Compile(policy(rule(7, ir.BaseWorkspaceRoots, tc.path, ir.Deny)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Compile(%q) = %v, want an error with %q", tc.path, err, tc.want)
			}
			var re *seatbelt.RuleError
			if !errors.As(err, &re) || re.Position().Line != 7 {
				t.Errorf("Compile(%q) = %v, want an error at the rule's line 7", tc.path, err)
			}
		})
	}
}

func TestForeignPathSkipped(t *testing.T) {
	p := policy(rule(3, ir.BaseMinimal, "", ir.Read), rule(4, ir.BaseAbs, `C:\work`, ir.Write))
	prof, err := seatbelt.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(prof.SBPL), `; config.toml:4 (p) "C:\\work" = write: not a macOS path, skipped`) {
		t.Errorf("the skipped rule is not noted in the profile")
	}
}

// TestSizeOf600Denies: SBPL for 600 deny paths stays under 256 KiB, for
// absolute, home and workspace paths alike.
func TestSizeOf600Denies(t *testing.T) {
	for _, b := range []ir.BaseKind{ir.BaseAbs, ir.BaseHome, ir.BaseWorkspaceRoots} {
		t.Run(b.String(), func(t *testing.T) {
			rules := []ir.FSRule{rule(1, ir.BaseMinimal, "", ir.Read), rule(2, ir.BaseRoot, "", ir.Read)}
			for i := 0; i < 600; i++ {
				path := fmt.Sprintf("secrets/project-%02d/credential-file-%03d.json", i%20, i)
				if b == ir.BaseAbs {
					path = "/Users/dev/" + path
				}
				rules = append(rules, rule(10+i, b, path, ir.Deny))
			}
			prof, err := seatbelt.Compile(policy(rules...))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(prof.SBPL); n >= 256<<10 {
				t.Errorf("SBPL is %d bytes, want under %d", n, 256<<10)
			} else {
				t.Logf("SBPL for 600 denies: %d bytes", n)
			}
		})
	}
}

// TestCompileConcurrent: the build driver may compile profiles in
// parallel; the shared tables are built once and the outputs agree.
func TestCompileConcurrent(t *testing.T) {
	want, err := seatbelt.Compile(projectEdit())
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			got, err := seatbelt.Compile(projectEdit())
			if err == nil && string(got.SBPL) != string(want.SBPL) {
				err = errors.New("concurrent compile gave different text")
			}
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
