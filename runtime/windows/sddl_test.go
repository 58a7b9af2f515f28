package windows

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/backend/winacl"
)

// A descriptor as GetNamedSecurityInfo renders a folder below C:\ with
// one entry for the sandbox group, aliases and an object entry included.
const sample = "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-513" +
	"D:AI(A;OICI;0x1301bf;;;S-1-5-21-9-9-9-1102)(OA;;CC;bf967aba-0de6-11d0-a285-00aa003049e2;;DA)" +
	"(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)(A;OICIID;0x1200a9;;;BU)(A;OICIIOID;SDGXGWGR;;;AU)" +
	"S:AI(ML;OICI;NW;;;LW)"

func TestParseDACL(t *testing.T) {
	d, err := parseDACL(sample)
	if err != nil {
		t.Fatal(err)
	}
	if d.flags != "AI" || len(d.aces) != 6 {
		t.Fatalf("flags %q, %d entries", d.flags, len(d.aces))
	}
	if got := d.explicit().String(); got != "D:AI(A;OICI;0x1301bf;;;S-1-5-21-9-9-9-1102)"+
		"(OA;;CC;bf967aba-0de6-11d0-a285-00aa003049e2;;DA)" {
		t.Errorf("explicit = %s", got)
	}
	if got := labelPart(sample); got != "S:(ML;OICI;NW;;;LW)" {
		t.Errorf("label = %s", got)
	}
	if got := labelPart("O:BAD:P(A;;FA;;;SY)"); got != "S:" {
		t.Errorf("no label = %s", got)
	}
	for _, bad := range []string{"O:BA", "D:(A;;FA;;;SY", "D:(A;FA)"} {
		if _, err := parseDACL(bad); err == nil {
			t.Errorf("parseDACL(%q) accepted", bad)
		}
	}
}

func TestMergeSDDL(t *testing.T) {
	sids := []winacl.SID{"S-1-5-21-9-9-9-1102", "S-1-15-2-77-1"}
	d, err := parseDACL("D:PAI(A;OICI;FA;;;SY)(D;;WD;;;BU)(A;OICI;0x1200a9;;;S-1-5-21-9-9-9-1102)")
	if err != nil {
		t.Fatal(err)
	}
	ours := []winacl.ACE{
		{Type: winacl.Allow, Flags: winacl.InheritTree, Mask: winacl.ReadExecute, SID: sids[0]},
		{Type: winacl.Deny, Flags: winacl.InheritTree, Mask: winacl.WriteRights, SID: sids[0]},
	}
	want := "D:PAI(D;OICI;0xd0156;;;S-1-5-21-9-9-9-1102)(D;;WD;;;BU)" +
		"(A;OICI;0x1200a9;;;S-1-5-21-9-9-9-1102)(A;OICI;FA;;;SY)"
	merged := d.merge(ours, sids)
	if diff := cmp.Diff(want, merged.String()); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("D:PAI(D;;WD;;;BU)(A;OICI;FA;;;SY)", merged.without(sids).String()); diff != "" {
		t.Errorf("without (-want +got):\n%s", diff)
	}
	if got := labelSDDL(&winacl.Label{Level: winacl.Low, Flags: winacl.InheritTree}); got != "S:(ML;OICI;NW;;;LW)" {
		t.Errorf("label = %s", got)
	}
}
