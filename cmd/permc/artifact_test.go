package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

func builtinPolicy(t *testing.T, name string) *ir.Policy {
	t.Helper()
	for _, p := range passes.BuiltinPolicies() {
		if p.Name == name {
			c := *p
			return &c
		}
	}
	t.Fatalf("no built-in %s", name)
	return nil
}

// An artifact is held to what the machine compiles under its name, built-in
// names included, and fails closed when the machine cannot compile it.
func TestHoldToMachine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string { return writeTestFile(t, dir, name, data) }
	allowBuiltins := write("req.toml", "allowed_permission_profiles = [\":read-only\", \":workspace\"]\n")
	brokenCorp := write("req-corp.toml", `allowed_permission_profiles = ["corp"]
default_permissions = "corp"

[permissions.corp]
extends = "base"
`)
	user := write("user.toml", `[permissions.mine.filesystem]
":root" = "read"
`)
	cmdlineNamed := write("<command line>", "[permissions.mine]\nextends = \"nope\"\n")
	mine := func() *ir.Policy {
		c := common{configs: []string{user}}
		res, diags := c.load()
		if diags.HasErrors() || res.Policy("mine") == nil {
			t.Fatal(diags)
		}
		return res.Policy("mine")
	}()
	renamed := func(p *ir.Policy, name string) *ir.Policy { p.Name = name; return p }

	cases := []struct {
		name string
		c    common
		art  *ir.Policy
		want string // "" accepts
	}{
		{"a built-in as built", common{requirements: []string{allowBuiltins}}, builtinPolicy(t, ":workspace"), ""},
		{"full access renamed to an allowed built-in", common{requirements: []string{allowBuiltins}},
			renamed(builtinPolicy(t, ":danger-full-access"), ":workspace"), "differs from what it compiles to"},
		{"full access renamed, no requirements", common{},
			renamed(builtinPolicy(t, ":danger-full-access"), ":read-only"), "differs from what it compiles to"},
		{"full access where the requirements do not allow it", common{requirements: []string{allowBuiltins}},
			builtinPolicy(t, ":danger-full-access"), "not allowed"},
		{"an allowed profile the machine cannot compile", common{requirements: []string{brokenCorp}},
			renamed(builtinPolicy(t, ":danger-full-access"), "corp"), "has errors"},
		{"a profile only the artifact defines", common{}, renamed(builtinPolicy(t, ":workspace"), "shipped"), ""},
		{"an undefined profile under an allowlist", common{requirements: []string{allowBuiltins}},
			renamed(builtinPolicy(t, ":workspace"), "shipped"), "not defined on this machine"},
		{"an undefined profile that says it is unrestricted", common{},
			renamed(builtinPolicy(t, ":danger-full-access"), "shipped"), "only :danger-full-access is"},
		{"a profile the machine defines, as built", common{configs: []string{user}}, mine, ""},
		{"a profile the machine defines differently", common{configs: []string{user}},
			renamed(builtinPolicy(t, ":workspace"), "mine"), "differs"},
		// A config file named like the command line does not pass its
		// errors off as the selection's.
		{"an error in a file named <command line>", common{configs: []string{cmdlineNamed}},
			renamed(builtinPolicy(t, ":workspace"), "mine"), "has errors"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.holdToMachine(tc.art)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// writeTestFile writes data to dir/name and returns the path.
func writeTestFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
