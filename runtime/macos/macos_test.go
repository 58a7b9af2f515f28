package macos

import (
	"errors"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permc/permc/backend/seatbelt"
	"github.com/permc/permc/backend/seatbelt/seatbelttest"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

func at(line int) ir.Origin {
	return ir.Origin{Pos: diag.Pos{File: "config.toml", Line: line}, Profile: "p"}
}

func rule(line int, b ir.BaseKind, path string, a ir.Access) ir.FSRule {
	return ir.FSRule{Base: b, Path: path, Access: a, Glob: ir.HasGlobMeta(path), Origin: at(line)}
}

func policy(rules ...ir.FSRule) *ir.Policy {
	return &ir.Policy{Name: "p", Origin: at(1), FS: ir.FSPolicy{Rules: rules}, Net: ir.DefaultNetPolicy()}
}

func compile(t *testing.T, p *ir.Policy) *seatbelt.Profile {
	t.Helper()
	prof, err := seatbelt.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return prof
}

var dev = ir.Binding{Home: "/Users/dev", Tmpdir: "/var/folders/ab/cd1234/T",
	WorkspaceRoots: []string{"/Users/dev/code/app"}}

func TestArgv(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		params  map[string]string
		cmd     []string
		want    []string
		wantErr string
	}{
		{"sorted params", "/opt/permc/p/macos.sb", map[string]string{"TMPDIR": "/private/tmp/t", "HOME": "/Users/a b"},
			[]string{"git", "status"},
			[]string{SandboxExec, "-f", "/opt/permc/p/macos.sb", "-D", "HOME=/Users/a b", "-D", "TMPDIR=/private/tmp/t",
				"--", "git", "status"}, ""},
		{"no params", "/p.sb", nil, []string{"-x"}, []string{SandboxExec, "-f", "/p.sb", "--", "-x"}, ""},
		{"value with equals and newline", "/p.sb", map[string]string{"A": "x=y\nz"}, []string{"true"},
			[]string{SandboxExec, "-f", "/p.sb", "-D", "A=x=y\nz", "--", "true"}, ""},
		{"relative policy", "p.sb", nil, []string{"true"}, nil, "absolute"},
		{"no command", "/p.sb", nil, nil, nil, "no command"},
		{"bad name", "/p.sb", map[string]string{"a=b": "c"}, []string{"true"}, nil, "NAME_LIKE_THIS"},
		{"nul", "/p.sb", map[string]string{"A": "x\x00"}, []string{"true"}, nil, "NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Argv(tc.file, tc.params, tc.cmd)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Argv error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Argv (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBindParams(t *testing.T) {
	p := policy(rule(3, ir.BaseMinimal, "", ir.Read), rule(4, ir.BaseWorkspaceRoots, "", ir.Write),
		rule(5, ir.BaseTmpdir, "", ir.Write), rule(6, ir.BaseHome, ".ssh", ir.Deny),
		rule(7, ir.BaseWorkspaceRoots, "secret", ir.Deny))
	p.FS.WorkspaceRoots = []ir.WorkspaceRoot{{Path: "~/lib"}, {Path: `C:\work`}}
	prof := compile(t, p)
	mc := Machine{Home: "/Users/dev", Tmpdir: "/var/folders/ab/cd1234/T/",
		WorkspaceRoots: []string{"/tmp/ws", "/tmp/ws"}}
	b, err := Bind(prof.SBPL, &prof.Manifest, mc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"HOME_RE":          seatbelt.FoldRegex("/Users/dev"),
		"HOME_UP_RE":       seatbelt.UpRegex("/Users/dev"),
		"TMPDIR":           "/private/var/folders/ab/cd1234/T",
		"WORKSPACE_ROOT_0": "/private/tmp/ws",
		"WORKSPACE_ROOT_1": "/Users/dev/lib",
		"WORKSPACE_ROOT_2": seatbelt.UnboundPrefix + "WORKSPACE_ROOT_2",
	}
	for k, v := range want {
		if b.Params[k] != v {
			t.Errorf("%s = %q, want %q", k, b.Params[k], v)
		}
	}
	if diff := cmp.Diff([]string{"/private/tmp/ws", "/Users/dev/lib"}, b.Roots); diff != "" {
		t.Errorf("roots (-want +got):\n%s", diff)
	}
	for path, want := range map[string]bool{"/private/tmp/ws/secret": false, "/private/tmp/WS/Secret/x": false,
		"/Users/dev/lib/SECRET": false, "/private/tmp/ws/other": true, "/Users/dev/lib/x": true,
		"/private/var/folders/ab/cd1234/T/x": true, seatbelt.UnboundPrefix + "WORKSPACE_ROOT_2/x": true} {
		if got := b.Program.Check("file-write-data", path).Allowed; got != want {
			t.Errorf("write %q = %v, want %v", path, got, want)
		}
	}
}

func TestBindErrors(t *testing.T) {
	homeDeny := compile(t, policy(rule(3, ir.BaseHome, ".ssh", ir.Deny)))
	wsGlob := compile(t, policy(rule(3, ir.BaseWorkspaceRoots, "**/*.env", ir.Deny)))
	proxied := policy(rule(3, ir.BaseMinimal, "", ir.Read))
	proxied.Net.Enabled, proxied.Net.HasDomains, proxied.Net.ProxyURL = true, true, "http://127.0.0.1"
	var nine []string
	for i := 0; i < 9; i++ {
		nine = append(nine, "/w/"+strconv.Itoa(i))
	}
	tests := []struct {
		name string
		prof *seatbelt.Profile
		mc   Machine
		want string
	}{
		{"home unknown under a deny", homeDeny, Machine{}, `config.toml:3 (p) "~/.ssh" = deny: the home directory is unknown`},
		{"too many roots", homeDeny, Machine{Home: "/Users/dev", WorkspaceRoots: nine}, "9 workspace roots, but the profile has 8 slots"},
		{"relative root", homeDeny, Machine{Home: "/Users/dev", WorkspaceRoots: []string{"ws"}}, "not an absolute path"},
		{"glob characters in a root", wsGlob, Machine{WorkspaceRoots: []string{"/Users/dev/we*rd"}}, "holds *, ? or ["},
		{"no proxy port", compile(t, proxied), Machine{}, "no port to bind PROXY_PORT"},
		{"manifest out of step", unlisted(t), Machine{Home: "/Users/dev"}, "does not list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Bind(tc.prof.SBPL, &tc.prof.Manifest, tc.mc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Bind error = %v, want %q", err, tc.want)
			}
		})
	}
}

// unlisted is a profile whose manifest lost a parameter.
func unlisted(t *testing.T) *seatbelt.Profile {
	prof := compile(t, policy(rule(3, ir.BaseHome, ".ssh", ir.Deny)))
	prof.Manifest.Params = prof.Manifest.Params[1:]
	return prof
}

// agree binds p for b and checks read and write of each path against
// ir.Decide and the expected access.
func agree(t *testing.T, p *ir.Policy, mc Machine, b ir.Binding, want map[string]ir.Access) {
	t.Helper()
	prof := compile(t, p)
	bound, err := Bind(prof.SBPL, &prof.Manifest, mc)
	if err != nil {
		t.Fatal(err)
	}
	for path, a := range want {
		if ref := ir.Decide(p, ir.MacOS, b, path).Access(); mc.Resolve == nil && ref != a {
			t.Errorf("ir.Decide(%q) = %v, the test expects %v", path, ref, a)
		}
		got := ir.Deny
		if bound.Program.Check("file-read-data", path).Allowed {
			got = ir.Read
		}
		if bound.Program.Check("file-write-data", path).Allowed {
			got = ir.Write
		}
		if got != a {
			t.Errorf("%q: sbpl gives %v, want %v", path, got, a)
		}
	}
}

func TestProtectedMetadata(t *testing.T) {
	ws := "/Users/dev/code/app"
	workspace := func(extra ...ir.FSRule) *ir.Policy {
		base := []ir.FSRule{rule(1, ir.BaseRoot, "", ir.Read), rule(2, ir.BaseWorkspaceRoots, "", ir.Write)}
		p := policy(append(base, extra...)...)
		p.FS.ProtectMetadata = true
		return p
	}
	t.Run("read-only under a readable root", func(t *testing.T) {
		agree(t, workspace(), FromBinding(dev), dev, map[string]ir.Access{
			ws + "/.git/config": ir.Read, ws + "/.codex": ir.Read, ws + "/.agents/a": ir.Read, ws + "/src": ir.Write})
	})
	t.Run("a rule naming it wins", func(t *testing.T) {
		p := workspace(rule(3, ir.BaseAbs, ws+"/.git", ir.Write), rule(4, ir.BaseWorkspaceRoots, ".codex", ir.Deny))
		agree(t, p, FromBinding(dev), dev, map[string]ir.Access{
			ws + "/.git/config": ir.Write, ws + "/.codex/x": ir.Deny, ws + "/.agents": ir.Read})
	})
	t.Run("another case is read-only too", func(t *testing.T) {
		// The "no writes" half of a read rule is a deny, folded as every
		// deny is: on a case-insensitive volume .GIT is .git.
		p := workspace(rule(3, ir.BaseWorkspaceRoots, "docs", ir.Read))
		agree(t, p, FromBinding(dev), dev, map[string]ir.Access{
			ws + "/.GIT/config": ir.Read, ws + "/.Codex/x": ir.Read, ws + "/DOCS/x": ir.Read,
			ws + "/docs/x": ir.Read, ws + "/src/x": ir.Write})
	})
	t.Run("denied under an unreadable root", func(t *testing.T) {
		p := policy(rule(1, ir.BaseRoot, "", ir.Deny), rule(2, ir.BaseWorkspaceRoots, "src", ir.Write),
			rule(3, ir.BaseWorkspaceRoots, "*", ir.Read))
		p.FS.ProtectMetadata = true
		agree(t, p, FromBinding(dev), dev, map[string]ir.Access{
			ws + "/.git/config": ir.Deny, ws + "/README": ir.Read, ws + "/src/x": ir.Write})
	})
	wt := dev
	wt.LinkedGitDirs = map[string]string{ws: "/Users/dev/code/main/.git/worktrees/app"}
	locked := []ir.FSRule{rule(1, ir.BaseRoot, "", ir.Deny), rule(2, ir.BaseMinimal, "", ir.Read),
		rule(3, ir.BaseWorkspaceRoots, "", ir.Write)}
	t.Run("linked worktree gitdir", func(t *testing.T) {
		p := policy(locked...)
		p.FS.ProtectMetadata = true
		agree(t, p, FromBinding(wt), wt, map[string]ir.Access{
			"/Users/dev/code/main/.git/worktrees/app/HEAD": ir.Read, "/Users/dev/code/main/.git/config": ir.Deny})
	})
	t.Run("explicit write on the common git dir", func(t *testing.T) {
		p := policy(append(locked, rule(4, ir.BaseAbs, "/Users/dev/code/main/.git", ir.Write))...)
		p.FS.ProtectMetadata = true
		agree(t, p, FromBinding(wt), wt, map[string]ir.Access{
			"/Users/dev/code/main/.git/worktrees/app/HEAD": ir.Write, ws + "/.git": ir.Read})
	})
	t.Run("symlinked metadata protects the target", func(t *testing.T) {
		mc := FromBinding(dev)
		mc.Resolve = func(p string) (string, bool) { return ws + "/settings", p == ws+"/.codex" }
		agree(t, workspace(), mc, dev, map[string]ir.Access{
			ws + "/.codex/x": ir.Read, ws + "/settings/x": ir.Read, ws + "/settingsX": ir.Write})
	})
}

func TestOrderCheckRefuses(t *testing.T) {
	// The workspace is the home directory: its write rule, emitted at the
	// nominal workspace depth, would override the deeper deny.
	p := policy(rule(3, ir.BaseMinimal, "", ir.Read), rule(4, ir.BaseHome, "code", ir.Deny),
		rule(5, ir.BaseWorkspaceRoots, "", ir.Write))
	prof := compile(t, p)
	mc := Machine{Home: "/Users/dev", WorkspaceRoots: []string{"/Users/dev"}}
	_, err := Bind(prof.SBPL, &prof.Manifest, mc)
	if err == nil || !strings.Contains(err.Error(), `config.toml:4 (p) "~/code" = deny`) ||
		!strings.Contains(err.Error(), "config.toml:5") {
		t.Fatalf("Bind = %v, want a refusal naming both rules", err)
	}
	// Without the check the profile would be wrong here.
	b, err := bind(prof.SBPL, &prof.Manifest, mc, false)
	if err != nil {
		t.Fatal(err)
	}
	if b.Program.Check("file-read-data", "/Users/dev/code/x").Allowed == ir.Decide(p, ir.MacOS,
		ir.Binding{Home: "/Users/dev", WorkspaceRoots: []string{"/Users/dev"}}, "/Users/dev/code/x").Read {
		t.Errorf("the unchecked profile agrees with ir.Decide; the test no longer shows why the check exists")
	}
}

// A write rule spelled in another case than a deeper workspace root
// would beat the folded deny of writes of a read rule there: emitted at
// nominal depths, the write comes later. The check refuses it.
func TestOrderCheckRefusesACaseSpelling(t *testing.T) {
	p := policy(rule(2, ir.BaseRoot, "", ir.Read), rule(3, ir.BaseWorkspaceRoots, "", ir.Write),
		rule(4, ir.BaseWorkspaceRoots, "docs", ir.Read), rule(5, ir.BaseAbs, "/Users/dev/code/org/APP", ir.Write))
	p.FS.ProtectMetadata = true
	prof := compile(t, p)
	mc := Machine{Home: "/Users/dev", WorkspaceRoots: []string{"/Users/dev/code/org/app"}}
	if _, err := Bind(prof.SBPL, &prof.Manifest, mc); err == nil || !strings.Contains(err.Error(), "is emitted first") {
		t.Fatalf("Bind = %v, want the order check's refusal", err)
	}
}

// A write glob read from an outer workspace root can reach an inner
// root's .git: with nested roots the loader refuses it.
func TestNestedRootsWithAWriteGlobRefused(t *testing.T) {
	for _, pat := range []string{"libs/x/*", "libs/*/*", "**/*.sh", "libs/X/*", "LIBS/[x]/*"} {
		p := policy(rule(2, ir.BaseRoot, "", ir.Read), rule(3, ir.BaseWorkspaceRoots, "", ir.Write),
			rule(4, ir.BaseWorkspaceRoots, pat, ir.Write))
		p.FS.ProtectMetadata = true
		prof := compile(t, p)
		mc := Machine{Home: "/Users/dev", WorkspaceRoots: []string{"/Users/dev/mono", "/Users/dev/mono/libs/x"}}
		if _, err := Bind(prof.SBPL, &prof.Manifest, mc); err == nil ||
			!strings.Contains(err.Error(), "lies inside workspace root") && !strings.Contains(err.Error(), "is emitted first") {
			t.Errorf("%s: Bind = %v, want a refusal", pat, err)
		}
		mc.WorkspaceRoots = []string{"/Users/dev/mono"}
		if _, err := Bind(prof.SBPL, &prof.Manifest, mc); err != nil && strings.Contains(err.Error(), "lies inside") {
			t.Errorf("%s: one root refused: %v", pat, err)
		}
	}
	p := policy(rule(2, ir.BaseRoot, "", ir.Read), rule(3, ir.BaseWorkspaceRoots, "", ir.Write),
		rule(4, ir.BaseWorkspaceRoots, "src/*.rs", ir.Write))
	p.FS.ProtectMetadata = true
	prof := compile(t, p)
	mc := Machine{Home: "/Users/dev", WorkspaceRoots: []string{"/Users/dev/mono", "/Users/dev/mono/libs/x"}}
	if _, err := Bind(prof.SBPL, &prof.Manifest, mc); err != nil {
		t.Errorf("src/*.rs cannot reach libs/x/.git, but Bind refused: %v", err)
	}
}

// TestOrderCheckIsSound: on generated policies, every binding on which the
// unchecked profile disagrees with ir.Decide is one the check refuses.
func TestOrderCheckIsSound(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	wrong, refused := 0, 0
	for i := 0; i < 120; i++ {
		p := seatbelttest.Policy(rng, "gen")
		b := seatbelttest.OddBinding(rng)
		prof := compile(t, p)
		unchecked, err := bind(prof.SBPL, &prof.Manifest, FromBinding(b), false)
		if err != nil {
			t.Fatal(err)
		}
		ms := seatbelttest.Compare(p, b, unchecked.Program, seatbelttest.Probes(p, b))
		_, err = Bind(prof.SBPL, &prof.Manifest, FromBinding(b))
		if err != nil {
			refused++
		}
		if len(ms) > 0 {
			wrong++
			if err == nil {
				t.Errorf("case %d: %s, yet the order check passed\n%s", i, ms[0], seatbelttest.Describe(p, b))
			}
		}
	}
	t.Logf("%d refused, %d of them would have been wrong", refused, wrong)
	if wrong == 0 {
		t.Errorf("no generated case needed the check; the generator no longer exercises it")
	}
}

func TestLinkedGitDir(t *testing.T) {
	files := map[string]string{
		"/w/app/.git":                       "gitdir: /w/main/.git/worktrees/app\n",
		"/w/main/.git/worktrees/app/gitdir": "/w/app/.git\n",
		"/w/rel/.git":                       "gitdir: ../main/.git/worktrees/rel",
		"/w/main/.git/worktrees/rel/gitdir": "/w/rel/.git",
		"/w/liar/.git":                      "gitdir: /w/main/.git/worktrees/app",
		"/w/sub/.git":                       "gitdir: /w/main/.git/modules/sub",
		"/w/main/.git/modules/sub/gitdir":   "/w/sub/.git",
		"/w/noback/.git":                    "gitdir: /w/main/.git/worktrees/noback",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("no such file")
	}
	tests := []struct {
		root, want string
		ok         bool
	}{
		{"/w/app", "/w/main/.git/worktrees/app", true},
		{"/w/rel", "/w/main/.git/worktrees/rel", true},
		{"/w/liar", "", false},
		{"/w/sub", "", false},
		{"/w/noback", "", false},
		{"/w/none", "", false},
	}
	for _, tc := range tests {
		got, ok := LinkedGitDir(tc.root, read)
		if got != tc.want || ok != tc.ok {
			t.Errorf("LinkedGitDir(%q) = %q, %v; want %q, %v", tc.root, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCheckOutside(t *testing.T) {
	p := policy(rule(3, ir.BaseMinimal, "", ir.Read), rule(4, ir.BaseWorkspaceRoots, "", ir.Write))
	prof := compile(t, p)
	b, err := Bind(prof.SBPL, &prof.Manifest, FromBinding(dev))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckOutside(b.Program, "/opt/permc/p/macos.sb", SandboxExec); err != nil {
		t.Errorf("files outside writable roots: %v", err)
	}
	err = CheckOutside(b.Program, "/Users/dev/code/app/.permc/macos.sb")
	if err == nil || !strings.Contains(err.Error(), "writable inside the sandbox") {
		t.Errorf("artifact in the workspace: %v, want a refusal", err)
	}
}
