package windows

import (
	"fmt"
	"slices"
	"strings"

	"github.com/permc/permc/backend/winacl"
)

// dacl is the DACL part of an SDDL string ("D:PAI(A;;FA;;;SY)..."): its
// control flags and its entries, each kept as written so that entries
// permc does not understand (object entries, callbacks, aliases) pass
// through unchanged.
type dacl struct {
	flags string // P (protected), AI, AR
	aces  []sddlACE
}

// sddlACE is one entry: its text, and the fields the merge needs.
type sddlACE struct {
	text      string // "(A;OICI;0x1301bf;;;S-1-5-21-...)"
	deny      bool
	inherited bool
	sid       winacl.SID
}

// parseDACL parses the "D:" part of an SDDL security descriptor; other
// parts (O:, G:, S:) are ignored.
func parseDACL(sddl string) (*dacl, error) {
	i := strings.Index(sddl, "D:")
	if i < 0 {
		return nil, fmt.Errorf("sddl %q has no dacl", sddl)
	}
	s := sddl[i+2:]
	d := &dacl{}
	for len(s) > 0 && s[0] != '(' && !isPart(s) {
		d.flags += s[:1]
		s = s[1:]
	}
	for len(s) > 0 && s[0] == '(' {
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return nil, fmt.Errorf("sddl %q: unterminated entry", sddl)
		}
		a, err := parseACE(s[:end+1])
		if err != nil {
			return nil, err
		}
		d.aces = append(d.aces, a)
		s = s[end+1:]
	}
	return d, nil
}

// isPart reports whether s starts the next part of an SDDL string.
func isPart(s string) bool {
	return len(s) > 1 && s[1] == ':' && strings.ContainsRune("OGDS", rune(s[0]))
}

// parseACE reads "(type;flags;rights;object;inherited object;sid...)".
func parseACE(text string) (sddlACE, error) {
	f := strings.Split(text[1:len(text)-1], ";")
	if len(f) < 6 {
		return sddlACE{}, fmt.Errorf("sddl entry %q has %d fields, want 6", text, len(f))
	}
	return sddlACE{
		text:      text,
		deny:      f[0] == "D" || f[0] == "OD",
		inherited: strings.Contains(f[1], "ID"),
		sid:       winacl.SID(f[5]),
	}, nil
}

// String renders the DACL as SDDL.
func (d *dacl) String() string {
	var b strings.Builder
	b.WriteString("D:" + d.flags)
	for _, a := range d.aces {
		b.WriteString(a.text)
	}
	return b.String()
}

// explicit returns the DACL without inherited entries: what
// SetNamedSecurityInfo takes, the system adding the inherited ones.
func (d *dacl) explicit() *dacl {
	out := &dacl{flags: d.flags}
	for _, a := range d.aces {
		if !a.inherited {
			out.aces = append(out.aces, a)
		}
	}
	return out
}

// merge returns d with the sandbox's entries replaced by ours, in
// canonical order (winacl.MergeExplicit); sids are the sandbox's SIDs.
func (d *dacl) merge(ours []winacl.ACE, sids []winacl.SID) *dacl {
	add := make([]sddlACE, len(ours))
	for i, a := range ours {
		add[i] = sddlACE{text: a.SDDL(), deny: a.Type == winacl.Deny, sid: a.SID}
	}
	merged := winacl.MergeExplicit(d.aces, add,
		func(a sddlACE) bool { return slices.Contains(sids, a.sid) },
		func(a sddlACE) bool { return a.deny },
		func(a sddlACE) bool { return a.inherited })
	return &dacl{flags: d.flags, aces: merged}
}

// without returns d with every entry of sids removed: the undo of merge.
func (d *dacl) without(sids []winacl.SID) *dacl {
	return d.merge(nil, sids)
}

// labelSDDL renders a mandatory label as the SACL part of SDDL, e.g.
// "S:(ML;OICI;NW;;;LW)".
func labelSDDL(l *winacl.Label) string {
	level := map[winacl.IntegrityLevel]string{winacl.Untrusted: "S-1-16-0", winacl.Low: "LW",
		winacl.Medium: "ME", winacl.High: "HI", winacl.System: "SI"}[l.Level]
	return fmt.Sprintf("S:(ML;%s;NW;;;%s)", l.Flags, level)
}
