package passes

import (
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// selectProfile picks the policy in effect and checks it against managed
// requirements.
func selectProfile(s *state) {
	req := s.cfg.Requirements
	if s.legacy != nil {
		s.source = ir.SourceLegacy
		s.selected = LegacyName(s.legacy.mode)
		s.checkSandboxMode(req)
		return
	}
	s.source = ir.SourceProfile
	name, pos := s.requestedProfile()
	what := "default_permissions"
	if s.opts.Profile != "" {
		what = "--profile"
	}
	if name == "" {
		name, pos = s.defaultProfile(req)
		if name == "" {
			return
		}
	}
	if !IsBuiltin(name) && s.merged[name] == nil {
		if len(s.decls[name]) == 0 {
			d := s.diags.Errorf(pos, diag.UnknownProfile,
				"%s names %q, which is neither a defined profile nor a built-in", what, name)
			d.Message += s.suggestProfile(name)
			if pos == cmdline {
				c := *d
				s.undefined = &c
			}
		}
		return // a defined profile that failed to resolve was reported already
	}
	if req != nil && req.AllowedPermissionProfiles != nil && !req.AllowedPermissionProfiles.Has(name) {
		d := s.diags.Errorf(pos, diag.NotAllowed,
			"profile %q is not allowed by managed requirements (allowed: %s)",
			name, listValues(req.AllowedPermissionProfiles))
		d.Related = append(d.Related, diag.Related{Pos: req.AllowedPermissionProfiles.KeyPos,
			Message: "allowed_permission_profiles is set here"})
		return
	}
	// Managed allowed_sandbox_modes without danger-full-access means no
	// unsandboxed commands; permc holds :danger-full-access to it too,
	// rather than let a profile name do what the mode may not.
	if name == DangerFullAccess && req != nil && req.AllowedPermissionProfiles == nil &&
		req.AllowedSandboxModes != nil && !req.AllowedSandboxModes.Has(SandboxFullAccess) {
		d := s.diags.Errorf(pos, diag.NotAllowed,
			"profile %s is not allowed: managed requirements do not allow sandbox_mode %q (allowed: %s), "+
				"and permc holds the unrestricted profile to that too",
			name, SandboxFullAccess, listValues(req.AllowedSandboxModes))
		d.Related = append(d.Related, diag.Related{Pos: req.AllowedSandboxModes.KeyPos,
			Message: "allowed_sandbox_modes is set here"})
		return
	}
	if IsBuiltin(name) {
		s.merged[name] = builtin(name)
	}
	s.selected = name
}

// requestedProfile is what the user asked for: --profile, the config
// profile's default_permissions, or the highest layer's.
func (s *state) requestedProfile() (string, diag.Pos) {
	if s.opts.Profile != "" {
		return s.opts.Profile, cmdline
	}
	if cp := s.configProfile(); cp != nil && cp.DefaultPermissions != nil {
		return cp.DefaultPermissions.Value, cp.DefaultPermissions.Pos
	}
	var v *ir.String
	for _, l := range s.cfg.Layers {
		if l.DefaultPermissions != nil {
			v = l.DefaultPermissions
		}
	}
	if v == nil && s.cfg.Requirements != nil && s.cfg.Requirements.DefaultPermissions != nil {
		v = s.cfg.Requirements.DefaultPermissions
	}
	if v == nil {
		return "", diag.Pos{}
	}
	return v.Value, v.Pos
}

// defaultProfile applies when nothing selects a profile.
func (s *state) defaultProfile(req *ir.Requirements) (string, diag.Pos) {
	if req != nil && req.AllowedPermissionProfiles != nil {
		a := req.AllowedPermissionProfiles
		if !a.Has(Workspace) || !a.Has(ReadOnly) {
			s.diags.Errorf(a.KeyPos, diag.NoProfileSelected,
				"no profile is selected: set default_permissions (it may be omitted only when both %s and %s are allowed)",
				Workspace, ReadOnly)
			return "", diag.Pos{}
		}
	}
	pos := diag.Pos{}
	if n := len(s.cfg.Layers); n > 0 {
		pos = diag.Pos{File: s.cfg.Layers[n-1].File, Line: 1, Col: 1}
	}
	s.diags.Warnf(pos, diag.NoProfileSelected,
		"no profile is selected (no default_permissions or --profile), so %s applies", ReadOnly)
	return ReadOnly, pos
}

func (s *state) checkSandboxMode(req *ir.Requirements) {
	if req == nil || req.AllowedSandboxModes == nil || req.AllowedSandboxModes.Has(s.legacy.mode) {
		return
	}
	d := s.diags.Errorf(s.legacy.pos, diag.NotAllowed,
		"sandbox_mode %q is not allowed by managed requirements (allowed: %s)",
		s.legacy.mode, listValues(req.AllowedSandboxModes))
	d.Related = append(d.Related, diag.Related{Pos: req.AllowedSandboxModes.KeyPos,
		Message: "allowed_sandbox_modes is set here"})
	s.selected = ""
}

// listValues names a list's values for a message, "none" when empty.
func listValues(l *ir.StringList) string {
	if l == nil || len(l.Values) == 0 {
		return "none"
	}
	names := make([]string, len(l.Values))
	for i, v := range l.Values {
		names[i] = v.Value
	}
	return strings.Join(names, ", ")
}
