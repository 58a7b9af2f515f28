package passes_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// summary renders the parts of a policy a reviewer checks, one per line.
func summary(p *ir.Policy) []string {
	out := []string{fmt.Sprintf("%s source=%s extends=%v protect=%v unrestricted=%v depth=%d",
		p.Name, p.Source, p.Extends, p.FS.ProtectMetadata, p.Unrestricted, p.FS.GlobScanMaxDepth)}
	for _, r := range p.FS.Rules {
		g := ""
		if r.Glob {
			g = " glob"
		}
		out = append(out, fmt.Sprintf("fs %s %q %s%s @%s", r.Base, r.Path, r.Access, g, r.Origin.Pos.Short()))
	}
	for _, w := range p.FS.WorkspaceRoots {
		out = append(out, fmt.Sprintf("root %s @%s", w.Path, w.Origin.Pos.Short()))
	}
	n := p.Net
	out = append(out, fmt.Sprintf("net %s socks5=%v udp=%v local=%v", n.Mode(), n.EnableSOCKS5, n.EnableSOCKS5UDP, n.AllowLocalBinding))
	for _, d := range n.Domains {
		out = append(out, fmt.Sprintf("domain %s allow=%v", d.Pattern, d.Allow))
	}
	for _, s := range n.UnixSockets {
		out = append(out, fmt.Sprintf("socket %s allow=%v", s.Path, s.Allow))
	}
	return out
}

func resolve(t *testing.T, o frontend.Options, po passes.Options) *passes.Result {
	t.Helper()
	cfg, diags := frontend.Load(o)
	if diags.HasErrors() {
		t.Fatalf("load: %s", render(diags))
	}
	res := passes.Run(cfg, po)
	if res.Diags.HasErrors() {
		t.Fatalf("passes: %s", render(res.Diags))
	}
	return res
}

// Expected resolved policies of the bundled examples, written by hand from
// the spec's text.
var exampleWants = []struct {
	files   []string
	req     []string
	profile string
	want    []string
}{
	{[]string{"spec/project-edit.toml"}, nil, "project-edit", []string{
		"project-edit source=profile extends=[] protect=false unrestricted=false depth=0",
		`fs :workspace_roots "" write @../examples/spec/project-edit.toml:12`,
		`fs :workspace_roots "**/*.env" deny glob @../examples/spec/project-edit.toml:14`,
		`fs :workspace_roots ".devcontainer" read @../examples/spec/project-edit.toml:13`,
		`fs :minimal "" read @../examples/spec/project-edit.toml:9`,
		"root ~/code/app @../examples/spec/project-edit.toml:5",
		"root ~/code/shared-lib @../examples/spec/project-edit.toml:6",
		"net proxied socks5=true udp=true local=false",
		"domain tracking.example.com allow=false",
		"domain *.github.com allow=true",
		"domain api.openai.com allow=true",
		"domain objects.githubusercontent.com allow=true",
	}},
	{[]string{"spec/extends-workspace.toml"}, nil, "project-edit", []string{
		"project-edit source=profile extends=[:workspace] protect=true unrestricted=false depth=0",
		`fs :slash_tmp "" write @builtin`,
		`fs :tmpdir "" write @builtin`,
		`fs :workspace_roots "" write @builtin`,
		`fs :workspace_roots "**/*.env" deny glob @../examples/spec/extends-workspace.toml:9`,
		`fs :root "" read @builtin`,
		"net proxied socks5=true udp=true local=false",
		"domain api.openai.com allow=true",
	}},
	{[]string{"spec/reopen-inside-deny.toml"}, nil, "project-edit", []string{
		"project-edit source=profile extends=[] protect=false unrestricted=false depth=0",
		`fs home "Documents" deny @../examples/spec/reopen-inside-deny.toml:3`,
		`fs home "Documents/codex" write @../examples/spec/reopen-inside-deny.toml:4`,
		"net off socks5=true udp=true local=false",
	}},
	{[]string{"spec/workspace-only.toml"}, nil, "workspace-only", []string{
		"workspace-only source=profile extends=[:workspace] protect=true unrestricted=false depth=0",
		`fs :slash_tmp "" deny @../examples/spec/workspace-only.toml:22`,
		`fs :tmpdir "" deny @../examples/spec/workspace-only.toml:21`,
		`fs :workspace_roots "" write @builtin`,
		`fs :minimal "" read @../examples/spec/workspace-only.toml:17`,
		`fs :root "" deny @../examples/spec/workspace-only.toml:12`,
		"net off socks5=true udp=true local=false",
	}},
	{[]string{"spec/local-binding.toml"}, nil, "project-edit", []string{
		"project-edit source=profile extends=[] protect=false unrestricted=false depth=0",
		"net proxied socks5=true udp=true local=true",
		"domain localhost allow=true",
	}},
	{[]string{"spec/network-listeners.toml"}, nil, "project-edit", []string{
		"project-edit source=profile extends=[] protect=false unrestricted=false depth=0",
		"net full socks5=true udp=true local=false",
	}},
	{[]string{"spec/unix-sockets.toml"}, nil, "project-edit", []string{
		"project-edit source=profile extends=[] protect=false unrestricted=false depth=0",
		"net off socks5=true udp=true local=false",
		"socket /tmp/old.sock allow=false",
		"socket /var/run/docker.sock allow=true",
	}},
	{[]string{"spec/deny-glob-bounded.toml"}, nil, "project-edit", []string{
		"project-edit source=profile extends=[] protect=false unrestricted=false depth=3",
		`fs :workspace_roots "**/*.env" deny glob @../examples/spec/deny-glob-bounded.toml:6`,
		"net off socks5=true udp=true local=false",
	}},
	// The spec's two-layer example: both workspace roots participate.
	{[]string{"layered/system.toml", "layered/user.toml"}, nil, "server", []string{
		"server source=profile extends=[] protect=false unrestricted=false depth=0",
		"root ~/code/mobile-app @../examples/layered/user.toml:4",
		"root ~/code/server @../examples/layered/system.toml:4",
		"net off socks5=true udp=true local=false",
	}},
	{[]string{"org/system.toml", "org/user.toml"}, []string{"org/requirements.toml"}, "dev", []string{
		"dev source=profile extends=[corp-base :workspace] protect=true unrestricted=false depth=4",
		`fs :slash_tmp "" write @builtin`,
		`fs :tmpdir "" write @builtin`,
		`fs :workspace_roots "" write @builtin`,
		`fs :workspace_roots "**/*.pem" deny glob @../examples/org/system.toml:15`,
		`fs :workspace_roots "**/.env" deny glob @../examples/org/system.toml:16`,
		`fs :workspace_roots "docs" read @../examples/org/user.toml:13`,
		`fs :root "" read @builtin`,
		`fs home ".aws" deny @../examples/org/system.toml:11`,
		`fs home ".config/gcloud" deny @../examples/org/system.toml:12`,
		`fs home ".ssh" deny @../examples/org/system.toml:10`,
		"root ~/code/shared-lib @../examples/org/user.toml:10",
		"net proxied socks5=true udp=true local=false",
		"domain tracking.example.com allow=false",
		"domain **.github.com allow=true",
		"domain files.pythonhosted.org allow=true",
		"domain proxy.golang.org allow=true",
		"domain pypi.org allow=true",
		"domain registry.npmjs.org allow=true",
	}},
	{[]string{"legacy.toml"}, nil, "sandbox_mode:workspace-write", []string{
		"sandbox_mode:workspace-write source=legacy extends=[:workspace] protect=true unrestricted=false depth=0",
		`fs :tmpdir "" write @builtin`,
		`fs :workspace_roots "" write @builtin`,
		`fs :root "" read @builtin`,
		`fs abs "/srv/build-cache" write @../examples/legacy.toml:6`,
		"net off socks5=true udp=true local=false",
	}},
}

func exampleFiles(fs []string) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = "../examples/" + f
	}
	return out
}

func TestExamplePolicies(t *testing.T) {
	for _, tc := range exampleWants {
		t.Run(strings.Join(tc.files, "+"), func(t *testing.T) {
			res := resolve(t, frontend.Options{Files: exampleFiles(tc.files), Requirements: exampleFiles(tc.req)},
				passes.Options{Profile: tc.profile})
			p := res.Policy(tc.profile)
			if p == nil {
				t.Fatalf("profile %s not resolved", tc.profile)
			}
			if diff := cmp.Diff(tc.want, summary(p)); diff != "" {
				t.Errorf("resolved policy (-want +got):\n%s", diff)
			}
		})
	}
}
