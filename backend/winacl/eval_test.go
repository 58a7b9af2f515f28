package winacl

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/ir"
)

const (
	sidAlice SID = "S-1-5-21-1-2-3-1001"
	sidBob   SID = "S-1-5-21-1-2-3-1002"
	sidTeam  SID = "S-1-5-21-1-2-3-2001"
)

func TestAccessCheck(t *testing.T) {
	alice := &Token{User: sidAlice, Integrity: Medium,
		Groups: []Group{{SID: SIDEveryone}, {SID: SIDUsers}, {SID: sidTeam}}}
	denyOnly := &Token{User: sidAlice, Integrity: Medium,
		Groups: []Group{{SID: SIDEveryone}, {SID: SIDUsers, DenyOnly: true}}}
	restricted := &Token{User: sidAlice, Integrity: Medium, Groups: alice.Groups,
		Restricted: []SID{sidTeam}}
	writeRestricted := &Token{User: sidAlice, Integrity: Medium, Groups: alice.Groups,
		Restricted: []SID{sidTeam}, WriteRestricted: true}
	container := &Token{User: sidAlice, Integrity: Low, Groups: alice.Groups,
		AppContainer: sidContainer}
	lpac := *container
	lpac.LessPrivileged = true
	obj := func(owner SID, label IntegrityLevel, aces ...ACE) *Object {
		return &Object{Owner: owner, DACL: aces, Label: label}
	}
	deny := func(f ACEFlags, m Mask, s SID) ACE { return ACE{Deny, f, m, s} }
	tests := []struct {
		name string
		tok  *Token
		obj  *Object
		want Mask
	}{
		{"allow users", alice, obj(sidBob, Medium, allow(0, ReadExecute, SIDUsers)), ReadExecute},
		{"no entry no access", alice, obj(sidBob, Medium, allow(0, FullControl, sidBob)), 0},
		{"deny first wins", alice, obj(sidBob, Medium,
			deny(0, FileReadData, sidTeam), allow(0, ReadExecute, SIDUsers)), ReadExecute &^ FileReadData},
		{"allow first wins over a later deny", alice, obj(sidBob, Medium,
			allow(0, ReadExecute, SIDUsers), deny(0, FullControl, sidTeam)), ReadExecute},
		{"inherit-only entries skip the object", alice, obj(sidBob, Medium,
			allow(InheritTree|InheritOnly, FullControl, SIDUsers)), 0},
		{"generic rights are mapped", alice, obj(sidBob, Medium,
			allow(0, GenericRead, SIDEveryone)), FileGenericRead},
		{"owner gets read control and write dac", alice, obj(sidAlice, Medium), ReadControl | WriteDAC},
		{"owner rights entry replaces the owner's implicit rights", alice, obj(sidAlice, Medium,
			allow(0, FileReadData, SIDOwnerRights)), FileReadData},
		{"deny-only group grants nothing", denyOnly, obj(sidBob, Medium,
			allow(0, ReadExecute, SIDUsers)), 0},
		{"deny-only group still denies", denyOnly, obj(sidBob, Medium,
			deny(0, FileReadData, SIDUsers), allow(0, ReadExecute, SIDEveryone)), ReadExecute &^ FileReadData},
		{"restricted token needs both passes", restricted, obj(sidBob, Medium,
			allow(0, Modify, SIDUsers), allow(0, ReadExecute, sidTeam)), ReadExecute},
		{"restricted token without restricting grant", restricted, obj(sidBob, Medium,
			allow(0, Modify, SIDUsers)), 0},
		{"write-restricted token reads freely", writeRestricted, obj(sidBob, Medium,
			allow(0, Modify, SIDUsers)), ReadExecute},
		{"write-restricted token writes where restricting sid may", writeRestricted, obj(sidBob, Medium,
			allow(0, Modify, SIDUsers), allow(0, Modify, sidTeam)), Modify},
		{"appcontainer needs a package grant", container, obj(sidBob, Low,
			allow(0, ReadExecute, SIDUsers)), 0},
		{"appcontainer reads through all application packages", container, obj(sidBob, Low,
			allow(0, ReadExecute, SIDUsers), allow(0, ReadExecute, SIDAllAppPackages)), ReadExecute},
		{"appcontainer pass does not replace the user's pass", container, obj(sidBob, Low,
			allow(0, ReadExecute, sidContainer)), 0},
		{"appcontainer deny on container sid", container, obj(sidBob, Low,
			deny(0, FullControl, sidContainer), allow(0, FullControl, SIDUsers),
			allow(0, FullControl, sidContainer)), 0},
		{"less privileged container ignores all application packages", &lpac, obj(sidBob, Low,
			allow(0, ReadExecute, SIDUsers), allow(0, ReadExecute, SIDAllAppPackages)), 0},
		{"less privileged container reads through restricted packages", &lpac, obj(sidBob, Low,
			allow(0, ReadExecute, SIDUsers), allow(0, ReadExecute, SIDAllRestrictedAppPackages)), ReadExecute},
		{"no write up from low integrity", container, obj(sidBob, Medium,
			allow(0, Modify, SIDUsers), allow(0, Modify, sidContainer)), ReadExecute},
		{"low label admits the container's writes", container, obj(sidBob, Low,
			allow(0, Modify, SIDUsers), allow(0, Modify, sidContainer)), Modify},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AccessCheck(tc.tok, tc.obj); got != tc.want {
				t.Errorf("AccessCheck = %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestDiskInheritance(t *testing.T) {
	d := NewDisk()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Add(`C:`, true, SD{Owner: SIDSystem, DACL: []ACE{
		allow(InheritTree, ReadExecute, SIDUsers),
		allow(InheritTree|InheritOnly, FullControl, SIDCreatorOwner),
		allow(ObjectInherit, FileWriteData, sidTeam),
		allow(InheritTree|NoPropagate, Delete, sidBob),
	}}))
	must(d.Add(`C:\a`, true, SD{Owner: sidAlice}))
	must(d.Add(`C:\a\f`, false, SD{Owner: sidAlice}))
	must(d.Add(`C:\cut`, true, SD{Owner: sidAlice, Protected: true,
		DACL: []ACE{allow(InheritTree, FullControl, sidAlice)}}))
	must(d.Add(`C:\cut\f`, false, SD{Owner: sidAlice}))
	tests := []struct {
		path string
		want []ACE
	}{
		{`C:\a`, []ACE{
			{Allow, InheritTree | Inherited, ReadExecute, SIDUsers},
			{Allow, Inherited, FullControl, sidAlice},
			{Allow, InheritTree | InheritOnly | Inherited, FullControl, SIDCreatorOwner},
			{Allow, ObjectInherit | InheritOnly | Inherited, FileWriteData, sidTeam},
			{Allow, Inherited, Delete, sidBob},
		}},
		{`C:\a\f`, []ACE{
			{Allow, Inherited, ReadExecute, SIDUsers},
			{Allow, Inherited, FullControl, sidAlice},
			{Allow, Inherited, FileWriteData, sidTeam},
		}},
		{`C:\cut\f`, []ACE{{Allow, Inherited, FullControl, sidAlice}}},
		{`c:\A\missing\new`, []ACE{
			{Allow, Inherited, ReadExecute, SIDUsers},
			{Allow, Inherited, FullControl, SIDNobody},
			{Allow, Inherited, FileWriteData, sidTeam},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			obj, _, err := d.Object(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, obj.DACL); diff != "" {
				t.Errorf("effective dacl (-want +got):\n%s", diff)
			}
		})
	}
}

// loadsSystemDLLs reports whether tok can read and run what every
// process loads.
func loadsSystemDLLs(t *testing.T, d *Disk, tok *Token) bool {
	for _, p := range []string{`C:\Windows\System32\kernel32.dll`, `C:\Windows\System32\cmd.exe`} {
		obj, _, err := d.Object(p)
		if err != nil {
			t.Fatal(err)
		}
		if AccessCheck(tok, obj)&ReadExecute != ReadExecute {
			return false
		}
	}
	return true
}

// TestSystemDLLs shows that the AppContainer design loads system DLLs,
// and that the designs the issue rejects would not: deny-only Users and
// Everyone (system files grant read through them, explicitly and without
// inheritance, so an entry on %SystemRoot% never reaches them), and
// denying the container on the system folder (TrustedInstaller owns it).
func TestSystemDLLs(t *testing.T) {
	d, r := applied(t, rootDeny(), ir.ModeElevated, testBinding())
	if !loadsSystemDLLs(t, d, sandbox(r)) {
		t.Fatal("the appcontainer sandbox cannot load system dlls")
	}

	t.Run("deny-only broad groups", func(t *testing.T) {
		d := testDisk(t)
		grant := &Resolved{Principals: []SID{PhSandboxGroup}, Nodes: []Node{{
			Path: `C:\Windows`, Dir: true,
			ACEs: []ACE{{Allow, InheritTree, ReadExecute, PhSandboxGroup}}}}}
		err := d.Apply(grant, testBind, applier(ir.ModeElevated))
		if !errors.Is(err, ErrAccessDenied) {
			t.Errorf("an administrator changed the trustedinstaller-owned folder: %v", err)
		}
		// Even when TrustedInstaller lets it through, the entry stops at
		// the system files, whose inheritance is cut.
		n, _ := d.lookup([]string{"C:", "Windows"})
		n.sd.DACL = append(n.sd.DACL, ACE{Allow, InheritTree, ReadExecute, sidSandboxGroup})
		n, _ = d.lookup([]string{"C:", "Windows", "System32"})
		n.sd.DACL = append(n.sd.DACL, ACE{Allow, InheritTree, ReadExecute, sidSandboxGroup})
		tok := &Token{User: sidSandboxUser, Integrity: Medium, Groups: []Group{
			{SID: SIDEveryone, DenyOnly: true}, {SID: SIDUsers, DenyOnly: true},
			{SID: SIDAuthenticatedUsers, DenyOnly: true}, {SID: sidSandboxGroup}}}
		if loadsSystemDLLs(t, d, tok) {
			t.Error("deny-only users and everyone should cut the sandbox off from system dlls")
		}
	})

	t.Run("container denied on the system folder", func(t *testing.T) {
		d := testDisk(t)
		bad := &Resolved{Principals: []SID{PhAppContainer}, Nodes: []Node{{
			Path: `C:\Windows`, Dir: true,
			ACEs: []ACE{{Deny, InheritTree, FullControl, PhAppContainer}}}}}
		if err := d.Apply(bad, testBind, applier(ir.ModeElevated)); !errors.Is(err, ErrAccessDenied) {
			t.Errorf("apply = %v, want access denied", err)
		}
	})

	t.Run("manifest denying :minimal is refused", func(t *testing.T) {
		p := policy(rl(ir.BaseRoot, "", ir.Deny, 4), rl(ir.BaseMinimal, "", ir.Read, 5),
			rl(ir.BaseAbs, `C:\Windows`, ir.Deny, 6))
		m, err := Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		// The manifest refuses the mode at the rule (system folders cannot
		// be denied), before anything would be applied.
		_, err = m.Resolve(ir.ModeElevated, testBinding(), testDisk(t))
		if err == nil || !strings.Contains(err.Error(), ":6:") || !strings.Contains(err.Error(), "cannot deny them") {
			t.Errorf("resolve = %v, want the mode refused at line 6", err)
		}
	})
}

func TestMergeExplicit(t *testing.T) {
	ours := map[SID]bool{sidTeam: true}
	dacl := []ACE{
		{Deny, 0, FileReadData, sidBob}, {Allow, 0, FullControl, sidAlice},
		{Allow, 0, FullControl, sidTeam}, {Allow, Inherited, ReadExecute, SIDUsers},
	}
	add := []ACE{{Allow, InheritTree, Modify, sidTeam}, {Deny, InheritTree, WriteRights, sidTeam}}
	merge := func(dacl []ACE) []ACE {
		return MergeExplicit(dacl, add, func(a ACE) bool { return ours[a.SID] },
			func(a ACE) bool { return a.Type == Deny },
			func(a ACE) bool { return a.Flags&Inherited != 0 })
	}
	want := []ACE{
		{Deny, InheritTree, WriteRights, sidTeam}, {Deny, 0, FileReadData, sidBob},
		{Allow, InheritTree, Modify, sidTeam}, {Allow, 0, FullControl, sidAlice},
		{Allow, Inherited, ReadExecute, SIDUsers},
	}
	got := merge(dacl)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, merge(got)); diff != "" {
		t.Errorf("merging twice changed the dacl (-want +got):\n%s", diff)
	}
}
