package winacl

import (
	"testing"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Test identities bound to the manifest's placeholders.
const (
	sidSandboxUser  SID = "S-1-5-21-1004336348-1177238915-682003330-1010"
	sidSandboxGroup SID = "S-1-5-21-1004336348-1177238915-682003330-1011"
	sidContainer    SID = "S-1-15-2-2411237419-3021488133-4119262066-1425213612-1197237224-3152470521-1034004116"
	sidCapability   SID = "S-1-15-3-1024-1065365936-1281604716-3511738428-1654721687-432734479-3232135806-4053264122-3456934681"
	sidLogon        SID = "S-1-5-5-0-999"
	sidLogonDev     SID = "S-1-5-5-0-555"
)

var testBind = map[SID]SID{
	PhSandboxUser: sidSandboxUser, PhSandboxGroup: sidSandboxGroup,
	PhAppContainer: sidContainer, PhCapability: sidCapability,
	PhLogon: sidLogon, PhCurrentUser: StockUser,
}

func at(line int) ir.Origin {
	return ir.Origin{Pos: diag.Pos{File: "p.toml", Line: line, Col: 1}, Profile: "p"}
}

func rl(base ir.BaseKind, path string, a ir.Access, line int) ir.FSRule {
	return ir.FSRule{Base: base, Path: path, Access: a, Glob: ir.HasGlobMeta(path), Origin: at(line)}
}

func policy(rules ...ir.FSRule) *ir.Policy {
	p := &ir.Policy{Name: "p", Origin: at(1), Net: ir.DefaultNetPolicy()}
	p.FS.Rules = rules
	return p
}

// testBinding is the machine of the tests: dev's home, its temp folder,
// one workspace root.
func testBinding(roots ...string) ir.Binding {
	if len(roots) == 0 {
		roots = []string{`C:\work`}
	}
	return ir.Binding{Home: `C:\Users\dev`, Tmpdir: `C:\Users\dev\AppData\Local\Temp`,
		WorkspaceRoots: roots}
}

// testDisk is StockDisk plus a developer's data: a workspace on C:, a
// repository in the home folder, a second volume and a network share.
func testDisk(t testing.TB) *Disk {
	t.Helper()
	d := StockDisk()
	devFile := SD{Owner: StockUser}
	cut := SD{Owner: StockUser, Protected: true, DACL: []ACE{
		allow(InheritTree, FullControl, SIDSystem), allow(InheritTree, FullControl, StockUser)}}
	shared := SD{Owner: StockUser, DACL: []ACE{allow(InheritTree, Modify, SIDEveryone)}}
	add := func(path string, dir bool, sd SD) {
		if err := d.Add(path, dir, sd); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{`C:\work`, `C:\work\src`, `C:\work\.git`, `C:\work\notes`,
		`C:\work\docs`, `C:\Users\dev\work`, `C:\Users\dev\work\app`,
		`C:\Users\dev\work\app\.git`, `C:\Users\dev\work\app\src`} {
		add(p, true, devFile)
	}
	for _, p := range []string{`C:\work\src\a.go`, `C:\work\src\.env`, `C:\work\.git\HEAD`,
		`C:\work\notes\secret.txt`, `C:\work\docs\readme.md`, `C:\Users\dev\work\app\.env`,
		`C:\Users\dev\work\app\.git\config`, `C:\Users\dev\work\app\src\main.go`} {
		add(p, false, devFile)
	}
	add(`C:\work\vendor`, true, cut)
	add(`C:\work\vendor\lib.go`, false, devFile)
	add(`C:\work\shared`, true, shared)
	add(`C:\work\shared\x.txt`, false, devFile)
	add(`D:`, true, volumeRoot())
	add(`D:\data`, true, devFile)
	add(`D:\data\x.csv`, false, devFile)
	add(`\\server\share`, true, SD{Owner: SIDAdministrators, DACL: []ACE{
		allow(InheritTree, ReadExecute, SIDEveryone)}})
	add(`\\server\share\docs`, true, SD{Owner: SIDAdministrators})
	add(`\\server\share\docs\report.txt`, false, SD{Owner: SIDAdministrators})
	return d
}

// applier is the token that applies a manifest: dev elevated (an
// administrator at High integrity) or dev's ordinary token.
func applier(mode ir.Mode) *Token {
	tok := &Token{User: StockUser, Integrity: High, Groups: []Group{
		{SID: SIDEveryone}, {SID: SIDUsers}, {SID: SIDAuthenticatedUsers},
		{SID: SIDInteractive}, {SID: sidLogonDev}, {SID: SIDAdministrators}}}
	if mode == ir.ModeUnelevated {
		tok.Integrity = Medium
		tok.Groups[len(tok.Groups)-1].DenyOnly = true
	}
	return tok
}

// sandbox builds the sandbox token of a resolved mode.
func sandbox(r *Resolved) *Token {
	return r.Token.Build(testBind, r.Token.User == PhCurrentUser)
}

// applied compiles p, resolves mode on a fresh test disk and applies it.
func applied(t testing.TB, p *ir.Policy, mode ir.Mode, b ir.Binding) (*Disk, *Resolved) {
	t.Helper()
	m, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	d := testDisk(t)
	r, err := m.Resolve(mode, b, d)
	if err != nil {
		t.Fatalf("resolve %s: %v", mode, err)
	}
	if err := d.Apply(r, testBind, applier(mode)); err != nil {
		t.Fatalf("apply %s: %v", mode, err)
	}
	return d, r
}

func access(t testing.TB, d *Disk, tok *Token, path string) ir.Access {
	t.Helper()
	g, err := d.Access(tok, path)
	if err != nil {
		t.Fatal(err)
	}
	if g.Partial {
		t.Errorf("%s: partial write access", path)
	}
	return g.Access()
}
