package winacl

import (
	"strings"

	"github.com/permc/permc/ir"
)

// principals are the SIDs every entry of a model names: the SIDs whose
// access the sandbox's token depends on.
func principals(model Model) []SID {
	switch model {
	case ModelAppContainer:
		// The sandbox user's pass needs the group; the container's pass
		// needs the container SID.
		return []SID{PhSandboxGroup, PhAppContainer}
	case ModelSandboxUser:
		return []SID{PhSandboxGroup}
	}
	return []SID{PhCapability}
}

// aceSet returns the entries that give the principals of model access a
// at one path. Each set decides the path on its own: a read-only grant
// denies writes first, so a broader write further up cannot reopen it,
// and a nearer grant of any kind comes before the inherited entries of
// a farther rule, which is how "the most specific rule wins" maps onto
// Windows' ordered evaluation.
func aceSet(model Model, a ir.Access) []ACETemplate {
	var out []ACETemplate
	ps := principals(model)
	switch a {
	case ir.Write:
		for _, p := range ps {
			out = append(out, ACETemplate{Allow, p, RightsModify})
		}
	case ir.Read:
		for _, p := range ps {
			out = append(out, ACETemplate{Deny, p, RightsWrite})
		}
		for _, p := range ps {
			out = append(out, ACETemplate{Allow, p, RightsReadExecute})
		}
	default:
		for _, p := range ps {
			out = append(out, ACETemplate{Deny, p, RightsFull})
		}
	}
	return out
}

// labelFor is the label a writable entry needs: an AppContainer token is
// Low integrity and cannot write a Medium (unlabelled) object.
func labelFor(model Model, a ir.Access) *Label {
	if model == ModelAppContainer && a == ir.Write {
		return &Label{Level: Low, Flags: InheritTree}
	}
	return nil
}

// tokenFor describes the sandbox token of model.
func tokenFor(model Model, net ir.NetMode) *TokenSpec {
	switch model {
	case ModelAppContainer:
		t := &TokenSpec{User: PhSandboxUser, Groups: []SID{PhSandboxGroup},
			AppContainer: PhAppContainer, Integrity: Low}
		switch net {
		case ir.NetProxied:
			t.Capabilities = []string{"internetClient"}
			t.LoopbackExempt = true
		case ir.NetFull:
			t.Capabilities = []string{"internetClient", "internetClientServer",
				"privateNetworkClientServer"}
			t.LoopbackExempt = true
		}
		return t
	case ModelSandboxUser:
		return &TokenSpec{User: PhSandboxUser, Groups: []SID{PhSandboxGroup},
			WriteRestricted: true, Restricting: []SID{PhSandboxGroup, PhLogon}, Integrity: Medium}
	}
	return &TokenSpec{User: PhCurrentUser, DenyOnly: []SID{SIDAdministrators},
		WriteRestricted: true, Restricting: []SID{PhCapability, PhLogon}, Integrity: Medium}
}

// identitiesFor lists the placeholders of model and how to bind them.
func identitiesFor(model Model) []Identity {
	user := Identity{Placeholder: PhSandboxUser, Kind: "local-user", Name: "permc-{id}"}
	group := Identity{Placeholder: PhSandboxGroup, Kind: "local-group", Name: "permc-g-{id}"}
	logon := Identity{Placeholder: PhLogon, Kind: "logon"}
	switch model {
	case ModelAppContainer:
		return []Identity{user, group,
			{Placeholder: PhAppContainer, Kind: "app-container", Name: "permc.{id}"}}
	case ModelSandboxUser:
		return []Identity{user, group, logon}
	}
	return []Identity{{Placeholder: PhCurrentUser, Kind: "current-user"},
		{Placeholder: PhCapability, Kind: "capability", Name: "permc-{id}"}, logon}
}

// aclEntries lists, per rule and table entry, the entries Resolve places
// wherever that entry decides a path.
func aclEntries(m *Manifest, model Model) []ACLEntry {
	var out []ACLEntry
	for i, r := range m.Rules {
		a, _ := ir.ParseAccess(r.Access)
		e := newEntry("rule", i, r.Path, a, r.Origin, model)
		e.Note = rootNote(r.Path, a, model)
		out = append(out, e)
	}
	if hasMinimalGrant(m) {
		for i, r := range m.Roots {
			if r.Minimal {
				e := newEntry("minimal", i, r.Name, ir.Read, ir.Origin{Profile: tokenMinimal}, model)
				if model == ModelAppContainer && r.AppPackages {
					e.Note = "admits all application packages on a stock install: no entry placed"
				}
				out = append(out, e)
			}
		}
	}
	for i, t := range m.ToolFolders {
		out = append(out, newEntry("tool", i, t.Path, ir.Read, t.Origin, model))
	}
	if pm := m.ProtectMetadata; pm != nil {
		for _, a := range []ir.Access{ir.Read, ir.Deny} {
			out = append(out, newEntry("protect", 0, rootWorkspace+`\{`+strings.Join(pm.Names, ",")+`}`,
				a, pm.Origin, model))
		}
	}
	return out
}

func newEntry(src string, i int, path string, a ir.Access, o ir.Origin, model Model) ACLEntry {
	return ACLEntry{Source: src, Index: i, Path: path, Access: a.String(), Origin: o,
		ACEs: aceSet(model, a), Label: labelFor(model, a)}
}

func hasMinimalGrant(m *Manifest) bool {
	for _, r := range m.Rules {
		if r.Path == tokenMinimal && r.Access != "deny" {
			return true
		}
	}
	return false
}

// rootNote explains how a :root rule is enforced, since no entry is ever
// placed for it.
func rootNote(path string, a ir.Access, model Model) string {
	if path != tokenRoot {
		return ""
	}
	switch {
	case model == ModelAppContainer && a == ir.Deny:
		return "enforced by the appcontainer token: nothing outside the granted paths admits it"
	case a == ir.Read:
		return "enforced by the token: reads follow the machine's acls, writes need an entry for the restricting sids"
	}
	return "not enforceable as an entry: see findings"
}
