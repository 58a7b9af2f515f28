package bwrap

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/ir"
)

var update = flag.Bool("update", false, "rewrite the golden plans in testdata")

// caseProfiles are the shared cases' profiles, as the passes lower them.
func caseProfiles() map[string]*ir.Policy {
	globs := workspacePolicy(rule(ir.BaseWorkspaceRoots, "data/*/cache/**", ir.Deny, 9))
	globs.FS.GlobScanMaxDepth = 6
	keys := workspacePolicy(rule(ir.BaseWorkspaceRoots, "**/*.key", ir.Deny, 10),
		rule(ir.BaseWorkspaceRoots, "**/.env.local", ir.Deny, 11))
	keys.FS.GlobScanMaxDepth = 4
	return map[string]*ir.Policy{
		"restricted-root-write": restrictedPolicy(),
		"deny-file-in-readable-dir": {Name: "p", FS: ir.FSPolicy{Rules: []ir.FSRule{
			rule(ir.BaseMinimal, "", ir.Read, 4), rule(ir.BaseWorkspaceRoots, "", ir.Read, 7),
			rule(ir.BaseWorkspaceRoots, "notes/secret.txt", ir.Deny, 8),
			rule(ir.BaseWorkspaceRoots, "private", ir.Deny, 9)}}},
		"worktree-explicit-write": workspacePolicy(rule(ir.BaseAbs, "/home/dev/src/app/.git", ir.Write, 7)),
		"glob-many-matches":       globs,
		"many-file-masks":         keys,
		"unrestricted":            {Name: ":danger-full-access", Unrestricted: true},
	}
}

func TestCompileGolden(t *testing.T) {
	for name, p := range caseProfiles() {
		t.Run(name, func(t *testing.T) {
			plan, diags := Compile(p)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			got, err := json.MarshalIndent(plan, "", "  ")
			must(t, err)
			golden := filepath.Join("testdata", name+".json")
			if *update {
				must(t, os.WriteFile(golden, append(got, '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			must(t, err)
			if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
				t.Errorf("plan differs from %s (-want +got); run with -update if intended:\n%s", golden, diff)
			}
			var back Plan
			must(t, json.Unmarshal(got, &back))
			if diff := cmp.Diff(plan, &back); diff != "" {
				t.Errorf("JSON round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileIsOrderIndependent(t *testing.T) {
	p := caseProfiles()["many-file-masks"]
	want, _ := Compile(p)
	rev := *p
	rev.FS.Rules = nil
	for i := len(p.FS.Rules) - 1; i >= 0; i-- {
		rev.FS.Rules = append(rev.FS.Rules, p.FS.Rules[i])
	}
	got, _ := Compile(&rev)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan depends on rule order (-want +got):\n%s", diff)
	}
}

func TestCompileDiagnostics(t *testing.T) {
	tests := []struct {
		name  string
		rules []ir.FSRule
		want  []string
	}{
		{"read glob is unenforceable", []ir.FSRule{rule(ir.BaseWorkspaceRoots, "src/*.go", ir.Read, 5)},
			[]string{"config.toml:5: unenforceable"}},
		{"trailing /** grant is a subtree", []ir.FSRule{rule(ir.BaseWorkspaceRoots, "docs/**", ir.Read, 5)}, nil},
		{"deny globs are templates", []ir.FSRule{rule(ir.BaseWorkspaceRoots, "**/*.env", ir.Deny, 5)}, nil},
		{"windows path is skipped", []ir.FSRule{rule(ir.BaseAbs, `C:\work`, ir.Write, 5)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Compile(workspacePolicy(tc.rules...))
			if diff := cmp.Diff(tc.want, errorLines(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileTemplates(t *testing.T) {
	p := restrictedPolicy(rule(ir.BaseWorkspaceRoots, "docs/**", ir.Read, 5),
		rule(ir.BaseMinimal, "", ir.Deny, 6), rule(ir.BaseAbs, `C:\work`, ir.Write, 7))
	plan, _ := Compile(p)
	type row struct{ Base, Path, Pattern, Access, Kind string }
	var got []row
	for _, tm := range plan.Templates {
		if tm.Kind == KindRule {
			got = append(got, row{tm.Base, tm.Path, tm.Pattern, tm.Access, tm.Kind})
		}
	}
	want := []row{
		{"abs", "/bin", "", "deny", "rule"}, {"abs", "/etc", "", "deny", "rule"},
		{"abs", "/lib", "", "deny", "rule"}, {"abs", "/lib64", "", "deny", "rule"},
		{"abs", "/nix/store", "", "deny", "rule"}, {"abs", "/run/current-system/sw", "", "deny", "rule"},
		{"abs", "/sbin", "", "deny", "rule"}, {"abs", "/usr", "", "deny", "rule"},
		{":root", "", "", "deny", "rule"},
		{":workspace_roots", "", "", "write", "rule"}, {":workspace_roots", "docs", "", "read", "rule"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rule templates (-want +got):\n%s", diff)
	}
	if plan.Base != "empty" {
		t.Errorf("base = %q, want empty", plan.Base)
	}
}
