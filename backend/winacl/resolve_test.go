package winacl

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/ir"
)

// workspace is :workspace as the passes build it, network off.
func workspace() *ir.Policy {
	p := policy(rl(ir.BaseRoot, "", ir.Read, 3), rl(ir.BaseWorkspaceRoots, "", ir.Write, 4),
		rl(ir.BaseTmpdir, "", ir.Write, 5), rl(ir.BaseSlashTmp, "", ir.Write, 6))
	p.FS.ProtectMetadata, p.FS.ProtectOrigin = true, at(2)
	return p
}

type nodeSummary struct {
	Path, Why string
	Origin    int
	Access    string
}

// summarise names each node's entries by the access they give.
func summarise(r *Resolved) []nodeSummary {
	var out []nodeSummary
	for _, n := range r.Nodes {
		out = append(out, nodeSummary{n.Path, n.Why, n.Origin.Pos.Line, aceAccess(n.ACEs)})
	}
	return out
}

func aceAccess(aces []ACE) string {
	var parts []string
	for _, a := range aces {
		if a.SID != PhSandboxGroup && a.SID != PhCapability {
			continue
		}
		s := a.Type.String() + ":" + map[Mask]string{ReadExecute: "rx", Modify: "m",
			FullControl: "f", WriteRights: "w"}[a.Mask]
		if a.Flags&InheritOnly != 0 {
			s += "(io)"
		} else if a.Flags&InheritTree == 0 {
			s += "(self)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestResolveWorkspace(t *testing.T) {
	m, err := Compile(workspace())
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Resolve(ir.ModeElevated, testBinding(), testDisk(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []nodeSummary{
		{`C:\work`, "rule", 4, "allow:m"},
		{`C:\Users\dev`, "anchor", 3, "deny:w allow:rx"},
		{`C:\work\.agents`, "rule", 2, "deny:w allow:rx"},
		{`C:\work\.codex`, "rule", 2, "deny:w allow:rx"},
		{`C:\work\.git`, "rule", 2, "deny:w allow:rx"},
		{`C:\Users\dev\AppData\Local\Temp`, "rule", 5, "allow:m"},
	}
	if diff := cmp.Diff(want, summarise(r)); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	wantDirs := []Mkdir{{`C:\work\.agents`, at(2)}, {`C:\work\.codex`, at(2)}}
	if diff := cmp.Diff(wantDirs, r.Mkdirs); diff != "" {
		t.Errorf("placeholders (-want +got):\n%s", diff)
	}
}

func TestResolveReassertsBelowDeny(t *testing.T) {
	p := policy(rl(ir.BaseRoot, "", ir.Read, 3), rl(ir.BaseAbs, `C:\work`, ir.Deny, 4))
	p.Net.Enabled = true
	d, r := applied(t, p, ir.ModeElevated, testBinding())
	want := []nodeSummary{
		{`C:\work`, "rule", 4, "deny:f"},
		{`C:\Users\dev`, "anchor", 3, "deny:w allow:rx"},
		{`C:\work\shared`, "reassert", 4, "deny:f"},
		{`C:\work\vendor`, "reassert", 4, "deny:f"},
	}
	if diff := cmp.Diff(want, summarise(r)); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	tok := sandbox(r)
	for _, path := range []string{`C:\work\shared\x.txt`, `C:\work\src\a.go`, `C:\work\vendor\lib.go`} {
		if got := access(t, d, tok, path); got != ir.Deny {
			t.Errorf("%s: %v, want deny", path, got)
		}
	}
}

func TestResolveGlobDepth(t *testing.T) {
	tests := []struct {
		name  string
		depth int
		rule  string
		want  []string
	}{
		{"unbounded", 0, "**/*.env", []string{`C:\work\src\.env`}},
		{"depth 1 misses nested", 1, "**/*.env", nil},
		{"depth 2", 2, "**/*.env", []string{`C:\work\src\.env`}},
		{"single level", 0, "*.md", nil},
		{"two levels", 0, "*/*.md", []string{`C:\work\docs\readme.md`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := policy(rl(ir.BaseRoot, "", ir.Read, 3), rl(ir.BaseWorkspaceRoots, "", ir.Write, 4),
				rl(ir.BaseWorkspaceRoots, tc.rule, ir.Deny, 5))
			p.FS.GlobScanMaxDepth = tc.depth
			p.Net.Enabled = true
			_, r := applied(t, p, ir.ModeElevated, testBinding())
			var got []string
			for _, n := range r.Nodes {
				if n.Origin.Pos.Line == 5 {
					got = append(got, n.Path)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("glob matches (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveTrailingDoubleStar(t *testing.T) {
	p := policy(rl(ir.BaseRoot, "", ir.Read, 3), rl(ir.BaseWorkspaceRoots, "docs/**", ir.Write, 4))
	p.Net.Enabled = true
	d, r := applied(t, p, ir.ModeElevated, testBinding())
	want := []nodeSummary{
		{`C:\Users\dev`, "anchor", 3, "deny:w allow:rx"},
		{`C:\work\docs`, "rule", 3, "deny:w(self) allow:rx(self) allow:m(io)"},
	}
	if diff := cmp.Diff(want, summarise(r)); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	tok := sandbox(r)
	if got := access(t, d, tok, `C:\work\docs`); got != ir.Read {
		t.Errorf("docs itself: %v, want read", got)
	}
	if got := access(t, d, tok, `C:\work\docs\readme.md`); got != ir.Write {
		t.Errorf("below docs: %v, want write", got)
	}
}

func TestResolveToolFolders(t *testing.T) {
	p := rootDeny()
	m, err := CompileWith(p, Options{ToolFolders: DefaultToolFolders})
	if err != nil {
		t.Fatal(err)
	}
	d := testDisk(t)
	r, err := m.Resolve(ir.ModeElevated, testBinding(), d)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Apply(r, testBind, applier(ir.ModeElevated)); err != nil {
		t.Fatal(err)
	}
	python := `C:\Users\dev\AppData\Local\Programs\Python\python.exe`
	if got := access(t, d, sandbox(r), python); got != ir.Read {
		t.Errorf("opted-in tool folder: %v, want read", got)
	}
	d2, r2 := applied(t, p, ir.ModeElevated, testBinding())
	if got := access(t, d2, sandbox(r2), python); got != ir.Deny {
		t.Errorf("without the option: %v, want deny", got)
	}
}

func TestResolveRefusals(t *testing.T) {
	tests := []struct {
		name  string
		p     *ir.Policy
		b     ir.Binding
		line  int
		inMsg string
	}{
		{"workspace root on a volume root", rootDenyWith(rl(ir.BaseWorkspaceRoots, "", ir.Write, 7)),
			testBinding(`D:\`), 7, "volume root"},
		{"system folder denied", rootDenyWith(rl(ir.BaseAbs, `c:\windows`, ir.Deny, 7)),
			testBinding(), 7, "all application packages"},
		{"deny below a share outside a container", policy(rl(ir.BaseRoot, "", ir.Read, 3),
			rl(ir.BaseWorkspaceRoots, "docs", ir.Deny, 7)),
			testBinding(`\\server\share`), 7, "network share"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.Net.Enabled = true
			m, err := Compile(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Resolve(ir.ModeElevated, tc.b, testDisk(t))
			var le *LoadError
			if !errors.As(err, &le) {
				// Refused earlier, when the manifest was compiled: fine, as
				// long as it names the rule.
				if err == nil || !strings.Contains(err.Error(), fmt.Sprintf(":%d:", tc.line)) {
					t.Fatalf("resolve = %v, want a load error or a refusal at line %d", err, tc.line)
				}
				return
			}
			if le.Origin.Pos.Line != tc.line || !strings.Contains(le.Msg, tc.inMsg) {
				t.Errorf("load error %v, want line %d containing %q", le, tc.line, tc.inMsg)
			}
			if d := le.Diagnostic(); d.Code != "load" || d.Target != "windows" {
				t.Errorf("diagnostic %v", d)
			}
		})
	}
}

func rootDenyWith(extra ir.FSRule) *ir.Policy {
	p := rootDeny()
	p.FS.Rules = append(p.FS.Rules, extra)
	return p
}

func TestResolveShareGrantInContainer(t *testing.T) {
	p := rootDenyWith(rl(ir.BaseAbs, `\\server\share\docs`, ir.Read, 7))
	d, r := applied(t, p, ir.ModeElevated, testBinding())
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "network share") {
		t.Errorf("notes = %q, want one about the share", r.Notes)
	}
	if got := access(t, d, sandbox(r), `\\server\share\docs\report.txt`); got != ir.Deny {
		t.Errorf("share: %v, want deny (fail closed)", got)
	}
}

func TestResolveUnelevated(t *testing.T) {
	p := workspace()
	p.FS.Rules = append(p.FS.Rules, rl(ir.BaseWorkspaceRoots, "docs", ir.Read, 7))
	p.Net.Enabled = true
	d, r := applied(t, p, ir.ModeUnelevated, testBinding())
	if r.Model != ModelWriteRestricted {
		t.Fatalf("model %s", r.Model)
	}
	tok := sandbox(r)
	tests := []struct {
		path string
		want ir.Access
	}{
		{`C:\work\src\a.go`, ir.Write},
		{`C:\work\docs\readme.md`, ir.Read},
		{`C:\work\.git\HEAD`, ir.Read},
		{`C:\Users\dev\notes.txt`, ir.Read},
		{`C:\Users\dev\AppData\Local\Temp\t.txt`, ir.Write},
		{`C:\Windows\System32\kernel32.dll`, ir.Read},
		{`C:\ProgramData\ssh\ssh_host_ed25519_key`, ir.Deny}, // administrators is deny-only
	}
	for _, tc := range tests {
		if got := access(t, d, tok, tc.path); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.path, got, tc.want)
		}
	}
	if ok, _ := d.CanCreate(tok, `C:\work\.codex`); ok {
		t.Error("the sandbox can create the protected .codex")
	}
}

func TestResolveUnrestricted(t *testing.T) {
	m, err := Compile(&ir.Policy{Name: ":danger-full-access", Unrestricted: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Resolve(ir.ModeUnelevated, testBinding(), testDisk(t))
	if err != nil || len(r.Nodes) != 0 {
		t.Errorf("resolve = %+v, %v; want nothing to apply", r, err)
	}
}
