package windows

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/backend/winacl"
	"github.com/permc/permc/ir"
)

func TestInnerSpec(t *testing.T) {
	tests := []struct {
		name string
		p    *ir.Policy
		mode ir.Mode
		want InnerSpec
	}{
		{"appcontainer", rootDeny(), ir.ModeElevated, InnerSpec{Model: winacl.ModelAppContainer,
			AppContainer: "S-1-15-2-77-1", Argv: []string{"cmd.exe", "/c", "dir"}, Dir: `C:\work`,
			Env: []string{"A=1"}}},
		{"sandbox user", workspace(), ir.ModeElevated, InnerSpec{Model: winacl.ModelSandboxUser,
			Capabilities: nil, Restricting: []winacl.SID{"S-1-5-21-9-9-9-1102"},
			Argv: []string{"cmd.exe", "/c", "dir"}, Dir: `C:\work`, Env: []string{"A=1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, plan, a := apply(t, tc.p, tc.mode)
			spec, err := innerSpec(plan, a, []string{"cmd.exe", "/c", "dir"}, `C:\work`, []string{"A=1"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tc.want, spec); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
			arg, err := spec.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeInner(arg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(spec, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if user, ok := sandboxUser(plan); !ok || user != "permc-"+plan.ID {
				t.Errorf("sandbox user %q, %v", user, ok)
			}
		})
	}
	for _, bad := range []string{"!!", "e30"} { // not base64; "{}" has no command
		if _, err := DecodeInner(bad); err == nil {
			t.Errorf("DecodeInner(%q) accepted", bad)
		}
	}
}

func TestFileJournal(t *testing.T) {
	j := FileJournal{Path: filepath.Join(t.TempDir(), "undo.json")}
	if l, err := j.Load(); l != nil || err != nil {
		t.Fatalf("empty journal: %v, %v", l, err)
	}
	want := &UndoLog{Format: 1, Profile: "p", Mode: ir.ModeElevated, ID: "abc", Entries: []UndoEntry{
		{Op: "restore-acl", Path: `C:\work`, SIDs: []winacl.SID{"S-1-5-21-1"}, Label: "S:"},
		{Op: "run", Argv: []string{"a", "b"}}}}
	if err := j.Save(want); err != nil {
		t.Fatal(err)
	}
	got, err := j.Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	if err := j.Clear(); err != nil {
		t.Fatal(err)
	}
	if l, _ := j.Load(); l != nil {
		t.Error("log survived Clear")
	}
	if err := j.Clear(); err != nil {
		t.Errorf("clearing twice: %v", err)
	}
}
