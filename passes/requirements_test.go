package passes_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// requirementCodes are asserted by the tests in this file.
var requirementCodes = []diag.Code{
	diag.NotAllowed, diag.ManagedOverride, diag.BadRequirements, diag.LegacyMode, diag.NoProfileSelected,
	diag.ReadFile,
}

func TestUnreadableFiles(t *testing.T) {
	_, diags := run(t, files{}, frontend.Options{Files: []string{"gone.toml"}, Requirements: []string{"req.toml"}},
		passes.Options{})
	expectDiag(t, diags, diag.ReadFile, "gone.toml", "cannot read config")
	expectDiag(t, diags, diag.ReadFile, "req.toml", "cannot read requirements")
}

// files is an in-memory file system for multi-file tests.
type files map[string]string

func (f files) read(name string) ([]byte, error) {
	if s, ok := f[name]; ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("open %s: no such file", name)
}

func run(t *testing.T, fs files, o frontend.Options, po passes.Options) (*passes.Result, diag.List) {
	t.Helper()
	o.ReadFile = fs.read
	cfg, diags := frontend.Load(o)
	if diags.HasErrors() {
		return nil, diags.Sorted()
	}
	res := passes.Run(cfg, po)
	return res, append(diags, res.Diags...).Sorted()
}

// expectDiag asserts that exactly one diagnostic of code sits at file:line:col.
func expectDiag(t *testing.T, diags diag.List, code diag.Code, pos string, msg string) {
	t.Helper()
	n := 0
	for _, d := range diags {
		if d.Code == code && d.Pos.String() == pos && strings.Contains(d.Message, msg) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("want one %s at %s containing %q; got:\n%s", code, pos, msg, render(diags))
	}
}

func render(diags diag.List) string {
	var b strings.Builder
	diags.Render(&b, 0)
	return b.String()
}

// The case legacy-mode-shadows-profiles: sandbox_mode in the system layer
// silently disables the user's profile.
func TestLegacyModeShadowsProfiles(t *testing.T) {
	fs := files{
		"system.toml": "sandbox_mode = \"workspace-write\"\n",
		"user.toml": `default_permissions = "dev"

[permissions.dev]
extends = ":workspace"

[permissions.dev.filesystem.":workspace_roots"]
"**/.env" = "none"
`,
	}
	res, diags := run(t, fs, frontend.Options{Files: []string{"system.toml", "user.toml"}}, passes.Options{})
	expectDiag(t, diags, diag.LegacyMode, "system.toml:1:16", "permission profiles are not in effect")
	if res.Source != ir.SourceLegacy || res.Selected != passes.LegacyName("workspace-write") {
		t.Fatalf("selected %s (%s), want the older settings", res.Selected, res.Source)
	}
	// none is accepted as deny, in the profile that is not in effect.
	dev := res.Policy("dev")
	if dev == nil || len(dev.FS.Rules) == 0 {
		t.Fatal("dev profile not compiled")
	}
	found := false
	for _, r := range dev.FS.Rules {
		if r.Path == "**/.env" && r.Access == ir.Deny {
			found = true
		}
	}
	if !found {
		t.Errorf("\"none\" not read as deny: %+v", dev.FS.Rules)
	}

	// With managed allowed_permission_profiles, profiles win and no warning.
	fs["req.toml"] = `allowed_permission_profiles = ["dev", ":read-only", ":workspace"]` + "\n"
	res, diags = run(t, fs, frontend.Options{Files: []string{"system.toml", "user.toml"},
		Requirements: []string{"req.toml"}}, passes.Options{})
	if res.Source != ir.SourceProfile || res.Selected != "dev" {
		t.Errorf("with managed allowlist: selected %s (%s), want dev (profile)", res.Selected, res.Source)
	}
	for _, d := range diags {
		if d.Code == diag.LegacyMode {
			t.Errorf("unexpected legacy warning: %s", d)
		}
	}
}

func TestSandboxFlagForcesLegacy(t *testing.T) {
	fs := files{"c.toml": "default_permissions = \":workspace\"\n"}
	res, diags := run(t, fs, frontend.Options{Files: []string{"c.toml"}}, passes.Options{Sandbox: "read-only"})
	expectDiag(t, diags, diag.LegacyMode, "<command line>", `sandbox_mode "read-only" is set`)
	if res.Selected != passes.LegacyName("read-only") {
		t.Errorf("selected %s", res.Selected)
	}
}

func TestConfigProfileSetsSandboxMode(t *testing.T) {
	fs := files{"c.toml": `profile = "ci"
default_permissions = ":workspace"

[profiles.ci]
sandbox_mode = "read-only"
`}
	res, diags := run(t, fs, frontend.Options{Files: []string{"c.toml"}}, passes.Options{})
	expectDiag(t, diags, diag.LegacyMode, "c.toml:5:16", "older sandbox settings apply")
	if res.Selected != passes.LegacyName("read-only") {
		t.Errorf("selected %s", res.Selected)
	}
}

// A config profile that no layer defines is an error, by flag or by the
// top-level key: falling back to the top-level settings could select a
// broader profile than the named one.
func TestUnknownConfigProfile(t *testing.T) {
	fs := files{"c.toml": `default_permissions = ":workspace"

[profiles.ro]
default_permissions = ":read-only"
`}
	_, diags := run(t, fs, frontend.Options{Files: []string{"c.toml"}}, passes.Options{ConfigProfile: "r0"})
	expectDiag(t, diags, diag.UnknownConfigProfile, "<command line>",
		`--config-profile names config profile "r0", which no layer defines with a [profiles.r0] table; defined: ro`)
	fs["c.toml"] = "profile = \"r0\"\n" + fs["c.toml"]
	_, diags = run(t, fs, frontend.Options{Files: []string{"c.toml"}}, passes.Options{})
	expectDiag(t, diags, diag.UnknownConfigProfile, "c.toml:1:11", `profile names config profile "r0"`)
	res, diags := run(t, fs, frontend.Options{Files: []string{"c.toml"}}, passes.Options{ConfigProfile: "ro"})
	if diags.HasErrors() || res.Selected != ":read-only" {
		t.Errorf("--config-profile ro: selected %s, %v", res.Selected, diags)
	}
}

func TestManagedRequirements(t *testing.T) {
	fs := files{
		"req.toml": `allowed_permission_profiles = ["corp"]

[permissions.corp.filesystem]
":root" = "read"
`,
		"user.toml": `default_permissions = "mine"

[permissions.mine.filesystem]
":root" = "read"

[permissions.corp.filesystem]
"/" = "write"
`,
	}
	_, diags := run(t, fs, frontend.Options{Files: []string{"user.toml"}, Requirements: []string{"req.toml"}}, passes.Options{})
	expectDiag(t, diags, diag.NotAllowed, "user.toml:1:23", `profile "mine" is not allowed by managed requirements (allowed: corp)`)
	expectDiag(t, diags, diag.ManagedOverride, "user.toml:6:14", `profile "corp" is defined by managed requirements`)

	// Omitting default_permissions needs both :workspace and :read-only allowed.
	fs["user2.toml"] = "[permissions.x.filesystem]\n\":root\" = \"read\"\n"
	_, diags = run(t, fs, frontend.Options{Files: []string{"user2.toml"}, Requirements: []string{"req.toml"}}, passes.Options{})
	expectDiag(t, diags, diag.NoProfileSelected, "req.toml:1:1", "may be omitted only when both")

	// A later requirements file only narrows; unknown keys are errors.
	fs["req2.toml"] = "allowed_permission_profiles = [\"other\"]\nallowed_colours = [\"red\"]\n"
	_, diags = run(t, fs, frontend.Options{Files: []string{"user.toml"}, Requirements: []string{"req.toml", "req2.toml"}},
		passes.Options{Profile: "corp"})
	expectDiag(t, diags, diag.UnknownKey, "req2.toml:2:1", `unknown key "allowed_colours" in requirements`)

	fs["req3.toml"] = "allowed_permission_profiles = [\"other\"]\n"
	fs["user3.toml"] = "default_permissions = \"corp\"\n"
	_, diags = run(t, fs, frontend.Options{Files: []string{"user3.toml"}, Requirements: []string{"req.toml", "req3.toml"}},
		passes.Options{})
	expectDiag(t, diags, diag.NotAllowed, "user3.toml:1:23", `profile "corp" is not allowed`)

	fs["req4.toml"] = "default_permissions = \"a\"\n"
	fs["req5.toml"] = "default_permissions = \"b\"\n"
	_, diags = run(t, fs, frontend.Options{Files: []string{"user3.toml"}, Requirements: []string{"req4.toml", "req5.toml"}},
		passes.Options{})
	expectDiag(t, diags, diag.BadRequirements, "req5.toml:1:23", `conflicts with "a"`)
}

func TestAllowedSandboxModes(t *testing.T) {
	fs := files{"req.toml": "allowed_sandbox_modes = [\"read-only\"]\n", "c.toml": "sandbox_mode = \"workspace-write\"\n"}
	_, diags := run(t, fs, frontend.Options{Files: []string{"c.toml"}, Requirements: []string{"req.toml"}}, passes.Options{})
	expectDiag(t, diags, diag.NotAllowed, "c.toml:1:16", `sandbox_mode "workspace-write" is not allowed`)
}

func TestNoProfileSelected(t *testing.T) {
	fs := files{"c.toml": "[permissions.x.filesystem]\n\":root\" = \"read\"\n"}
	res, diags := run(t, fs, frontend.Options{Files: []string{"c.toml"}}, passes.Options{})
	expectDiag(t, diags, diag.NoProfileSelected, "c.toml:1:1", "so :read-only applies")
	if res.Selected != passes.ReadOnly {
		t.Errorf("selected %s", res.Selected)
	}
}

// The case deny-everything-pattern: a deny of "*" is rejected and nothing
// is built.
func TestDenyEverythingPattern(t *testing.T) {
	fs := files{"c.toml": `default_permissions = "p"

[permissions.p.filesystem]
":root" = "read"

[permissions.p.network]
enabled = true

[permissions.p.network.domains]
"api.example.com" = "allow"
"*" = "deny"
`}
	_, diags := run(t, fs, frontend.Options{Files: []string{"c.toml"}}, passes.Options{})
	expectDiag(t, diags, diag.WildcardDeny, "c.toml:11:1", `"*" may only be allowed`)
	if !diags.HasErrors() {
		t.Error("a deny of * must be an error")
	}
}

// Managed allowed_sandbox_modes without danger-full-access also refuses
// the :danger-full-access profile; with it, or with an allowlist of
// profiles (which governs profiles instead), the profile is as usual.
func TestSandboxModesHoldFullAccess(t *testing.T) {
	fs := files{
		"req.toml":  "allowed_sandbox_modes = [\"read-only\", \"workspace-write\"]\n",
		"req2.toml": "allowed_sandbox_modes = [\"read-only\", \"danger-full-access\"]\n",
		"c.toml":    "default_permissions = \":danger-full-access\"\n",
	}
	_, diags := run(t, fs, frontend.Options{Files: []string{"c.toml"}, Requirements: []string{"req.toml"}}, passes.Options{})
	expectDiag(t, diags, diag.NotAllowed, "c.toml:1:23",
		`profile :danger-full-access is not allowed: managed requirements do not allow sandbox_mode "danger-full-access" (allowed: read-only, workspace-write)`)
	res, diags := run(t, fs, frontend.Options{Files: []string{"c.toml"}, Requirements: []string{"req2.toml"}}, passes.Options{})
	if diags.HasErrors() || res.Selected != ":danger-full-access" {
		t.Errorf("allowed: selected %s, %v", res.Selected, diags)
	}
}

// A managed profile may build only on managed profiles and built-ins: a
// parent from a user layer would let the user widen it.
func TestManagedExtendsUserProfile(t *testing.T) {
	fs := files{
		"req.toml": `allowed_permission_profiles = ["team"]
default_permissions = "team"

[permissions.team]
extends = "base"

[permissions.ok]
extends = "mbase"

[permissions.mbase]
extends = ":read-only"
`,
		"user.toml": `[permissions.base.filesystem]
"/srv" = "write"
`,
	}
	res, diags := run(t, fs, frontend.Options{Files: []string{"user.toml"}, Requirements: []string{"req.toml"}}, passes.Options{})
	expectDiag(t, diags, diag.ManagedOverride, "req.toml:5:11",
		`managed profile "team" extends "base", which managed requirements do not define`)
	if res.Policy("ok") == nil {
		t.Errorf("a managed profile extending a managed one failed: %v", diags)
	}
}

// SamePolicy ignores where settings were written: one config read under
// two paths, with network settings and a glob depth (which carry origins
// of their own), is the same policy; a changed value is not.
func TestSamePolicyIgnoresOrigins(t *testing.T) {
	cfg := `default_permissions = "p"
[permissions.p]
extends = ":workspace"
description = "one"
[permissions.p.filesystem]
glob_scan_max_depth = 4
":workspace_roots" = { "**/*.env" = "deny" }
[permissions.p.network]
enabled = true
enable_socks5 = false
[permissions.p.network.domains]
"example.com" = "allow"
`
	moved := strings.Replace("\n\n"+cfg, "one", "two", 1)
	fs := files{"a.toml": cfg, "cfg/b.toml": moved, "c.toml": strings.Replace(cfg, "= 4", "= 5", 1)}
	pol := func(f string) *ir.Policy {
		res, diags := run(t, fs, frontend.Options{Files: []string{f}}, passes.Options{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return res.Policy("p")
	}
	if !passes.SamePolicy(pol("a.toml"), pol("cfg/b.toml")) {
		t.Error("the same config at another path and line differs")
	}
	if passes.SamePolicy(pol("a.toml"), pol("c.toml")) {
		t.Error("another glob depth is the same policy")
	}
}

// Thousands of profiles extending thousands of unknown names get a "did
// you mean" search for the first names only: each search compares a name
// with every profile, so searching for all would be quadratic.
func TestManyUnknownParents(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "[permissions.p%04d]\nextends = \"p%04dx\"\n", i, i)
	}
	_, diags := run(t, files{"c.toml": b.String()}, frontend.Options{Files: []string{"c.toml"}}, passes.Options{})
	searched := 0
	for _, d := range diags.Errors() {
		if strings.Contains(d.Message, "did you mean") {
			searched++
		}
	}
	if n := len(diags.Errors()); n < 3000 || searched == 0 || searched > 50 {
		t.Errorf("%d errors, %d with a suggestion", n, searched)
	}
}
