package winacl

import (
	"fmt"
	"slices"
)

// Well-known SIDs the manifest and the evaluator name.
const (
	SIDEveryone                 SID = "S-1-1-0"
	SIDCreatorOwner             SID = "S-1-3-0"
	SIDOwnerRights              SID = "S-1-3-4"
	SIDInteractive              SID = "S-1-5-4"
	SIDAuthenticatedUsers       SID = "S-1-5-11"
	SIDSystem                   SID = "S-1-5-18"
	SIDAdministrators           SID = "S-1-5-32-544"
	SIDUsers                    SID = "S-1-5-32-545"
	SIDAllAppPackages           SID = "S-1-15-2-1"
	SIDAllRestrictedAppPackages SID = "S-1-15-2-2"
	SIDTrustedInstaller         SID = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
	// SIDNobody is the null SID; the evaluator uses it as the owner of a
	// path that does not exist yet, so no owner rights apply.
	SIDNobody SID = "S-1-0-0"
)

// IntegrityLevel is a mandatory integrity level.
type IntegrityLevel uint16

// The integrity levels a sandbox meets. An object without a label is
// Medium; a token below an object's level cannot write it (no-write-up).
const (
	Untrusted IntegrityLevel = 0x0000
	Low       IntegrityLevel = 0x1000
	Medium    IntegrityLevel = 0x2000
	High      IntegrityLevel = 0x3000
	System    IntegrityLevel = 0x4000
)

var levelNames = map[IntegrityLevel]string{
	Untrusted: "untrusted", Low: "low", Medium: "medium", High: "high", System: "system",
}

// String names the level ("low"), or gives it in hex.
func (l IntegrityLevel) String() string {
	if n, ok := levelNames[l]; ok {
		return n
	}
	return fmt.Sprintf("0x%x", uint16(l))
}

// MarshalText renders the level by name.
func (l IntegrityLevel) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses a level name.
func (l *IntegrityLevel) UnmarshalText(b []byte) error {
	for k, v := range levelNames {
		if v == string(b) {
			*l = k
			return nil
		}
	}
	return fmt.Errorf("unknown integrity level %q", b)
}

// Label is a mandatory label entry of a SACL (always no-write-up here).
type Label struct {
	Level IntegrityLevel `json:"level"`
	Flags ACEFlags       `json:"flags"`
}

// Group is a group SID of a token.
type Group struct {
	SID SID
	// DenyOnly groups match deny entries only: a token keeps them so
	// that denies addressed to them still apply, but they grant nothing.
	DenyOnly bool
}

// Token is what Windows knows about a process when it checks access.
type Token struct {
	User   SID
	Groups []Group
	// Restricted lists restricting SIDs: access needs a second pass
	// against them alone. With WriteRestricted the second pass covers
	// only WriteRights, so reads are checked as usual.
	Restricted      []SID
	WriteRestricted bool
	// AppContainer, when set, adds a second pass against the container
	// SID, the capabilities and ALL APPLICATION PACKAGES (a less
	// privileged container does not match the latter).
	AppContainer   SID
	Capabilities   []SID
	LessPrivileged bool
	Integrity      IntegrityLevel
}

// Object is a securable object as the access check sees it: the owner,
// the effective DACL (explicit entries, then inherited ones nearest
// first) and the effective integrity label.
type Object struct {
	Owner SID
	DACL  []ACE
	Label IntegrityLevel
	Dir   bool
}

// matcher says whether an entry's SID applies to the token in one pass.
type matcher func(sid SID, deny bool) bool

// AccessCheck returns every right tok holds on obj, as AccessCheck with
// MAXIMUM_ALLOWED would: the normal pass over user and groups; for a
// restricted token a second pass over the restricting SIDs (for writes
// only when write-restricted); for an AppContainer token a second pass
// over its package and capability SIDs; then mandatory integrity.
// Each pass walks the DACL in order and a right is decided by the first
// entry that names it, so explicit denies win only when they come first.
func AccessCheck(tok *Token, obj *Object) Mask {
	got := pass(obj, tok.normalMatcher(), tok.ownsNormally(obj.Owner))
	if len(tok.Restricted) > 0 {
		r := pass(obj, sidMatcher(tok.Restricted), slices.Contains(tok.Restricted, obj.Owner))
		if tok.WriteRestricted {
			got &= ^WriteRights | r
		} else {
			got &= r
		}
	}
	if tok.AppContainer != "" {
		got &= pass(obj, sidMatcher(tok.packageSIDs()), false)
	}
	if tok.Integrity < obj.Label {
		got &^= WriteRights
	}
	return got
}

// pass runs one walk over the DACL with sids matching entries; owner
// says whether the owner's implicit rights apply in this pass.
func pass(obj *Object, match matcher, owner bool) Mask {
	var granted, denied Mask
	if owner && !hasOwnerRights(obj.DACL) {
		granted = ReadControl | WriteDAC
	}
	for _, a := range obj.DACL {
		if a.Flags&InheritOnly != 0 {
			continue
		}
		hit := match(a.SID, a.Type == Deny) || (owner && a.SID == SIDOwnerRights)
		if !hit {
			continue
		}
		m := mapGeneric(a.Mask)
		if a.Type == Allow {
			granted |= m &^ denied
		} else {
			denied |= m &^ granted
		}
	}
	return granted
}

func hasOwnerRights(dacl []ACE) bool {
	for _, a := range dacl {
		if a.SID == SIDOwnerRights && a.Flags&InheritOnly == 0 {
			return true
		}
	}
	return false
}

func (tok *Token) normalMatcher() matcher {
	return func(sid SID, deny bool) bool {
		if sid == tok.User {
			return true
		}
		for _, g := range tok.Groups {
			if g.SID == sid && (deny || !g.DenyOnly) {
				return true
			}
		}
		return false
	}
}

func (tok *Token) ownsNormally(owner SID) bool {
	return tok.normalMatcher()(owner, false)
}

func (tok *Token) packageSIDs() []SID {
	sids := append([]SID{tok.AppContainer, SIDAllRestrictedAppPackages}, tok.Capabilities...)
	if !tok.LessPrivileged {
		sids = append(sids, SIDAllAppPackages)
	}
	return sids
}

func sidMatcher(sids []SID) matcher {
	return func(sid SID, _ bool) bool { return slices.Contains(sids, sid) }
}

// Grant is the evaluator's answer for one path, in the terms of
// ir.Decision.
type Grant struct {
	Read  bool // every right of FileGenericRead
	Write bool // Read and every right of ContentWrite
	// Partial is set when some of ContentWrite is granted but Write is
	// not: a half-open path that no policy asks for.
	Partial bool
}

// grantOf summarises an access mask.
func grantOf(m Mask) Grant {
	g := Grant{Read: m&FileGenericRead == FileGenericRead}
	w := m & ContentWrite
	g.Write = g.Read && w == ContentWrite
	g.Partial = w != 0 && !g.Write
	return g
}
