package frontend

import (
	"os"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

var requirementKeys = []string{
	"allowed_permission_profiles", "allowed_sandbox_modes", "default_permissions", "permissions",
}

// codexRequirementKeys are managed requirements Codex enforces on other
// surfaces (approvals, search, MCP); they do not bear on sandboxing, so
// permc accepts and ignores them rather than reject a real file.
var codexRequirementKeys = map[string]bool{
	"allowed_approval_policies": true,
	"allowed_web_search_modes":  true,
	"mcp_servers":               true,
	"enforce_residency":         true,
}

// ParseRequirements reads one requirements.toml.
func ParseRequirements(file string, data []byte) (*ir.Requirements, diag.List) {
	root, diags := parseTOML(file, data)
	if root == nil {
		return nil, diags
	}
	r := &reader{file: file, diags: diags}
	req := &ir.Requirements{Files: []string{file}}
	for _, k := range root.keys {
		v := root.fields[k]
		switch k {
		case "allowed_permission_profiles":
			req.AllowedPermissionProfiles = r.strList(v, k)
		case "allowed_sandbox_modes":
			req.AllowedSandboxModes = r.strList(v, k)
		case "default_permissions":
			req.DefaultPermissions = r.str(v, k)
		case "permissions":
			req.Profiles = r.profiles(v, file, ir.LayerSystem, true)
		default:
			if codexRequirementKeys[k] {
				continue
			}
			r.unknown(v, k, "requirements", requirementKeys)
		}
	}
	return req, r.diags
}

// loadRequirements reads and combines requirements files: allowlists are
// intersected, so a later file can only narrow them; a managed profile
// cannot be redefined by a later file.
func loadRequirements(files []string, read func(string) ([]byte, error)) (*ir.Requirements, diag.List) {
	var out *ir.Requirements
	var diags diag.List
	for _, f := range files {
		data, err := read(f)
		if err != nil {
			diags.Errorf(diag.Pos{File: f}, diag.ReadFile, "cannot read requirements: %v", unwrapPathErr(err))
			continue
		}
		req, ds := ParseRequirements(f, data)
		diags = append(diags, ds...)
		if req == nil {
			continue
		}
		if out == nil {
			out = req
			continue
		}
		diags = append(diags, combine(out, req)...)
	}
	return out, diags
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// combine narrows a by b.
func combine(a, b *ir.Requirements) diag.List {
	var diags diag.List
	a.Files = append(a.Files, b.Files...)
	a.AllowedPermissionProfiles = intersect(a.AllowedPermissionProfiles, b.AllowedPermissionProfiles)
	a.AllowedSandboxModes = intersect(a.AllowedSandboxModes, b.AllowedSandboxModes)
	if b.DefaultPermissions != nil {
		if a.DefaultPermissions != nil && a.DefaultPermissions.Value != b.DefaultPermissions.Value {
			diags.Errorf(b.DefaultPermissions.Pos, diag.BadRequirements,
				"default_permissions %q conflicts with %q set by %s",
				b.DefaultPermissions.Value, a.DefaultPermissions.Value, a.DefaultPermissions.Pos)
		} else {
			a.DefaultPermissions = b.DefaultPermissions
		}
	}
	defined := map[string]*ir.ProfileDecl{}
	for _, p := range a.Profiles {
		defined[p.Name] = p
	}
	for _, p := range b.Profiles {
		if prev, ok := defined[p.Name]; ok {
			d := diags.Errorf(p.Pos, diag.ManagedOverride,
				"managed profile %q is already defined by an earlier requirements file", p.Name)
			d.Related = append(d.Related, diag.Related{Pos: prev.Pos, Message: "defined here"})
			continue
		}
		a.Profiles = append(a.Profiles, p)
	}
	return diags
}

// intersect keeps the values of a that b also allows; an absent list
// allows everything.
func intersect(a, b *ir.StringList) *ir.StringList {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := &ir.StringList{KeyPos: b.KeyPos}
	for _, v := range a.Values {
		if b.Has(v.Value) {
			out.Values = append(out.Values, v)
		}
	}
	return out
}
