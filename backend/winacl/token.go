package winacl

import "slices"

// CapabilitySIDs are the well-known network capabilities a manifest may
// give an AppContainer.
var CapabilitySIDs = map[string]SID{
	"internetClient":             "S-1-15-3-1",
	"internetClientServer":       "S-1-15-3-2",
	"privateNetworkClientServer": "S-1-15-3-3",
}

// Build returns the token Windows would give the sandbox under spec once
// bind maps its placeholders to SIDs: the groups of an interactive logon
// (Everyone, Users, Authenticated Users, Interactive, the logon SID),
// Administrators when admin is set (deny-only if the spec says so), and
// the spec's groups, restrictions, container and integrity.
func (t *TokenSpec) Build(bind map[SID]SID, admin bool) *Token {
	b := func(s SID) SID { return bindSID(s, bind) }
	tok := &Token{User: b(t.User), WriteRestricted: t.WriteRestricted,
		Integrity: t.Integrity, LessPrivileged: false}
	for _, s := range []SID{SIDEveryone, SIDUsers, SIDAuthenticatedUsers, SIDInteractive, b(PhLogon)} {
		tok.Groups = append(tok.Groups, Group{SID: s})
	}
	if admin {
		tok.Groups = append(tok.Groups, Group{SID: SIDAdministrators})
	}
	for _, g := range t.Groups {
		tok.Groups = append(tok.Groups, Group{SID: b(g)})
	}
	for i, g := range tok.Groups {
		tok.Groups[i].DenyOnly = slices.Contains(t.DenyOnly, g.SID)
	}
	for _, s := range t.Restricting {
		tok.Restricted = append(tok.Restricted, b(s))
	}
	if t.AppContainer != "" {
		tok.AppContainer = b(t.AppContainer)
		for _, c := range t.Capabilities {
			tok.Capabilities = append(tok.Capabilities, CapabilitySIDs[c])
		}
	}
	return tok
}
