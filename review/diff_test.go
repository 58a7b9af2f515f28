package review

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permc/permc/driver"
	"github.com/permc/permc/ir"
)

// side writes a config to name in the current directory and loads it;
// tests that use it run in a temporary directory (see inTemp), so that
// origins read as the name.
func side(t *testing.T, name, toml string) *Side {
	t.Helper()
	if err := os.WriteFile(name, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	s, diags, err := LoadSide(name, SideOptions{})
	if err != nil || s == nil {
		t.Fatalf("%s: %v %v", name, err, diags.Errors())
	}
	return s
}

func inTemp(t *testing.T) { t.Chdir(t.TempDir()) }

const base = `default_permissions = "p"

[permissions.p.filesystem]
":minimal" = "read"
"~/Documents" = "deny"
"~/code" = "read"

[permissions.p.filesystem.":workspace_roots"]
"." = "write"
"**/*.env" = "deny"

[permissions.p.network]
enabled = true

[permissions.p.network.domains]
"api.openai.com" = "allow"
`

// edit returns base with old replaced by new, failing when old is absent.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(base, old) {
		t.Fatalf("base lacks %q", old)
	}
	return strings.Replace(base, old, new, 1)
}

// change is a compact form of a PathChange for comparisons.
type change struct {
	Path     string
	From, To string
	Widens   bool
	Old, New string // At of the responsible rules
}

func pathChanges(d *ProfileDiff) []change {
	var out []change
	for _, c := range d.Paths {
		out = append(out, change{c.Path, c.From.String(), c.To.String(), c.Widens, atOf(c.Old), atOf(c.New)})
	}
	return out
}

func TestDiffPaths(t *testing.T) {
	inTemp(t)
	tests := []struct {
		name    string
		new     string
		widened bool
		want    []change
	}{
		{"add a write rule widens", edit(t, `"~/code" = "read"`, `"~/code" = "read"
"~/code/out" = "write"`), true, []change{
			{"~/code/out", "read", "write", true, "old.toml:6", "new.toml:7"},
		}},
		{"reopen inside a deny widens", edit(t, `"~/Documents" = "deny"`, `"~/Documents" = "deny"
"~/Documents/codex" = "write"`), true, []change{
			{"~/Documents/codex", "deny", "write", true, "old.toml:5", "new.toml:6"},
		}},
		{"remove a deny nothing reopens", edit(t, `"~/Documents" = "deny"
`, ""), false, nil},
		{"remove a deny glob widens", edit(t, `"**/*.env" = "deny"
`, ""), true, []change{
			{"<workspace>/**/*.env", "deny", "write", true, "old.toml:10", "new.toml:9"},
		}},
		{"read to deny narrows", edit(t, `"~/code" = "read"`, `"~/code" = "deny"`), false, nil},
		{"write to read narrows", edit(t, `"." = "write"`, `"." = "read"`), false, nil},
	}
	old := side(t, "old.toml", base)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Diff(old, side(t, "new.toml", tc.new), Options{Targets: ir.Targets})
			if tc.name == "remove a deny nothing reopens" {
				// ~/Documents stays unreadable: no rule covers it without
				// the deny either.
				if r.Widened || len(r.Profiles) != 0 {
					t.Errorf("widened %v: %+v", r.Widened, r.Profiles)
				}
				return
			}
			if len(r.Profiles) != 1 || r.Profiles[0].Name != "p" {
				t.Fatalf("profiles %+v", r.Profiles)
			}
			got := pathChanges(&r.Profiles[0])
			switch tc.name {
			case "read to deny narrows":
				if r.Widened || len(got) == 0 || got[0].Path != "~/code" || got[0].To != "deny" {
					t.Errorf("widened %v: %+v", r.Widened, got)
				}
				return
			case "write to read narrows":
				if r.Widened || len(got) == 0 {
					t.Errorf("widened %v: %+v", r.Widened, got)
				}
				for _, c := range got {
					if c.Widens || c.From != "write" || c.To != "read" {
						t.Errorf("change %+v", c)
					}
				}
				return
			}
			if r.Widened != tc.widened {
				t.Errorf("widened %v, want %v", r.Widened, tc.widened)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

// Removing a deny inside a readable tree widens, with both lines named.
func TestDiffRemoveDeny(t *testing.T) {
	inTemp(t)
	old := side(t, "old.toml", `default_permissions = "p"

[permissions.p.filesystem]
":root" = "read"
"/etc/ssl/private" = "deny"
`)
	new := side(t, "new.toml", `default_permissions = "p"

[permissions.p.filesystem]
":root" = "read"
`)
	r := Diff(old, new, Options{Targets: []ir.Target{ir.Linux, ir.MacOS}})
	if !r.Widened {
		t.Fatal("removing a deny did not widen")
	}
	want := []change{{"/etc/ssl/private", "deny", "read", true, "old.toml:5", "new.toml:4"}}
	if diff := cmp.Diff(want, pathChanges(&r.Profiles[0])); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if r.Profiles[0].Paths[0].New.Entry != `":root" = "read"` {
		t.Errorf("new rule %+v", r.Profiles[0].Paths[0].New)
	}
}

func TestDiffNetwork(t *testing.T) {
	inTemp(t)
	tests := []struct {
		name     string
		old, new string
		widened  bool
		settings []string // "setting: from → to"
		hosts    []string // "host: from → to"
	}{
		{"domain added", base, edit(t, `"api.openai.com" = "allow"`, `"api.openai.com" = "allow"
"*.github.com" = "allow"`), true, nil, []string{"<sub>.github.com: blocked → allowed"}},
		{"domain removed", edit(t, `"api.openai.com" = "allow"`, `"api.openai.com" = "allow"
"*.github.com" = "allow"`), base, false, nil, []string{"<sub>.github.com: allowed → blocked"}},
		{"deny added narrows", base, edit(t, `"api.openai.com" = "allow"`, `"api.openai.com" = "allow"
"api.openai.com:443" = "deny"`), false, nil, nil},
		{"network enabled", edit(t, "enabled = true", "enabled = false"), base, true,
			[]string{"network mode: off → proxied"}, []string{"api.openai.com: blocked → allowed"}},
		{"domains dropped: full network", base, edit(t, `
[permissions.p.network.domains]
"api.openai.com" = "allow"
`, ""), true, []string{"network mode: proxied → full"}, nil},
		{"local binding", base, edit(t, "enabled = true", "enabled = true\nallow_local_binding = true"), true,
			[]string{"allow_local_binding: false → true"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Diff(side(t, "old.toml", tc.old), side(t, "new.toml", tc.new), Options{Targets: ir.Targets})
			if r.Widened != tc.widened {
				t.Errorf("widened %v, want %v: %+v", r.Widened, tc.widened, r.Profiles)
			}
			if len(r.Profiles) != 1 {
				t.Fatalf("profiles %+v", r.Profiles)
			}
			d := r.Profiles[0]
			var settings, hosts []string
			for _, c := range d.Network {
				settings = append(settings, c.Setting+": "+c.From+" → "+c.To)
			}
			for _, c := range d.Hosts {
				hosts = append(hosts, c.Host+": "+c.From+" → "+c.To)
			}
			if diff := cmp.Diff(tc.settings, settings); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
			if tc.name == "deny added narrows" {
				if len(hosts) != 1 || hosts[0] != "api.openai.com: allowed → blocked" {
					t.Errorf("hosts %v", hosts)
				}
				return
			}
			if diff := cmp.Diff(tc.hosts, hosts); diff != "" {
				t.Errorf("hosts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffSockets(t *testing.T) {
	inTemp(t)
	sock := edit(t, "enabled = true", "enabled = true\n\n[permissions.p.network.unix_sockets]\n\"/var/run/docker.sock\" = \"allow\"\n")
	r := Diff(side(t, "old.toml", base), side(t, "new.toml", sock), Options{Targets: []ir.Target{ir.MacOS}})
	want := []SocketChange{{Path: "/var/run/docker.sock", Allowed: true, Widens: true, At: "new.toml:16"}}
	if !r.Widened || len(r.Profiles) != 1 {
		t.Fatalf("widened %v %+v", r.Widened, r.Profiles)
	}
	if diff := cmp.Diff(want, r.Profiles[0].Sockets); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	r = Diff(side(t, "old.toml", sock), side(t, "new.toml", base), Options{Targets: []ir.Target{ir.MacOS}})
	if r.Widened || len(r.Profiles[0].Sockets) != 1 || r.Profiles[0].Sockets[0].Allowed {
		t.Errorf("removal: widened %v %+v", r.Widened, r.Profiles[0].Sockets)
	}
}

// Dropping a deny that macOS reads through the /private link (or in
// another case) widens there, though the spellings alone did not change.
func TestDiffSocketDenyThroughAnAlias(t *testing.T) {
	inTemp(t)
	for _, deny := range []string{"/private/var/run/docker.sock", "/VAR/run/Docker.sock"} {
		withDeny := edit(t, "enabled = true", "enabled = true\n\n[permissions.p.network.unix_sockets]\n"+
			"\"/var/run/docker.sock\" = \"allow\"\n\""+deny+"\" = \"deny\"\n")
		without := edit(t, "enabled = true", "enabled = true\n\n[permissions.p.network.unix_sockets]\n"+
			"\"/var/run/docker.sock\" = \"allow\"\n")
		r := Diff(side(t, "old.toml", withDeny), side(t, "new.toml", without), Options{Targets: ir.Targets})
		if !r.Widened || len(r.Profiles) != 1 || len(r.Profiles[0].Sockets) != 1 ||
			r.Profiles[0].Sockets[0].Path != "/var/run/docker.sock (macos)" {
			t.Errorf("deny %s dropped: widened %v %+v", deny, r.Widened, r.Profiles)
		}
	}
}

func TestDiffProfiles(t *testing.T) {
	inTemp(t)
	old := side(t, "old.toml", base)

	// Identical configs: nothing changed, nothing widened.
	r := Diff(old, side(t, "new.toml", base), Options{Targets: ir.Targets})
	if r.Widened || len(r.Profiles) != 0 || r.InEffect != nil || !cmp.Equal(r.Unchanged, []string{"p"}) {
		t.Errorf("identical: %+v", r)
	}
	var b strings.Builder
	WriteDiffText(&b, r)
	if !strings.Contains(b.String(), "no semantic change") {
		t.Errorf("text:\n%s", b.String())
	}

	// An added profile widens: it can be selected.
	added := base + "\n[permissions.q.filesystem]\n\":root\" = \"write\"\n"
	r = Diff(old, side(t, "new.toml", added), Options{Targets: ir.Targets})
	if !r.Widened || len(r.Profiles) != 1 || r.Profiles[0].Status != Added {
		t.Errorf("added: %+v", r)
	}
	// A removed one does not.
	r = Diff(side(t, "old.toml", added), side(t, "new.toml", base), Options{Targets: ir.Targets})
	if r.Widened || len(r.Profiles) != 1 || r.Profiles[0].Status != Removed {
		t.Errorf("removed: %+v", r)
	}
	// Selecting a broader profile widens, though no profile changed.
	r = Diff(side(t, "old.toml", added), side(t, "new.toml", strings.Replace(added, `default_permissions = "p"`, `default_permissions = "q"`, 1)),
		Options{Targets: ir.Targets})
	if !r.Widened || r.InEffect == nil || r.InEffect.Old != "p" || r.InEffect.New != "q" || !r.InEffect.Widens {
		t.Errorf("selection: %+v", r.InEffect)
	}
	// Switching to the older settings is a change of the policy in effect.
	legacy := "sandbox_mode = \"read-only\"\n" + base
	r = Diff(old, side(t, "new.toml", legacy), Options{Targets: ir.Targets})
	if r.InEffect == nil || r.InEffect.New != "sandbox_mode:read-only" || !r.Widened {
		t.Errorf("legacy: %+v", r.InEffect)
	}
	for _, p := range r.Profiles {
		if p.Status == Added && p.Widened {
			t.Errorf("the older settings' policy counted as a new profile: %+v", p)
		}
	}
	// --profile restricts the report.
	r = Diff(old, side(t, "new.toml", added), Options{Targets: ir.Targets, Profile: "p"})
	if r.Widened || len(r.Profiles) != 0 {
		t.Errorf("--profile p: %+v", r)
	}
}

// A folder written by permc build reads back to the same policies.
func TestDiffBuildFolder(t *testing.T) {
	inTemp(t)
	s := side(t, "base.toml", base)
	var pols []*ir.Policy
	for _, p := range s.Policies {
		pols = append(pols, p)
	}
	b := driver.Compile(pols, s.Selected, driver.Options{Targets: []ir.Target{ir.MacOS}})
	if b.Diags.HasErrors() {
		t.Fatal(b.Diags)
	}
	dir := "out"
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	folder, diags, err := LoadSide(dir, SideOptions{})
	if err != nil || len(diags) != 0 {
		t.Fatal(err, diags)
	}
	if folder.Selected != "p" || len(folder.Policies) != len(s.Policies) {
		t.Errorf("folder: selected %q, %d policies", folder.Selected, len(folder.Policies))
	}
	r := Diff(folder, s, Options{Targets: ir.Targets})
	if r.Widened || len(r.Profiles) != 0 {
		t.Errorf("folder against its config: %+v", r.Profiles)
	}
	changed := side(t, "new.toml", edit(t, `"~/code" = "read"`, `"~/code" = "write"`))
	r = Diff(folder, changed, Options{Targets: ir.Targets})
	if !r.Widened || len(r.Profiles) != 1 || r.Profiles[0].Paths[0].Old.At != "base.toml:6" {
		t.Errorf("folder against a change: %+v", r.Profiles)
	}
	// One profile folder is a side too.
	one, _, err := LoadSide(filepath.Join(dir, "p"), SideOptions{})
	if err != nil || len(one.Policies) != 1 {
		t.Errorf("one folder: %v %+v", err, one)
	}
	if _, _, err := LoadSide(t.TempDir(), SideOptions{}); !errors.Is(err, ErrNotSide) {
		t.Error("an empty folder is a side")
	}
}

func TestDiffRender(t *testing.T) {
	inTemp(t)
	new := edit(t, `"~/Documents" = "deny"`, `"~/Documents" = "deny"
"~/Documents/codex" = "write"`)
	r := Diff(side(t, "old.toml", base), side(t, "new.toml", new), Options{Targets: ir.Targets})
	var text, md strings.Builder
	WriteDiffText(&text, r)
	WriteDiffMarkdown(&md, r)
	for _, want := range []string{
		"profile p: changed, widens access",
		"    + ~/Documents/codex: no access → write\n",
		`        old: "~/Documents" = "deny" at old.toml:5`,
		`        new: "~/Documents/codex" = "write" at new.toml:6`,
		"result: access widened",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{
		"### permc diff: **access widened**",
		"| widens | `~/Documents/codex` | no access | write | old: `\"~/Documents\" = \"deny\"` at old.toml:5<br>new: `\"~/Documents/codex\" = \"write\"` at new.toml:6 |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// A new profile workspace root, an explicit rule over protected metadata
// and a smaller glob scan depth all widen.
func TestDiffWorkspace(t *testing.T) {
	inTemp(t)
	old := side(t, "old.toml", `default_permissions = "p"

[permissions.p]
extends = ":workspace"

[permissions.p.filesystem]
glob_scan_max_depth = 4

[permissions.p.filesystem.":workspace_roots"]
"**/*.env" = "deny"
`)
	new := side(t, "new.toml", `default_permissions = "p"

[permissions.p]
extends = ":workspace"

[permissions.p.workspace_roots]
"~/code/other" = true

[permissions.p.filesystem]
glob_scan_max_depth = 2

[permissions.p.filesystem.":workspace_roots"]
"**/*.env" = "deny"
".git" = "write"
`)
	r := Diff(old, new, Options{Targets: ir.Targets})
	if !r.Widened || len(r.Profiles) != 1 {
		t.Fatalf("%+v", r)
	}
	d := r.Profiles[0]
	got := map[string]change{}
	for _, c := range pathChanges(&d) {
		got[c.Path] = c
	}
	want := map[string]change{
		// The lower depth opens the deeper matches where globs are
		// expanded at start (Linux, Windows); Seatbelt matches any depth.
		"<workspace>/**/*.env":  {"<workspace>/**/*.env", "deny", "write", true, "old.toml:10", "builtin :workspace"},
		"<workspace>/.git":      {"<workspace>/.git", "read", "write", true, "builtin :workspace", "new.toml:14"},
		"~/code/other":          {"~/code/other", "read", "write", true, "builtin :workspace", "builtin :workspace"},
		"~/code/other/.git":     {"~/code/other/.git", "read", "write", true, "builtin :workspace", "new.toml:14"},
		"~/code/other/**/*.env": {"~/code/other/**/*.env", "read", "deny", false, "builtin :workspace", "new.toml:13"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(d.Paths) != len(want) {
		t.Errorf("paths %+v", d.Paths)
	}
	for _, c := range d.Paths {
		n := 3
		if c.Path == "<workspace>/**/*.env" {
			n = 2
		}
		if len(c.Targets) != n {
			t.Errorf("%s on %v, want %d targets", c.Path, c.Targets, n)
		}
	}
	wantSet := []SettingChange{{Setting: "glob_scan_max_depth", From: "4", To: "2", Widens: true, Old: "old.toml:7", New: "new.toml:10"}}
	if diff := cmp.Diff(wantSet, d.Network); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
}

// A deny glob replaced by shallower ones covers less: the deeper matches
// are probed down to the glob's depth, so the widening shows, in place and
// as an added profile that is not "no wider" than the one in effect.
func TestDiffShallowerGlobWidens(t *testing.T) {
	inTemp(t)
	const head = "[permissions.%s]\nextends = \":workspace\"\n[permissions.%s.filesystem]\nglob_scan_max_depth = 4\n" +
		"[permissions.%s.filesystem.\":workspace_roots\"]\n"
	deep := fmt.Sprintf(head, "p", "p", "p") + "\"**/*.env\" = \"deny\"\n"
	shallow := fmt.Sprintf(head, "p", "p", "p") + "\"*.env\" = \"deny\"\n\"*/*.env\" = \"deny\"\n"
	old := side(t, "old.toml", "default_permissions = \"p\"\n"+deep)
	r := Diff(old, side(t, "new.toml", "default_permissions = \"p\"\n"+shallow), Options{Targets: ir.Targets})
	if !r.Widened {
		t.Errorf("**/*.env -> *.env, */*.env at depth 4 did not widen: %+v", r)
	}
	added := fmt.Sprintf(head, "q", "q", "q") + "\"*.env\" = \"deny\"\n\"*/*.env\" = \"deny\"\n"
	r = Diff(old, side(t, "new.toml", "default_permissions = \"p\"\n"+deep+added), Options{Targets: ir.Targets})
	if !r.Widened {
		t.Errorf("an added profile with shallower globs counted as no wider: %+v", r.Profiles)
	}
}

// An absolute rule for a path that may lie in the user's workspace
// changes what the workspace rules grant there: removing it widens, even
// though under the stand-in roots it is a path outside every root.
func TestDiffAbsoluteRuleInsideARoot(t *testing.T) {
	inTemp(t)
	const plain = "default_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n"
	withRO := plain + "[permissions.p.filesystem]\n\"/srv/project/vendor\" = \"read\"\n"
	r := Diff(side(t, "old.toml", withRO), side(t, "new.toml", plain), Options{Targets: []ir.Target{ir.Linux, ir.MacOS}})
	if !r.Widened || len(r.Profiles) != 1 {
		t.Fatalf("dropping a read-only rule inside a possible workspace did not widen: %+v", r)
	}
	var found bool
	for _, c := range r.Profiles[0].Paths {
		if c.Path == "/srv/project/vendor" && c.Widens && c.When == "with the workspace root at /srv/project" {
			found = true
		}
	}
	if !found {
		t.Errorf("no widening at /srv/project/vendor with the workspace root at /srv/project: %+v", r.Profiles[0].Paths)
	}
	r = Diff(side(t, "old.toml", plain), side(t, "new.toml", withRO), Options{Targets: []ir.Target{ir.Linux}})
	if r.Widened {
		t.Errorf("adding the read-only rule widened: %+v", r.Profiles)
	}
}

// A narrowed deny glob widens, though every example path of the old
// pattern may still be denied: globs are compared rule by rule.
func TestDiffNarrowedDenyGlob(t *testing.T) {
	inTemp(t)
	old := side(t, "old.toml", base)
	for _, tc := range []struct {
		new     string
		widened bool
	}{
		{`"**/p.env" = "deny"`, true},
		{`"**/?*.env" = "deny"`, true},
		{`"**/[ab]*.env" = "deny"`, true},
		{`"**/*.env" = "read"`, true},
		{`"**/*.env" = "deny"
"**/*.key" = "deny"`, false},
	} {
		r := Diff(old, side(t, "new.toml", edit(t, `"**/*.env" = "deny"`, tc.new)), Options{Targets: ir.Targets})
		if r.Widened != tc.widened {
			t.Errorf("%s: widened %v, want %v (%+v)", tc.new, r.Widened, tc.widened, r.Profiles)
			continue
		}
		if len(r.Profiles) != 1 || len(r.Profiles[0].Globs) == 0 {
			t.Errorf("%s: no glob change listed: %+v", tc.new, r.Profiles)
			continue
		}
		var text strings.Builder
		WriteDiffText(&text, r)
		if tc.widened && !strings.Contains(text.String(), "+ :workspace_roots **/*.env: deny") {
			t.Errorf("%s: the text does not name the old rule as widening:\n%s", tc.new, text.String())
		}
	}
}
