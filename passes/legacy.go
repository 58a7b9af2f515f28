package passes

import (
	"slices"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// legacySetting is the older sandbox configuration in effect.
type legacySetting struct {
	mode string
	pos  diag.Pos // where the mode was set; the command line has no position
	sww  ir.SandboxWorkspaceWrite
}

// Sandbox modes of the older settings.
const (
	SandboxReadOnly       = "read-only"
	SandboxWorkspaceWrite = "workspace-write"
	SandboxFullAccess     = "danger-full-access"
)

// LegacyName is the policy name the older settings compile to.
func LegacyName(mode string) string { return "sandbox_mode:" + mode }

var cmdline = diag.Pos{File: "<command line>"}

// legacyMode decides whether the older settings apply: sandbox_mode in any
// layer, --sandbox, or a selected config profile that sets it, unless
// managed allowed_permission_profiles forces profiles.
func legacyMode(s *state) {
	req := s.cfg.Requirements
	cp := s.configProfile()
	s.checkConfigProfile(cp)
	var setting *legacySetting
	switch {
	case s.opts.Sandbox != "":
		setting = &legacySetting{mode: s.opts.Sandbox, pos: cmdline}
	case cp != nil && cp.SandboxMode != nil:
		setting = &legacySetting{mode: cp.SandboxMode.Value, pos: cp.SandboxMode.Pos}
	default:
		for _, l := range s.cfg.Layers {
			if l.SandboxMode != nil {
				setting = &legacySetting{mode: l.SandboxMode.Value, pos: l.SandboxMode.Pos}
			}
		}
	}
	if setting == nil {
		return
	}
	if req != nil && req.AllowedPermissionProfiles != nil {
		return // managed profiles win; no warning
	}
	setting.sww = s.mergedSWW(cp)
	s.legacy = setting
	s.warnShadowedProfiles(setting)
	s.lowerLegacy(setting)
}

// selectedConfigProfile is the config profile asked for, by
// --config-profile or the highest layer's top-level profile, and where.
func (s *state) selectedConfigProfile() (string, diag.Pos) {
	if s.opts.ConfigProfile != "" {
		return s.opts.ConfigProfile, cmdline
	}
	name, pos := "", diag.Pos{}
	for _, l := range s.cfg.Layers {
		if l.ConfigProfile != nil {
			name, pos = l.ConfigProfile.Value, l.ConfigProfile.Pos
		}
	}
	return name, pos
}

// checkConfigProfile reports a selected config profile that no layer
// defines. Ignoring it would fall back to the top-level settings, which
// can be broader than what the named profile was meant to select.
func (s *state) checkConfigProfile(cp *ir.ConfigProfile) {
	name, pos := s.selectedConfigProfile()
	if name == "" || cp != nil {
		return
	}
	what := "profile"
	if pos == cmdline {
		what = "--config-profile"
	}
	var known []string
	for _, l := range s.cfg.Layers {
		for _, c := range l.ConfigProfiles {
			if !slices.Contains(known, c.Name) {
				known = append(known, c.Name)
			}
		}
	}
	d := s.diags.Errorf(pos, diag.UnknownConfigProfile,
		"%s names config profile %q, which no layer defines with a [profiles.%s] table", what, name, name)
	if len(known) > 0 {
		d.Message += "; defined: " + strings.Join(known, ", ")
	}
}

// configProfile returns the selected Codex config profile, if any.
func (s *state) configProfile() *ir.ConfigProfile {
	name, _ := s.selectedConfigProfile()
	if name == "" {
		return nil
	}
	var out *ir.ConfigProfile
	for _, l := range s.cfg.Layers {
		for _, cp := range l.ConfigProfiles {
			if cp.Name != name {
				continue
			}
			if out == nil {
				c := *cp
				out = &c
				continue
			}
			if cp.SandboxMode != nil {
				out.SandboxMode = cp.SandboxMode
			}
			if cp.DefaultPermissions != nil {
				out.DefaultPermissions = cp.DefaultPermissions
			}
			if cp.SandboxWorkspaceWrite != nil {
				out.SandboxWorkspaceWrite = cp.SandboxWorkspaceWrite
			}
		}
	}
	return out
}

// mergedSWW folds [sandbox_workspace_write] across layers, then the
// config profile's table over it.
func (s *state) mergedSWW(cp *ir.ConfigProfile) ir.SandboxWorkspaceWrite {
	var out ir.SandboxWorkspaceWrite
	apply := func(t *ir.SandboxWorkspaceWrite) {
		if t == nil {
			return
		}
		out.Pos = t.Pos
		if t.WritableRoots != nil {
			out.WritableRoots = t.WritableRoots
		}
		if t.NetworkAccess != nil {
			out.NetworkAccess = t.NetworkAccess
		}
		if t.ExcludeTmpdirEnvVar != nil {
			out.ExcludeTmpdirEnvVar = t.ExcludeTmpdirEnvVar
		}
		if t.ExcludeSlashTmp != nil {
			out.ExcludeSlashTmp = t.ExcludeSlashTmp
		}
	}
	for _, l := range s.cfg.Layers {
		apply(l.SandboxWorkspaceWrite)
	}
	if cp != nil {
		apply(cp.SandboxWorkspaceWrite)
	}
	return out
}

// warnShadowedProfiles tells users that the profiles they wrote do nothing.
func (s *state) warnShadowedProfiles(l *legacySetting) {
	var related []diag.Related
	for _, layer := range s.cfg.Layers {
		if layer.DefaultPermissions != nil {
			related = append(related, diag.Related{Pos: layer.DefaultPermissions.Pos,
				Message: "default_permissions is not in effect"})
		}
		for _, p := range layer.Profiles {
			related = append(related, diag.Related{Pos: p.Pos,
				Message: "profile " + p.Name + " is not in effect"})
		}
	}
	if len(related) == 0 && s.opts.Profile == "" {
		return
	}
	d := s.diags.Warnf(l.pos, diag.LegacyMode,
		"sandbox_mode %q is set, so the older sandbox settings apply and permission profiles are not in effect; "+
			"remove sandbox_mode (and --sandbox) to use default_permissions", l.mode)
	d.Related = related
}

// lowerLegacy compiles the older settings into the built-ins they match.
func (s *state) lowerLegacy(l *legacySetting) {
	var p *partial
	switch l.mode {
	case SandboxReadOnly:
		p = builtin(ReadOnly)
	case SandboxFullAccess:
		p = builtin(DangerFullAccess)
	case SandboxWorkspaceWrite:
		p = builtin(Workspace)
		s.applySWW(p, l.sww)
	default:
		d := s.diags.Errorf(l.pos, diag.BadSandboxMode,
			"sandbox_mode %q is not read-only, workspace-write or danger-full-access", l.mode)
		if c := diag.Closest(l.mode, []string{SandboxReadOnly, SandboxWorkspaceWrite, SandboxFullAccess}); c != "" {
			d.Message += "; did you mean \"" + c + "\"?"
		}
		return
	}
	p.name = LegacyName(l.mode)
	p.builtin = false
	s.merged[p.name] = p
	s.chains[p.name] = []string{legacyParent(l.mode)}
}

func legacyParent(mode string) string {
	switch mode {
	case SandboxReadOnly:
		return ReadOnly
	case SandboxFullAccess:
		return DangerFullAccess
	}
	return Workspace
}

// applySWW adds [sandbox_workspace_write] to a :workspace partial.
func (s *state) applySWW(p *partial, w ir.SandboxWorkspaceWrite) {
	for _, root := range w.WritableRoots {
		path, ok := cleanRootPath(root.Value)
		if !ok {
			s.diags.Errorf(root.Pos, diag.BadPath, "writable root %q must be an absolute path", root.Value)
			continue
		}
		r := ir.FSRule{Base: ir.BaseAbs, Path: path, Access: ir.Write,
			Origin: ir.Origin{Pos: root.Pos, Profile: "sandbox_workspace_write"}}
		if rest, isHome := ir.CutHome(path); isHome {
			r.Base, r.Path = ir.BaseHome, rest
		}
		p.rules.set(r.Key(), r)
	}
	if w.NetworkAccess != nil && w.NetworkAccess.Value {
		p.netPresent = true
		p.net.enabled = w.NetworkAccess
	}
	drop := func(b ir.BaseKind) {
		var out keyed[ir.FSRule]
		p.rules.each(func(k string, r ir.FSRule) {
			if r.Base != b {
				out.set(k, r)
			}
		})
		p.rules = out
	}
	if w.ExcludeTmpdirEnvVar != nil && w.ExcludeTmpdirEnvVar.Value {
		drop(ir.BaseTmpdir)
	}
	if w.ExcludeSlashTmp != nil && w.ExcludeSlashTmp.Value {
		drop(ir.BaseSlashTmp)
	}
}
