package winacl

import (
	"fmt"
	"strings"
)

// Mask is a Windows access mask for files and directories.
type Mask uint32

// File access rights (winnt.h). A directory reuses the file bits: read
// data lists it, write data adds a file, append data adds a subdirectory.
const (
	FileReadData        Mask = 0x00000001
	FileWriteData       Mask = 0x00000002
	FileAppendData      Mask = 0x00000004
	FileReadEA          Mask = 0x00000008
	FileWriteEA         Mask = 0x00000010
	FileExecute         Mask = 0x00000020
	FileDeleteChild     Mask = 0x00000040
	FileReadAttributes  Mask = 0x00000080
	FileWriteAttributes Mask = 0x00000100
	Delete              Mask = 0x00010000
	ReadControl         Mask = 0x00020000
	WriteDAC            Mask = 0x00040000
	WriteOwner          Mask = 0x00080000
	Synchronize         Mask = 0x00100000

	GenericAll     Mask = 0x10000000
	GenericExecute Mask = 0x20000000
	GenericWrite   Mask = 0x40000000
	GenericRead    Mask = 0x80000000
)

// Composite rights, as the Windows security dialogs name them.
const (
	// FileGenericRead is what opening a file for reading asks for.
	FileGenericRead = ReadControl | Synchronize | FileReadData | FileReadEA | FileReadAttributes
	// FileGenericWrite is what opening a file for writing asks for.
	FileGenericWrite = ReadControl | Synchronize | FileWriteData | FileAppendData |
		FileWriteEA | FileWriteAttributes
	// FileGenericExecute is what running a program asks for.
	FileGenericExecute = ReadControl | Synchronize | FileReadAttributes | FileExecute
	// ReadExecute is "Read & execute" (icacls RX).
	ReadExecute = FileGenericRead | FileGenericExecute
	// Modify is "Modify" (icacls M): read, write, execute and delete,
	// without changing permissions or ownership.
	Modify = ReadExecute | FileGenericWrite | Delete
	// FullControl is "Full control" (icacls F).
	FullControl Mask = 0x001F01FF
	// WriteRights are the bits that change an object or its permissions.
	// A read-only grant denies them; a write-restricted token checks
	// its restricting SIDs for them.
	WriteRights = FileWriteData | FileAppendData | FileWriteEA | FileWriteAttributes |
		Delete | FileDeleteChild | WriteDAC | WriteOwner
	// ContentWrite is what the evaluator asks for when it checks that a
	// path is writable: change data, metadata and delete it.
	ContentWrite = FileWriteData | FileAppendData | FileWriteEA | FileWriteAttributes | Delete
)

// MarshalText renders the mask in hex, as icacls and SDDL do.
func (m Mask) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("0x%x", uint32(m))), nil }

// UnmarshalText parses a hex mask.
func (m *Mask) UnmarshalText(b []byte) error {
	var v uint32
	if _, err := fmt.Sscanf(string(b), "0x%x", &v); err != nil {
		return fmt.Errorf("bad access mask %q", b)
	}
	*m = Mask(v)
	return nil
}

// mapGeneric maps generic rights to the file-specific ones.
func mapGeneric(m Mask) Mask {
	out := m &^ (GenericAll | GenericExecute | GenericWrite | GenericRead)
	if m&GenericRead != 0 {
		out |= FileGenericRead
	}
	if m&GenericWrite != 0 {
		out |= FileGenericWrite
	}
	if m&GenericExecute != 0 {
		out |= FileGenericExecute
	}
	if m&GenericAll != 0 {
		out |= FullControl
	}
	return out
}

// ACEType says whether an entry grants or denies.
type ACEType uint8

const (
	Allow ACEType = iota // ACCESS_ALLOWED_ACE
	Deny                 // ACCESS_DENIED_ACE
)

// String names the type: "allow" or "deny".
func (t ACEType) String() string {
	if t == Deny {
		return "deny"
	}
	return "allow"
}

// MarshalText renders the type by name.
func (t ACEType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText parses "allow" or "deny".
func (t *ACEType) UnmarshalText(b []byte) error {
	switch string(b) {
	case "allow":
		*t = Allow
	case "deny":
		*t = Deny
	default:
		return fmt.Errorf("unknown ace type %q", b)
	}
	return nil
}

// ACEFlags are the inheritance flags of an entry.
type ACEFlags uint8

const (
	ObjectInherit    ACEFlags = 0x01 // OI: files below inherit it
	ContainerInherit ACEFlags = 0x02 // CI: folders below inherit it
	NoPropagate      ACEFlags = 0x04 // NP: only the direct children inherit it
	InheritOnly      ACEFlags = 0x08 // IO: it does not apply to the object itself
	Inherited        ACEFlags = 0x10 // ID: it was inherited, not set here
)

// InheritTree is "this folder, subfolders and files".
const InheritTree = ObjectInherit | ContainerInherit

var flagNames = []struct {
	f    ACEFlags
	name string
}{{ObjectInherit, "OI"}, {ContainerInherit, "CI"}, {NoPropagate, "NP"},
	{InheritOnly, "IO"}, {Inherited, "ID"}}

// String renders the flags as SDDL does ("OICI").
func (f ACEFlags) String() string {
	var b strings.Builder
	for _, n := range flagNames {
		if f&n.f != 0 {
			b.WriteString(n.name)
		}
	}
	return b.String()
}

// MarshalText renders the flags as SDDL does.
func (f ACEFlags) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText parses SDDL inheritance flags.
func (f *ACEFlags) UnmarshalText(b []byte) error {
	s := string(b)
	*f = 0
	for len(s) > 0 {
		ok := false
		for _, n := range flagNames {
			if strings.HasPrefix(s, n.name) {
				*f |= n.f
				s = s[len(n.name):]
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("unknown ace flags %q", b)
		}
	}
	return nil
}

// SID is a security identifier in string form ("S-1-5-32-545"). In a
// manifest a SID may also be a placeholder in braces ("{sandbox_group}")
// that the applier binds to the machine's SID.
type SID string

// IsPlaceholder reports whether s is a placeholder, not a real SID.
func (s SID) IsPlaceholder() bool { return strings.HasPrefix(string(s), "{") }

// ACE is one access control entry.
type ACE struct {
	Type  ACEType  `json:"type"`
	Flags ACEFlags `json:"flags"`
	Mask  Mask     `json:"mask"`
	SID   SID      `json:"sid"`
}

// SDDL renders the entry in SDDL form, e.g. "(A;OICI;0x1301bf;;;S-1-5-11)".
func (a ACE) SDDL() string {
	t := "A"
	if a.Type == Deny {
		t = "D"
	}
	return fmt.Sprintf("(%s;%s;0x%x;;;%s)", t, a.Flags, uint32(a.Mask), a.SID)
}

// Rights names a set of file rights in the manifest.
type Rights string

// The rights of manifest entries.
const (
	RightsReadExecute Rights = "read-execute" // RX
	RightsModify      Rights = "modify"       // M
	RightsFull        Rights = "full"         // F
	RightsWrite       Rights = "write"        // WriteRights: what a read-only grant denies
)

// Mask returns the access mask of r; 0 for an unknown name.
func (r Rights) Mask() Mask {
	switch r {
	case RightsReadExecute:
		return ReadExecute
	case RightsModify:
		return Modify
	case RightsFull:
		return FullControl
	case RightsWrite:
		return WriteRights
	}
	return 0
}

// ACETemplate is an entry of the manifest: a right for a trustee that is
// usually a placeholder. The loader decides the inheritance flags, since
// only the disk says whether a path is a folder.
type ACETemplate struct {
	Type    ACEType `json:"type"`
	Trustee SID     `json:"trustee"`
	Rights  Rights  `json:"rights"`
}

// Bind returns the entry for a concrete path with flags f.
func (t ACETemplate) Bind(f ACEFlags) ACE {
	return ACE{Type: t.Type, Flags: f, Mask: t.Rights.Mask(), SID: t.Trustee}
}

// MergeExplicit returns the explicit entries of a DACL with the entries
// of ours added in canonical order: every entry for which isOurs holds is
// removed first (so applying twice changes nothing), then our denies go
// before every explicit allow and our allows before the other allows.
// Inherited entries keep their place at the end. The same function
// serves the evaluator and the applier, whose entries are SDDL strings.
func MergeExplicit[T any](dacl, ours []T, isOurs, isDeny, isInherited func(T) bool) []T {
	var denies, allows, inherited []T
	for _, a := range dacl {
		switch {
		case isOurs(a):
		case isInherited(a):
			inherited = append(inherited, a)
		case isDeny(a):
			denies = append(denies, a)
		default:
			allows = append(allows, a)
		}
	}
	var ourDenies, ourAllows []T
	for _, a := range ours {
		if isDeny(a) {
			ourDenies = append(ourDenies, a)
		} else {
			ourAllows = append(ourAllows, a)
		}
	}
	out := make([]T, 0, len(dacl)+len(ours))
	out = append(append(out, ourDenies...), denies...)
	out = append(append(out, ourAllows...), allows...)
	return append(out, inherited...)
}
