package review

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// The spec's example of a narrower entry reopening inside a broader deny.
const documents = `default_permissions = "p"

[permissions.p.filesystem]
":minimal" = "read"
"~/Documents" = "deny"
"~/Documents/codex" = "write"
`

func TestExplainPathDocuments(t *testing.T) {
	l := load(t, files{"docs.toml": documents}, passes.Options{}, "docs.toml")
	b := ir.Binding{Home: "/home/u", WorkspaceRoots: []string{"/ws"}}
	tests := []struct {
		name       string
		path       string
		write      bool
		target     ir.Target
		allowed    bool
		read, wr   bool
		by         string   // At of the deciding rule, "" when none
		overridden []string // At of the overridden entries
	}{
		{"documents denied", "~/Documents/notes.txt", false, ir.Linux, false, false, false, "docs.toml:5", nil},
		{"documents itself denied", "/home/u/Documents", false, ir.MacOS, false, false, false, "docs.toml:5", nil},
		{"codex reopened for write", "~/Documents/codex/a/b", true, ir.Linux, true, true, true, "docs.toml:6", []string{"docs.toml:5"}},
		{"codex readable", "/home/u/Documents/codex", false, ir.MacOS, true, true, true, "docs.toml:6", []string{"docs.toml:5"}},
		{"macos deny folds case", "/home/u/DOCUMENTS/x", false, ir.MacOS, false, false, false, "docs.toml:5", nil},
		{"minimal readable, from the :minimal line", "/usr/lib/x", false, ir.Linux, true, true, false, "docs.toml:4", nil},
		{"minimal not writable", "/usr/lib/x", true, ir.Linux, false, true, false, "docs.toml:4", nil},
		{"nothing matches: denied", "/opt/x", false, ir.Linux, false, false, false, "", nil},
		{"home itself denied", "/home/u", false, ir.Linux, false, false, false, "", nil},
		{"implicit grant", "/dev/null", true, ir.Linux, true, true, true, "builtin", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ExplainPath(l, PathQuery{Path: tc.path, Write: tc.write, Targets: []ir.Target{tc.target}, Binding: b})
			if err != nil {
				t.Fatal(err)
			}
			v := e.Targets[0]
			if e.Allowed != tc.allowed || v.Read != tc.read || v.Write != tc.wr {
				t.Errorf("allowed %v read %v write %v, want %v %v %v", e.Allowed, v.Read, v.Write, tc.allowed, tc.read, tc.wr)
			}
			if got := atOf(v.DecidedBy); got != tc.by {
				t.Errorf("decided by %q (%+v), want %q", got, v.DecidedBy, tc.by)
			}
			var over []string
			for _, r := range v.Overridden {
				if r.Kind == ir.MatchRule {
					over = append(over, r.At)
				}
			}
			if diff := cmp.Diff(tc.overridden, over); diff != "" {
				t.Errorf("overridden rules (-want +got):\n%s", diff)
			}
			if v.Enforcement == "" {
				t.Error("no enforcement note")
			}
		})
	}
}

func TestExplainPathEntries(t *testing.T) {
	l := load(t, files{"docs.toml": documents}, passes.Options{}, "docs.toml")
	b := ir.Binding{Home: "/home/u"}
	e, err := ExplainPath(l, PathQuery{Path: "~/Documents/codex/x", Write: true, Targets: ir.Targets, Binding: b})
	if err != nil {
		t.Fatal(err)
	}
	if e.Path != "/home/u/Documents/codex/x" || e.Access != ir.Write || e.Policy.Name != "p" {
		t.Errorf("query echoed as %q %v %q", e.Path, e.Access, e.Policy.Name)
	}
	lin := e.Targets[1]
	if lin.Target != ir.Linux || lin.DecidedBy.Entry != `"~/Documents/codex" = "write"` || lin.DecidedBy.Profile != "p" {
		t.Errorf("linux decided by %+v", lin.DecidedBy)
	}
	if !strings.Contains(lin.Enforcement, "writable bind mount of /home/u/Documents/codex") {
		t.Errorf("linux enforcement %q", lin.Enforcement)
	}
	if mac := e.Targets[0]; !strings.Contains(mac.Enforcement, `(allow file-read* file-write* (subpath "/home/u/Documents/codex"))`) {
		t.Errorf("macos enforcement %q", mac.Enforcement)
	}
	if win := e.Targets[2]; win.Skipped == "" {
		t.Errorf("a posix path on windows was decided: %+v", win)
	}
	var b2 strings.Builder
	WritePathText(&b2, e)
	for _, want := range []string{
		`decided by: "~/Documents/codex" = "write" at docs.toml:6`,
		`overrides:  "~/Documents" = "deny" at docs.toml:5`,
		"windows: skipped: not a windows path",
		"answer: write allowed on macos, linux",
	} {
		if !strings.Contains(b2.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b2.String())
		}
	}
}

// The enforceability diagnostic of the deciding rule is part of the answer.
func TestExplainPathDiagnostics(t *testing.T) {
	l := load(t, files{"g.toml": `default_permissions = "p"

[permissions.p.filesystem]
":root" = "read"
"/srv/*.txt" = "read"
`}, passes.Options{}, "g.toml")
	e, err := ExplainPath(l, PathQuery{Path: "/srv/a.txt", Targets: []ir.Target{ir.Linux, ir.MacOS}, Binding: ir.Binding{}})
	if err != nil {
		t.Fatal(err)
	}
	lin, mac := e.Targets[0], e.Targets[1]
	if len(lin.Diagnostics) != 1 || lin.Diagnostics[0].Pos.Line != 5 || !strings.Contains(lin.Diagnostics[0].Message, "cannot be enforced on linux") {
		t.Errorf("linux diagnostics %v", lin.Diagnostics)
	}
	if len(mac.Diagnostics) != 0 {
		t.Errorf("macos diagnostics %v", mac.Diagnostics)
	}
}

// Rules inherited through extends say so.
func TestExplainPathExtends(t *testing.T) {
	l := load(t, files{"e.toml": `default_permissions = "child"

[permissions.base.filesystem]
":root" = "read"
"/srv" = "write"

[permissions.child]
extends = "base"

[permissions.child.filesystem]
"/srv/secret" = "deny"
`}, passes.Options{}, "e.toml")
	e, err := ExplainPath(l, PathQuery{Path: "/srv/x", Write: true, Targets: []ir.Target{ir.Linux}})
	if err != nil {
		t.Fatal(err)
	}
	by := e.Targets[0].DecidedBy
	if by == nil || by.At != "e.toml:5" || by.Profile != "base" || by.Via != "inherited: child extends base" {
		t.Errorf("decided by %+v", by)
	}
	e, _ = ExplainPath(l, PathQuery{Path: "/srv/secret/k", Targets: []ir.Target{ir.Linux}})
	if e.Allowed || e.Targets[0].DecidedBy.At != "e.toml:11" || e.Targets[0].DecidedBy.Via != "" {
		t.Errorf("secret: allowed %v by %+v", e.Allowed, e.Targets[0].DecidedBy)
	}
}

// The case legacy-mode-shadows-profiles: explain says which mode decided.
func TestExplainLegacyMode(t *testing.T) {
	fs := files{
		"system.toml": "sandbox_mode = \"workspace-write\"\n",
		"user.toml": `default_permissions = "dev"

[permissions.dev]
extends = ":workspace"

[permissions.dev.filesystem.":workspace_roots"]
"**/.env" = "none"
`,
		"req.toml": `allowed_permission_profiles = ["dev", ":read-only", ":workspace"]` + "\n",
	}
	q := PathQuery{Path: "/ws/app/.env", Targets: []ir.Target{ir.MacOS, ir.Linux}, Binding: ir.Binding{WorkspaceRoots: []string{"/ws"}}}

	l := load(t, fs, passes.Options{}, "system.toml", "user.toml")
	e, err := ExplainPath(l, q)
	if err != nil {
		t.Fatal(err)
	}
	want := &Legacy{Mode: "workspace-write", At: "system.toml:1:16", Profile: "dev"}
	if diff := cmp.Diff(want, e.Legacy); diff != "" {
		t.Errorf("legacy (-want +got):\n%s", diff)
	}
	for _, v := range e.Targets {
		if !v.Read || !v.Write || v.DecidedBy == nil || v.DecidedBy.At != "builtin :workspace" ||
			v.DecidedBy.Via != `via sandbox_mode "workspace-write"` {
			t.Errorf("%s: read %v write %v by %+v", v.Target, v.Read, v.Write, v.DecidedBy)
		}
		s := v.Shadowed
		if s == nil || s.Profile != "dev" || s.Read || atOf(s.DecidedBy) != "user.toml:7" {
			t.Errorf("%s: shadowed %+v", v.Target, s)
		}
	}
	var b strings.Builder
	WritePathText(&b, e)
	for _, w := range []string{
		`mode: the older settings decided it: sandbox_mode "workspace-write" at system.toml:1:16`,
		"profile dev would apply",
		`not in effect: profile dev would decide read denied, write denied, by ":workspace_roots"."**/.env" = "deny" at user.toml:7`,
	} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, b.String())
		}
	}

	// --sandbox forces the older settings from the command line.
	l = load(t, fs, passes.Options{Sandbox: "read-only"}, "user.toml")
	e, _ = ExplainPath(l, q)
	if e.Legacy == nil || e.Legacy.Mode != "read-only" || e.Legacy.At != "<command line>" || e.Allowed != true {
		t.Errorf("--sandbox: legacy %+v allowed %v", e.Legacy, e.Allowed)
	}
	b.Reset()
	WritePathText(&b, e)
	if w := "mode: the older settings decided it: --sandbox read-only is given"; !strings.Contains(b.String(), w) {
		t.Errorf("text lacks %q:\n%s", w, b.String())
	}

	// With a managed allowlist, profiles are in effect and the glob decides.
	l2, diags := Load(frontend.Options{Files: []string{"system.toml", "user.toml"}, Requirements: []string{"req.toml"},
		ReadFile: fs.read}, passes.Options{})
	if l2 == nil || diags.HasErrors() {
		t.Fatal(diags)
	}
	e, _ = ExplainPath(l2, q)
	if e.Legacy != nil || e.Allowed || atOf(e.Targets[0].DecidedBy) != "user.toml:7" || e.Targets[0].Shadowed != nil {
		t.Errorf("managed: legacy %+v allowed %v by %+v", e.Legacy, e.Allowed, e.Targets[0].DecidedBy)
	}
}

// On Linux a deny glob reaches only files present at load; explain says
// when the glob would match a path that does not exist.
func TestExplainGlobNotPresent(t *testing.T) {
	l := load(t, files{"g.toml": `default_permissions = "p"

[permissions.p]
extends = ":workspace"

[permissions.p.filesystem.":workspace_roots"]
"**/*.env" = "deny"
`}, passes.Options{}, "g.toml")
	b := ir.Binding{WorkspaceRoots: []string{"/ws"}, Exists: func(string) bool { return false }}
	e, err := ExplainPath(l, PathQuery{Path: "/ws/a/.env", Targets: []ir.Target{ir.MacOS, ir.Linux}, Binding: b})
	if err != nil {
		t.Fatal(err)
	}
	mac, lin := e.Targets[0], e.Targets[1]
	if mac.Read || mac.DecidedBy.Kind != ir.MatchDenyGlob || len(mac.Notes) != 0 {
		t.Errorf("macos: read %v by %+v notes %v", mac.Read, mac.DecidedBy, mac.Notes)
	}
	if !lin.Read || len(lin.Notes) != 1 || !strings.Contains(lin.Notes[0], "does not exist now") {
		t.Errorf("linux: read %v notes %v", lin.Read, lin.Notes)
	}
	if e.Allowed {
		t.Error("answer allowed although macos denies")
	}
	b.Exists = func(string) bool { return true }
	e, _ = ExplainPath(l, PathQuery{Path: "/ws/a/.env", Targets: []ir.Target{ir.Linux}, Binding: b})
	if e.Allowed || len(e.Targets[0].Notes) != 0 {
		t.Errorf("existing file: allowed %v notes %v", e.Allowed, e.Targets[0].Notes)
	}
}

func TestExplainPathErrors(t *testing.T) {
	l := load(t, files{"docs.toml": documents}, passes.Options{}, "docs.toml")
	if _, err := ExplainPath(l, PathQuery{Path: `C:\x`, Targets: []ir.Target{ir.Linux}}); err == nil {
		t.Error("a windows path on linux only: no error")
	}
	if _, err := ExplainPath(l, PathQuery{Path: "~/x", Targets: ir.Targets}); err == nil {
		t.Error("~ with no home: no error")
	}
	e, err := ExplainPath(l, PathQuery{Path: `C:\Users\u\Documents\x`, Targets: ir.Targets, Binding: ir.Binding{Home: `C:\Users\u`}})
	if err != nil || e.Allowed || e.Targets[2].DecidedBy == nil || e.Targets[2].DecidedBy.At != "docs.toml:5" {
		t.Errorf("windows path: %v %+v", err, e)
	}
}

// Backends can replace the enforcement note of their target.
func TestEnforcerHook(t *testing.T) {
	l := load(t, files{"docs.toml": documents}, passes.Options{}, "docs.toml")
	old := Enforcers[ir.Linux]
	defer func() { Enforcers[ir.Linux] = old }()
	Enforcers[ir.Linux] = func(p *ir.Policy, path string, d ir.Decision) string {
		return "custom " + p.Name + " " + path + " " + d.Access().String()
	}
	e, _ := ExplainPath(l, PathQuery{Path: "/home/u/Documents/x", Targets: []ir.Target{ir.Linux}, Binding: ir.Binding{Home: "/home/u"}})
	if got := e.Targets[0].Enforcement; got != "custom p /home/u/Documents/x deny" {
		t.Errorf("enforcement %q", got)
	}
}

// A deny glob that matches deeper than glob_scan_max_depth does not mask
// the path on Linux; explain says so, with the depth, where a match at the
// limit gets no such note.
func TestExplainGlobBeyondDepth(t *testing.T) {
	l := load(t, files{"g.toml": `default_permissions = "p"

[permissions.p]
extends = ":workspace"

[permissions.p.filesystem]
glob_scan_max_depth = 3
":workspace_roots" = { "." = "write", "**/*.env" = "deny" }
`}, passes.Options{}, "g.toml")
	b := ir.Binding{WorkspaceRoots: []string{"/ws"}, Exists: func(string) bool { return true }}
	q := PathQuery{Path: "/ws/a/b/c/d4.env", Targets: []ir.Target{ir.Linux}, Binding: b}
	e, err := ExplainPath(l, q)
	if err != nil {
		t.Fatal(err)
	}
	lin := e.Targets[0]
	if !lin.Read || len(lin.Notes) != 1 || !strings.Contains(lin.Notes[0], "at depth 4 below its base, deeper than glob_scan_max_depth = 3 (g.toml:7)") {
		t.Errorf("depth 4: read %v notes %q", lin.Read, lin.Notes)
	}
	q.Path = "/ws/a/b/d3.env"
	e, _ = ExplainPath(l, q)
	if lin := e.Targets[0]; lin.Read || len(lin.Notes) != 0 {
		t.Errorf("depth 3: read %v notes %q", lin.Read, lin.Notes)
	}
}

// On macOS a glob grant is a regex in the SBPL, not a subpath, and a
// read rule also denies writes in any case: explain says so.
func TestExplainSeatbeltForms(t *testing.T) {
	src := `default_permissions = "p"
[permissions.p.filesystem]
":root" = "read"
"~/docs/*.md" = "write"
`
	l := load(t, files{"g.toml": src}, passes.Options{}, "g.toml")
	b := ir.Binding{Home: "/Users/u"}
	e, err := ExplainPath(l, PathQuery{Path: "/Users/u/docs/a.md", Write: true, Targets: []ir.Target{ir.MacOS}, Binding: b})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Targets[0].Enforcement; !strings.Contains(got, "(regex ...) from the glob") || strings.Contains(got, "subpath") {
		t.Errorf("glob grant shown as %q", got)
	}
	e, err = ExplainPath(l, PathQuery{Path: "/etc/hosts", Write: true, Targets: []ir.Target{ir.MacOS}, Binding: b})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Targets[0].Enforcement; !strings.Contains(got, "(deny file-write* ...) for the same path in any case") {
		t.Errorf("read rule shown as %q", got)
	}
}
