package winacl

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// modeResult is a mode's verdict: "usable", or the feature and line of
// the first rule it cannot enforce.
type modeResult struct {
	Model  Model
	Result string
}

func verdict(mm *ModeManifest) modeResult {
	if mm.Usable {
		return modeResult{mm.Model, "usable"}
	}
	return modeResult{mm.Model, mm.Unusable.Feature + "@" + mm.Unusable.Origin.Pos.Short()}
}

func withNet(p *ir.Policy, enabled, domains bool) *ir.Policy {
	p.Net.Enabled, p.Net.HasDomains = enabled, domains
	p.Net.Origins = map[string]ir.Origin{"enabled": at(20)}
	if domains {
		p.Net.Domains = []ir.DomainRule{{Pattern: "example.com", Allow: true, Origin: at(21)}}
	}
	return p
}

func TestModes(t *testing.T) {
	sock := withNet(workspace(), true, false)
	sock.Net.UnixSockets = []ir.UnixSocketRule{{Path: `C:\run\docker.sock`, Allow: true, Origin: at(9)}}
	tests := []struct {
		name       string
		p          *ir.Policy
		elevated   modeResult
		unelevated modeResult
	}{
		{"root deny case", rootDeny(),
			modeResult{ModelAppContainer, "usable"},
			modeResult{ModelWriteRestricted, "root-deny@p.toml:4"}},
		{"workspace, network off", workspace(),
			modeResult{ModelSandboxUser, "usable"},
			modeResult{ModelWriteRestricted, "net-off@p.toml:1"}},
		{"workspace, full network", withNet(workspace(), true, false),
			modeResult{ModelSandboxUser, "usable"},
			modeResult{ModelWriteRestricted, "usable"}},
		{"workspace, proxied", withNet(workspace(), true, true),
			modeResult{ModelSandboxUser, "usable"},
			modeResult{ModelWriteRestricted, "net-proxied@p.toml:20"}},
		{"deny glob", withNet(policy(rl(ir.BaseRoot, "", ir.Read, 3),
			rl(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 4)), true, false),
			modeResult{ModelSandboxUser, "usable"},
			modeResult{ModelWriteRestricted, "deny-glob@p.toml:4"}},
		{"deny carve-out", withNet(policy(rl(ir.BaseRoot, "", ir.Read, 3),
			rl(ir.BaseHome, ".ssh", ir.Deny, 4)), true, false),
			modeResult{ModelSandboxUser, "usable"},
			modeResult{ModelWriteRestricted, "deny-carveout@p.toml:4"}},
		{"access glob", withNet(policy(rl(ir.BaseRoot, "", ir.Read, 3),
			rl(ir.BaseWorkspaceRoots, "src/*.go", ir.Write, 4)), true, false),
			modeResult{ModelSandboxUser, "access-glob@p.toml:4"},
			modeResult{ModelWriteRestricted, "access-glob@p.toml:4"}},
		{"trailing double star", withNet(policy(rl(ir.BaseRoot, "", ir.Read, 3),
			rl(ir.BaseWorkspaceRoots, "docs/**", ir.Write, 4)), true, false),
			modeResult{ModelSandboxUser, "usable"},
			modeResult{ModelWriteRestricted, "usable"}},
		{"read restricted without minimal", policy(rl(ir.BaseRoot, "", ir.Deny, 3),
			rl(ir.BaseAbs, `C:\work`, ir.Write, 4)),
			modeResult{ModelAppContainer, "system-read@p.toml:3"},
			modeResult{ModelWriteRestricted, "root-deny@p.toml:3"}},
		{"no root rule", policy(rl(ir.BaseMinimal, "", ir.Read, 3)),
			modeResult{ModelAppContainer, "usable"},
			modeResult{ModelWriteRestricted, "read-restricted@p.toml:1"}},
		{"root write", withNet(policy(rl(ir.BaseRoot, "", ir.Write, 3)), true, false),
			modeResult{ModelSandboxUser, "volume-acl@p.toml:3"},
			modeResult{ModelWriteRestricted, "volume-acl@p.toml:3"}},
		{"volume root grant in a container", rootDenyWith(rl(ir.BaseAbs, `D:\`, ir.Read, 7)),
			modeResult{ModelAppContainer, "volume-acl@p.toml:7"},
			modeResult{ModelWriteRestricted, "root-deny@p.toml:4"}},
		{"share deny outside a container", withNet(policy(rl(ir.BaseRoot, "", ir.Read, 3),
			rl(ir.BaseAbs, `\\server\share\docs`, ir.Deny, 4)), true, false),
			modeResult{ModelSandboxUser, "remote-deny@p.toml:4"},
			modeResult{ModelWriteRestricted, "deny-carveout@p.toml:4"}},
		{"share deny in a container", rootDenyWith(rl(ir.BaseAbs, `\\server\share\docs`, ir.Deny, 7)),
			modeResult{ModelAppContainer, "usable"},
			modeResult{ModelWriteRestricted, "root-deny@p.toml:4"}},
		{"unix socket allowlist", sock,
			modeResult{ModelSandboxUser, "unix-socket-allow@p.toml:9"},
			modeResult{ModelWriteRestricted, "unix-socket-allow@p.toml:9"}},
		{"posix rules are skipped", withNet(policy(rl(ir.BaseRoot, "", ir.Read, 3),
			rl(ir.BaseAbs, "/etc", ir.Deny, 4)), true, false),
			modeResult{ModelSandboxUser, "usable"},
			modeResult{ModelWriteRestricted, "usable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Compile(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			got := []modeResult{verdict(m.Mode(ir.ModeElevated)), verdict(m.Mode(ir.ModeUnelevated))}
			if diff := cmp.Diff([]modeResult{tc.elevated, tc.unelevated}, got); diff != "" {
				t.Errorf("modes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestModesMatchCapabilityTable holds the manifest to ir's table: every
// cell of it that is not Enforced makes the mode report that feature.
func TestModesMatchCapabilityTable(t *testing.T) {
	glob := withNet(policy(rl(ir.BaseRoot, "", ir.Read, 3),
		rl(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 4)), true, false)
	for _, mode := range ir.Modes(ir.Windows) {
		c := ir.Lookup(ir.Windows, mode, ir.FeatDenyGlob)
		fs := findings(glob, mode, modelFor(glob, mode))
		var got *Finding
		for i := range fs {
			if fs[i].Feature == string(ir.FeatDenyGlob) {
				got = &fs[i]
			}
		}
		if got == nil || got.Support != c.Support.String() || got.Message != c.Why {
			t.Errorf("%s: deny-glob finding %+v, want %v %q", mode, got, c.Support, c.Why)
		}
	}
}

func TestCheck(t *testing.T) {
	p := withNet(policy(rl(ir.BaseRoot, "", ir.Read, 3),
		rl(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 4)), true, true)
	var got []string
	for _, d := range Check(p).Sorted() {
		if d.Target != "windows" {
			t.Errorf("target %q", d.Target)
		}
		got = append(got, d.Pos.Short()+" "+d.Severity.String()+" "+string(d.Code)+" "+
			strings.SplitN(d.Message, ":", 2)[0])
	}
	want := []string{
		"p.toml:4 error unenforceable unelevated mode",
		"p.toml:4 warning glob-snapshot elevated mode",
		"p.toml:20 error unenforceable unelevated mode",
		"p.toml:20 warning unenforceable elevated mode",
		"p.toml:20 warning unenforceable elevated mode",
		"p.toml:20 warning unenforceable elevated mode",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("check (-want +got):\n%s", diff)
	}
	if l := Check(&ir.Policy{Unrestricted: true}); len(l) != 0 {
		t.Errorf("unrestricted: %v", l)
	}
	var notes int
	for _, d := range Check(p) {
		if d.Severity == diag.Warning && strings.Contains(d.Message, "dns client") {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("dns note reported %d times, want once (elevated)", notes)
	}
}

func TestTemplateRoundTrip(t *testing.T) {
	tests := []struct {
		rule ir.FSRule
		want string
	}{
		{rl(ir.BaseRoot, "", ir.Deny, 1), ":root"},
		{rl(ir.BaseMinimal, "", ir.Read, 1), ":minimal"},
		{rl(ir.BaseTmpdir, "", ir.Write, 1), "%TEMP%"},
		{rl(ir.BaseHome, "", ir.Read, 1), "%USERPROFILE%"},
		{rl(ir.BaseHome, "Documents/codex", ir.Write, 1), `%USERPROFILE%\Documents\codex`},
		{rl(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 1), `{workspace_roots}\**\*.env`},
		{rl(ir.BaseAbs, `c:/work/x`, ir.Read, 1), `C:\work\x`},
		{rl(ir.BaseAbs, `\\?\UNC\srv\share\d`, ir.Read, 1), `\\srv\share\d`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			got, ok := Template(tc.rule)
			if !ok || got != tc.want {
				t.Fatalf("Template = %q, %v; want %q", got, ok, tc.want)
			}
			base, path, ok := parseTemplate(got)
			want := tc.rule.Path
			if base == ir.BaseAbs {
				want, _ = ir.CleanPath(ir.Windows, want)
			}
			if !ok || base != tc.rule.Base || path != want {
				t.Errorf("parseTemplate(%q) = %v %q, want %v %q", got, base, path, tc.rule.Base, want)
			}
		})
	}
	if _, ok := Template(rl(ir.BaseSlashTmp, "", ir.Write, 1)); ok {
		t.Error(":slash_tmp has no windows form")
	}
	if _, ok := Template(rl(ir.BaseAbs, "/etc", ir.Read, 1)); ok {
		t.Error("a posix path has no windows form")
	}
}
