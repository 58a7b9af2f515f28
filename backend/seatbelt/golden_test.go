package seatbelt_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permc/permc/backend/seatbelt"
	"github.com/permc/permc/ir"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// projectEdit is the spec's project-edit profile with the ~/Documents
// example added: the profile a reviewer would read.
func projectEdit() *ir.Policy {
	p := policy(rule(7, ir.BaseMinimal, "", ir.Read),
		rule(8, ir.BaseHome, "Documents", ir.Deny), rule(9, ir.BaseHome, "Documents/codex", ir.Write),
		rule(12, ir.BaseWorkspaceRoots, "", ir.Write), rule(13, ir.BaseWorkspaceRoots, ".devcontainer", ir.Read),
		rule(14, ir.BaseWorkspaceRoots, "**/*.env", ir.Deny))
	p.Name = "project-edit"
	p.FS.WorkspaceRoots = []ir.WorkspaceRoot{{Path: "~/code/app", Origin: at(4)},
		{Path: "~/code/shared-lib", Origin: at(5)}}
	p.Net.Enabled, p.Net.HasDomains = true, true
	p.Net.Origins = map[string]ir.Origin{"enabled": at(17)}
	return p
}

// TestGolden compares the compiled text with testdata; -update rewrites
// it. The evaluator tests carry the weight; this shows what changed.
func TestGolden(t *testing.T) {
	prof, err := seatbelt.Compile(projectEdit())
	if err != nil {
		t.Fatal(err)
	}
	params, err := prof.ParamsJSON()
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"project-edit.sb": prof.SBPL, "project-edit.params.json": params} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s is stale (-want +got), rerun with -update after review:\n%s", name, diff)
		}
	}
}
