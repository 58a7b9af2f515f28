package landlock

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/ir"
)

var update = flag.Bool("update", false, "rewrite the golden rulesets in testdata")

func netPolicy(enabled, domains, local bool) ir.NetPolicy {
	n := ir.DefaultNetPolicy()
	n.Enabled, n.HasDomains, n.AllowLocalBinding = enabled, domains, local
	n.Origins = map[string]ir.Origin{"proxy_url": at(20), "socks_url": at(21)}
	return n
}

func goldenPolicies() map[string]*ir.Policy {
	proxied := workspacePolicy(rule(ir.BaseHome, ".ssh", ir.Deny, 5))
	proxied.Net = netPolicy(true, true, false)
	full := restrictedPolicy(rule(ir.BaseWorkspaceRoots, "docs/**", ir.Read, 5))
	full.Net = netPolicy(true, false, false)
	full.Net.DangerouslyAllowAllUnixSockets = true
	return map[string]*ir.Policy{
		"workspace-proxied": proxied,
		"restricted-full":   full,
		"deny-in-readable": restrictedPolicy(rule(ir.BaseWorkspaceRoots, "private", ir.Deny, 5),
			rule(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 6)),
		"unrestricted": {Name: ":danger-full-access", Unrestricted: true},
	}
}

func TestCompileGolden(t *testing.T) {
	for name, p := range goldenPolicies() {
		t.Run(name, func(t *testing.T) {
			rs, diags := Compile(p)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			got, err := json.MarshalIndent(rs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
				t.Errorf("ruleset differs from %s (-want +got); run with -update if intended:\n%s", golden, diff)
			}
			var back Ruleset
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rs, &back); diff != "" {
				t.Errorf("JSON round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNetwork(t *testing.T) {
	tests := []struct {
		name    string
		net     ir.NetPolicy
		handled []string
		connect map[uint16]bool
		bind    map[uint16]bool
	}{
		{"off", netPolicy(false, false, false), []string{"bind_tcp", "connect_tcp"},
			map[uint16]bool{443: false, 3128: false}, map[uint16]bool{0: false, 8080: false}},
		{"proxied", netPolicy(true, true, false), []string{"bind_tcp", "connect_tcp"},
			map[uint16]bool{443: false, 3128: true, 8081: true}, map[uint16]bool{8080: false}},
		{"proxied local binding", netPolicy(true, true, true), nil,
			map[uint16]bool{443: true}, map[uint16]bool{8080: true}},
		{"full", netPolicy(true, false, false), nil,
			map[uint16]bool{443: true}, map[uint16]bool{8080: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := workspacePolicy()
			p.Net = tc.net
			rs, _ := Compile(p)
			if diff := cmp.Diff(tc.handled, rs.HandledNet); diff != "" {
				t.Errorf("handled (-want +got):\n%s", diff)
			}
			res, _ := Resolve(rs, ir.Binding{})
			got := map[uint16]bool{}
			for port := range tc.connect {
				got[port] = res.CanConnect(port)
			}
			if diff := cmp.Diff(tc.connect, got); diff != "" {
				t.Errorf("connect (-want +got):\n%s", diff)
			}
			got = map[uint16]bool{}
			for port := range tc.bind {
				got[port] = res.CanBind(port)
			}
			if diff := cmp.Diff(tc.bind, got); diff != "" {
				t.Errorf("bind (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBadProxyPort(t *testing.T) {
	p := workspacePolicy()
	p.Net = netPolicy(true, true, false)
	p.Net.ProxyURL = "http://127.0.0.1:notaport"
	_, diags := Compile(p)
	if len(diags.Errors()) != 1 || diags.Errors()[0].Pos != at(20).Pos {
		t.Errorf("diagnostics = %v, want one error at the proxy_url line", diags)
	}
}

func TestScopes(t *testing.T) {
	tests := []struct {
		name     string
		allowAll bool
		want     []string
	}{
		{"default", false, []string{"abstract_unix_socket", "signal"}},
		{"all unix sockets", true, []string{"signal"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := workspacePolicy()
			p.Net.DangerouslyAllowAllUnixSockets = tc.allowAll
			rs, _ := Compile(p)
			if diff := cmp.Diff(tc.want, rs.Scoped); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if rs.MinABI != 6 {
				t.Errorf("min ABI = %d, want 6", rs.MinABI)
			}
		})
	}
}

func TestCoverage(t *testing.T) {
	p := workspacePolicy(rule(ir.BaseHome, ".ssh", ir.Deny, 5), rule(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 6),
		rule(ir.BaseAbs, `C:\work`, ir.Write, 7), rule(ir.BaseWorkspaceRoots, "src/*.go", ir.Read, 8),
		rule(ir.BaseAbs, "/srv", ir.Read, 9), rule(ir.BaseAbs, "/srv", ir.Deny, 10))
	rs, _ := Compile(p)
	got := map[string]string{}
	for _, c := range rs.Coverage {
		got[c.Origin.Pos.String()] = c.By
	}
	want := map[string]string{
		"config.toml:1": ByLandlock, "config.toml:2": ByLandlock, "config.toml:3": ByLandlock,
		"config.toml:4": ByLandlock, "config.toml:5": ByMounts, "config.toml:6": ByMounts,
		"config.toml:7": ByNeither, "config.toml:8": ByNeither, "config.toml:9": ByMounts,
		"config.toml:10": ByMounts,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestGapsAndStandalone(t *testing.T) {
	b := ir.Binding{Home: "/home/dev", WorkspaceRoots: []string{"/home/dev/ws"}, Tmpdir: "/tmp/t", SlashTmp: true}
	tests := []struct {
		name string
		p    *ir.Policy
		gaps []string
	}{
		{"restricted workspace is standalone", restrictedPolicy(), nil},
		{"workspace protects metadata", workspacePolicy(), []string{"/home/dev/ws/.git"}},
		{"deny inside read root", &ir.Policy{FS: ir.FSPolicy{Rules: []ir.FSRule{
			rule(ir.BaseRoot, "", ir.Read, 1), rule(ir.BaseHome, ".ssh", ir.Deny, 2)}}},
			[]string{"/home/dev/.ssh"}},
		{"deny outside every grant", restrictedPolicy(rule(ir.BaseAbs, "/srv/x", ir.Deny, 4)), nil},
		{"read inside write", restrictedPolicy(rule(ir.BaseWorkspaceRoots, ".devcontainer", ir.Read, 4)),
			[]string{"/home/dev/ws/.devcontainer"}},
		{"glob below a grant", restrictedPolicy(rule(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 4)),
			[]string{"/home/dev/ws"}},
		{"minimal deny under root read", &ir.Policy{FS: ir.FSPolicy{Rules: []ir.FSRule{
			rule(ir.BaseRoot, "", ir.Read, 1), rule(ir.BaseMinimal, "", ir.Deny, 2)}}},
			[]string{"/bin", "/sbin", "/usr", "/etc", "/lib", "/lib64", "/nix/store", "/run/current-system/sw"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, _ := Compile(tc.p)
			res, _ := Resolve(rs, b)
			var got []string
			for _, g := range res.Gaps {
				got = append(got, g.Path)
			}
			if diff := cmp.Diff(tc.gaps, got); diff != "" {
				t.Errorf("gaps (-want +got):\n%s", diff)
			}
			if res.Standalone() != (len(tc.gaps) == 0) {
				t.Errorf("standalone = %v with gaps %v", res.Standalone(), got)
			}
		})
	}
}

func TestResolveBindsRoots(t *testing.T) {
	p := workspacePolicy(rule(ir.BaseHome, "cache", ir.Write, 5))
	p.FS.WorkspaceRoots = []ir.WorkspaceRoot{{Path: "~/code/lib", Origin: at(6)}}
	rs, _ := Compile(p)
	b := ir.Binding{Home: "/home/dev", WorkspaceRoots: []string{"/home/dev/ws"},
		LinkedGitDirs: map[string]string{"/home/dev/ws": "/home/dev/main/.git/worktrees/ws"}}
	res, _ := Resolve(rs, b)
	got := map[string]bool{}
	for _, rp := range res.Paths {
		got[rp.Path] = rp.Rights&writeBits != 0
	}
	want := map[string]bool{"/": false, "/home/dev/ws": true, "/home/dev/code/lib": true,
		"/home/dev/cache": true, "/home/dev/main/.git/worktrees/ws": false,
		"/dev/null": true, "/dev/zero": false, "/dev/random": false, "/dev/urandom": false,
		"/dev/tty": true, "/dev/pts": true, "/proc": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths and writability (-want +got):\n%s", diff)
	}
	if !res.Has("/dev/pts/3", "ioctl_dev") || res.Has("/dev/null", "ioctl_dev") {
		t.Error("ioctl_dev must be granted on the terminal only")
	}
}
