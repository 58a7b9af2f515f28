package windows

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/backend/winacl"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

func at(line int) ir.Origin {
	return ir.Origin{Pos: diag.Pos{File: "p.toml", Line: line, Col: 1}, Profile: "p"}
}

// rootDeny is ../shared/cases/windows-root-deny.md.
func rootDeny() *ir.Policy {
	return &ir.Policy{Name: "p", Origin: at(3), Net: ir.DefaultNetPolicy(), FS: ir.FSPolicy{
		Rules: []ir.FSRule{
			{Base: ir.BaseRoot, Access: ir.Deny, Origin: at(4)},
			{Base: ir.BaseMinimal, Access: ir.Read, Origin: at(5)},
			{Base: ir.BaseAbs, Path: `C:\work`, Access: ir.Write, Origin: at(6)},
		}}}
}

// workspace is :workspace with the proxy: the sandbox-user model.
func workspace() *ir.Policy {
	p := &ir.Policy{Name: "ws", Origin: at(1), Net: ir.DefaultNetPolicy(), FS: ir.FSPolicy{
		ProtectMetadata: true, ProtectOrigin: at(2),
		Rules: []ir.FSRule{
			{Base: ir.BaseRoot, Access: ir.Read, Origin: at(3)},
			{Base: ir.BaseWorkspaceRoots, Access: ir.Write, Origin: at(4)},
			{Base: ir.BaseTmpdir, Access: ir.Write, Origin: at(5)},
		}}}
	p.Net.Enabled, p.Net.HasDomains = true, true
	p.Net.Origins = map[string]ir.Origin{"enabled": at(8)}
	return p
}

var binding = ir.Binding{Home: `C:\Users\dev`, Tmpdir: `C:\Users\dev\AppData\Local\Temp`,
	WorkspaceRoots: []string{`C:\work`}}

// disk is the stock install with a workspace.
func disk(t *testing.T) *winacl.Disk {
	t.Helper()
	d := winacl.StockDisk()
	for _, p := range []struct {
		path string
		dir  bool
	}{{`C:\work`, true}, {`C:\work\.git`, true}, {`C:\work\a.go`, false}} {
		if err := d.Add(p.path, p.dir, winacl.SD{Owner: winacl.StockUser}); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func compile(t *testing.T, p *ir.Policy) *winacl.Manifest {
	t.Helper()
	m, err := winacl.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// stepLine renders a step on one line.
func stepLine(s Step) string {
	line := string(s.Op)
	for _, v := range []string{s.Name, s.Group, s.Path, strings.Join(s.Caps, ",")} {
		if v != "" {
			line += " " + v
		}
	}
	return line
}

func TestPlan(t *testing.T) {
	id := ID("p", binding)
	wsID := ID("ws", binding)
	tests := []struct {
		name string
		p    *ir.Policy
		mode ir.Mode
		want []string
	}{
		{"root deny, elevated", rootDeny(), ir.ModeElevated, []string{
			"ensure-user permc-" + id,
			"ensure-group permc-g-" + id,
			"ensure-app-container permc." + id,
			"add-member permc-" + id + " permc-g-" + id,
			`set-acl C:\ProgramData`,
			`set-acl C:\work`,
			"add-firewall-rule permc-" + id + "-out-all",
			"add-firewall-rule permc-" + id + "-in-all",
		}},
		{"workspace, elevated", workspace(), ir.ModeElevated, []string{
			"ensure-user permc-" + wsID,
			"ensure-group permc-g-" + wsID,
			"add-member permc-" + wsID + " permc-g-" + wsID,
			`mkdir C:\work\.agents`,
			`mkdir C:\work\.codex`,
			`set-acl C:\work`,
			`set-acl C:\Users\dev`,
			`set-acl C:\work\.agents`,
			`set-acl C:\work\.codex`,
			`set-acl C:\work\.git`,
			`set-acl C:\Users\dev\AppData\Local\Temp`,
			"add-firewall-rule permc-" + wsID + "-out-other-addresses",
			"add-firewall-rule permc-" + wsID + "-out-tcp-127.0.0.1",
			"add-firewall-rule permc-" + wsID + "-out-udp-127.0.0.1",
			"add-firewall-rule permc-" + wsID + "-in-all",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := NewPlan(compile(t, tc.p), tc.mode, binding, disk(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range plan.Steps {
				got = append(got, stepLine(s))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanRefusesUnusableMode(t *testing.T) {
	_, err := NewPlan(compile(t, rootDeny()), ir.ModeUnelevated, binding, disk(t))
	if !errors.Is(err, winacl.ErrUnusable) {
		t.Fatalf("NewPlan = %v, want ErrUnusable", err)
	}
	if !strings.Contains(err.Error(), "p.toml:4") {
		t.Errorf("error %q does not name the :root line", err)
	}
}

func TestPlanUnrestricted(t *testing.T) {
	m := compile(t, &ir.Policy{Name: "full", Unrestricted: true})
	plan, err := NewPlan(m, ir.ModeUnelevated, binding, disk(t))
	if err != nil || !plan.Unrestricted || len(plan.Steps) != 0 {
		t.Errorf("plan = %+v, %v; want an unrestricted plan with no steps", plan, err)
	}
}

func TestID(t *testing.T) {
	a := ID("p", binding)
	b := binding
	b.WorkspaceRoots = []string{`c:\WORK`}
	if ID("p", b) != a {
		t.Error("the id depends on the case of a root")
	}
	b.WorkspaceRoots = []string{`C:\other`}
	if ID("p", b) == a || ID("q", binding) == a {
		t.Error("different roots or profiles share an id")
	}
	if len(a) != 12 || len("permc-"+a) > 20 {
		t.Errorf("id %q makes a user name longer than windows allows", a)
	}
}

func TestFirewallScript(t *testing.T) {
	r := &winacl.FirewallRule{Name: "out-tcp-127.0.0.1", Direction: "out", Action: "block",
		Protocol: "tcp", Remote: []string{"127.0.0.1"}, Ports: []string{"1-3127", "3129-65535"},
		LocalUser: winacl.PhSandboxUser}
	s := firewallStep("abc", r)
	want := "$ErrorActionPreference = 'Stop'\n" +
		"Remove-NetFirewallRule -Name 'permc-abc-out-tcp-127.0.0.1' -ErrorAction SilentlyContinue\n" +
		"New-NetFirewallRule -Name 'permc-abc-out-tcp-127.0.0.1' -DisplayName 'permc-abc-out-tcp-127.0.0.1' " +
		"-Group 'permc' -Direction Outbound -Action Block -Profile Any -Protocol TCP " +
		"-LocalUser 'O:LSD:(A;;CC;;;{sandbox_user})' -RemoteAddress @('127.0.0.1') " +
		"-RemotePort @('1-3127','3129-65535') | Out-Null\n"
	if diff := cmp.Diff(want, s.Script); diff != "" {
		t.Errorf("script (-want +got):\n%s", diff)
	}
	argv := PowerShellArgv(`C:\Windows`, "Get-Date")
	wantArgv := []string{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		"-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
		"-EncodedCommand", "RwBlAHQALQBEAGEAdABlAA=="}
	if diff := cmp.Diff(wantArgv, argv); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
	if got, err := bindText(s.Script, map[winacl.SID]winacl.SID{}); err == nil {
		t.Errorf("an unbound placeholder went through: %q", got)
	}
	if q := psQuote("it's"); q != "'it''s'" {
		t.Errorf("psQuote = %s", q)
	}
}
