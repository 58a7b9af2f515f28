package winacl

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// rootDeny is ../shared/cases/windows-root-deny.md:
//
//	3 [permissions.p.filesystem]
//	4 ":root" = "deny"
//	5 ":minimal" = "read"
//	6 'C:\work' = "write"
func rootDeny() *ir.Policy {
	p := policy(rl(ir.BaseRoot, "", ir.Deny, 4), rl(ir.BaseMinimal, "", ir.Read, 5),
		rl(ir.BaseAbs, `C:\work`, ir.Write, 6))
	p.Origin = at(3)
	return p
}

func TestCaseWindowsRootDenyElevated(t *testing.T) {
	p := rootDeny()
	d, r := applied(t, p, ir.ModeElevated, testBinding())
	if r.Model != ModelAppContainer {
		t.Fatalf("model = %s, want %s", r.Model, ModelAppContainer)
	}
	tok := sandbox(r)
	tests := []struct {
		path string
		want ir.Access
	}{
		{`C:\Windows\System32\kernel32.dll`, ir.Read},
		{`C:\Windows\System32\cmd.exe`, ir.Read},
		{`C:\Program Files\Git\bin\git.exe`, ir.Read},
		{`C:\Program Files (x86)\Tool\tool.exe`, ir.Read},
		{`C:\ProgramData\chocolatey\bin\choco.exe`, ir.Read},
		{`C:\work\src\a.go`, ir.Write},
		{`C:\work\new.txt`, ir.Write},
		{`C:\WORK\SRC\A.GO`, ir.Write},
		{`\\?\C:\work\src\a.go`, ir.Write},
		{`C:\Users\dev\notes.txt`, ir.Deny},
		{`C:\Users\dev\Documents\taxes.pdf`, ir.Deny},
		{`C:\Users\Public\shared.txt`, ir.Deny},
		{`D:\data\x.csv`, ir.Deny},
		{`\\server\share\docs\report.txt`, ir.Deny},
	}
	for _, tc := range tests {
		if got := access(t, d, tok, tc.path); got != tc.want {
			t.Errorf("%s: sandbox has %v, want %v", tc.path, got, tc.want)
		}
		if dec := ir.Decide(p, ir.Windows, testBinding(), tc.path); dec.Access() != tc.want {
			t.Errorf("%s: ir.Decide says %v; the case expects %v", tc.path, dec.Access(), tc.want)
		}
	}
	// Fail closed: :minimal reads %SystemRoot%, but the registry hives
	// admit only SYSTEM and Administrators, and no entry of ours widens a
	// DACL whose inheritance is cut.
	if got := access(t, d, tok, `C:\Windows\System32\config\SAM`); got != ir.Deny {
		t.Errorf("SAM: sandbox has %v, want deny", got)
	}
}

// TestCaseWindowsRootDenyBroadGroups reproduces the reported bug: the
// sandbox identity inherits read access through broad groups. Here the
// home folder admits Users and Everyone, as a careless ACL would; the
// AppContainer still cannot read it, since nothing admits the container.
func TestCaseWindowsRootDenyBroadGroups(t *testing.T) {
	d, r := applied(t, rootDeny(), ir.ModeElevated, testBinding())
	home, _ := split(`C:\Users\dev`)
	n, _ := d.lookup(home)
	n.sd.DACL = append(n.sd.DACL, allow(InheritTree, ReadExecute, SIDUsers),
		allow(InheritTree, ReadExecute, SIDEveryone))
	tok := sandbox(r)
	if got := access(t, d, tok, `C:\Users\dev\notes.txt`); got != ir.Deny {
		t.Errorf("notes.txt readable through broad groups: %v", got)
	}
	// The same token without its container would read it: the container
	// is what denies by construction.
	plain := *tok
	plain.AppContainer = ""
	if got := access(t, d, &plain, `C:\Users\dev\notes.txt`); got == ir.Deny {
		t.Errorf("control: the sandbox user without a container should read notes.txt")
	}
}

func TestCaseWindowsRootDenyUnelevated(t *testing.T) {
	p := rootDeny()
	m, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	mm := m.Mode(ir.ModeUnelevated)
	if mm.Usable || mm.Unusable == nil {
		t.Fatalf("unelevated usable = %v, want unusable", mm.Usable)
	}
	if diff := cmp.Diff(at(4), mm.Unusable.Origin); diff != "" {
		t.Errorf("unusable at (-want +got):\n%s", diff)
	}
	_, err = m.Resolve(ir.ModeUnelevated, testBinding(), testDisk(t))
	if !errors.Is(err, ErrUnusable) {
		t.Errorf("resolve unelevated: err = %v, want ErrUnusable", err)
	}
	var got []diag.Diagnostic
	for _, d := range Check(p) {
		if d.Severity == diag.Error && d.Pos.Line == 4 {
			got = append(got, d)
		}
	}
	if len(got) == 0 {
		t.Fatalf("check: no error at the :root line; got %v", Check(p))
	}
	for _, d := range got {
		if d.Target != "windows" || d.Code != diag.Unenforceable {
			t.Errorf("check: %v", d)
		}
	}
}
