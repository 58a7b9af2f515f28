package winacl

import (
	"errors"
	"strings"

	"github.com/permc/permc/ir"
)

// Options are permc-only build settings that live outside the Codex
// config (flags or permc.toml).
type Options struct {
	// ToolFolders are folders below %LOCALAPPDATA% (`Programs`,
	// `Microsoft\WindowsApps`) made readable wherever :minimal is, for
	// tools installed per user. Empty keeps :minimal machine-wide.
	ToolFolders []string
	// ToolOrigin is where the option was given, for provenance.
	ToolOrigin ir.Origin
}

// DefaultToolFolders are the per-user install folders users asked for:
// per-user programs (VS Code, Python, Node installers) and the app
// execution aliases (winget, python.exe stubs).
var DefaultToolFolders = []string{`Programs`, `Microsoft\WindowsApps`}

// Placeholders for identities the applier binds.
const (
	PhSandboxUser  SID = "{sandbox_user}"
	PhSandboxGroup SID = "{sandbox_group}"
	PhAppContainer SID = "{app_container}"
	PhCapability   SID = "{capability}"
	PhLogon        SID = "{logon}"
	PhCurrentUser  SID = "{current_user}"
)

// Symbolic roots of rule paths.
const (
	rootHome       = "%USERPROFILE%"
	rootTemp       = "%TEMP%"
	rootWorkspace  = "{workspace_roots}"
	rootLocalData  = "%LOCALAPPDATA%"
	tokenRoot      = ":root"
	tokenMinimal   = ":minimal"
	defaultLocalAD = `AppData\Local`
)

// appPackageRoots are the :minimal roots whose stock ACLs admit ALL
// APPLICATION PACKAGES (read and execute, inherited, and explicit on the
// TrustedInstaller-owned files below), so an AppContainer reads them.
var appPackageRoots = map[string]bool{
	"%SystemRoot%": true, "%ProgramFiles%": true, "%ProgramFiles(x86)%": true,
}

// Compile turns policy p into the Windows manifest, with default options.
func Compile(p *ir.Policy) (*Manifest, error) { return CompileWith(p, Options{}) }

// CompileWith turns policy p into the Windows manifest. It never looks at
// the host. It fails only for a policy the passes should have refused (a
// proxy address that is not an IP literal or localhost).
func CompileWith(p *ir.Policy, opts Options) (*Manifest, error) {
	if p == nil {
		return nil, errors.New("nil policy")
	}
	m := &Manifest{Format: FormatVersion, Profile: p.Name, Unrestricted: p.Unrestricted}
	m.Roots = roots(len(opts.ToolFolders) > 0)
	if p.Unrestricted {
		m.Modes = unrestrictedModes()
		return m, nil
	}
	m.Rules = windowsRules(p)
	m.WorkspaceRoots = workspaceRoots(p)
	m.GlobScanMaxDepth = p.FS.GlobScanMaxDepth
	if p.FS.ProtectMetadata {
		m.ProtectMetadata = &Protect{Names: ir.ProtectedNames, Origin: p.FS.ProtectOrigin}
	}
	if readsMinimal(p) {
		m.ToolFolders = toolFolders(opts)
	}
	net, err := network(p)
	if err != nil {
		return nil, err
	}
	m.Network = net
	det := newDetection(p)
	for _, mode := range ir.Modes(ir.Windows) {
		m.Modes = append(m.Modes, compileMode(p, det, m, mode))
	}
	return m, nil
}

func unrestrictedModes() []ModeManifest {
	var out []ModeManifest
	for _, mode := range ir.Modes(ir.Windows) {
		out = append(out, ModeManifest{Mode: mode, Usable: true})
	}
	return out
}

// roots lists the symbolic roots: the :minimal table, then the bindings.
func roots(tools bool) []Root {
	var out []Root
	for _, e := range ir.Minimal(ir.Windows) {
		name := e.Path
		out = append(out, Root{
			Name: name, From: "env " + envName(name), Default: ir.WindowsDefaults[envName(name)],
			Minimal: true, AppPackages: appPackageRoots[name], Note: e.Note,
		})
	}
	out = append(out,
		Root{Name: rootHome, From: "binding home", Note: "the home of the user who runs permc"},
		Root{Name: rootWorkspace, From: "binding workspace roots, then the profile's roots"},
		Root{Name: rootTemp, From: "binding tmpdir"})
	if tools {
		out = append(out, Root{Name: rootLocalData, From: "env LOCALAPPDATA",
			Default: rootHome + `\` + defaultLocalAD})
	}
	return out
}

// envName returns VAR of a path starting with %VAR%.
func envName(p string) string {
	if !strings.HasPrefix(p, "%") {
		return ""
	}
	end := strings.Index(p[1:], "%")
	if end < 0 {
		return ""
	}
	return p[1 : end+1]
}

// windowsRules converts the rules that mean something on Windows.
func windowsRules(p *ir.Policy) []Rule {
	var out []Rule
	for _, r := range p.FS.Rules {
		t, ok := Template(r)
		if !ok {
			continue
		}
		out = append(out, Rule{Path: t, Glob: r.Glob, Access: r.Access.String(), Origin: r.Origin})
	}
	return out
}

// Template renders a rule's path in Windows form; false for a rule that
// has no meaning on Windows (a POSIX absolute path, :slash_tmp).
func Template(r ir.FSRule) (string, bool) {
	switch r.Base {
	case ir.BaseRoot:
		return tokenRoot, true
	case ir.BaseMinimal:
		return tokenMinimal, true
	case ir.BaseTmpdir:
		return rootTemp, true
	case ir.BaseHome:
		return below(rootHome, r.Path), true
	case ir.BaseWorkspaceRoots:
		return below(rootWorkspace, r.Path), true
	case ir.BaseAbs:
		return ir.CleanPath(ir.Windows, r.Path)
	}
	return "", false
}

func below(root, rel string) string {
	if rel == "" {
		return root
	}
	return root + `\` + strings.ReplaceAll(rel, "/", `\`)
}

// parseTemplate is the inverse of Template.
func parseTemplate(t string) (ir.BaseKind, string, bool) {
	switch t {
	case tokenRoot:
		return ir.BaseRoot, "", true
	case tokenMinimal:
		return ir.BaseMinimal, "", true
	case rootTemp:
		return ir.BaseTmpdir, "", true
	}
	for _, s := range []struct {
		root string
		base ir.BaseKind
	}{{rootHome, ir.BaseHome}, {rootWorkspace, ir.BaseWorkspaceRoots}} {
		if t == s.root {
			return s.base, "", true
		}
		if rest, ok := strings.CutPrefix(t, s.root+`\`); ok {
			return s.base, strings.ReplaceAll(rest, `\`, "/"), true
		}
	}
	if ir.IsWindowsAbs(t) {
		return ir.BaseAbs, t, true
	}
	return 0, "", false
}

func workspaceRoots(p *ir.Policy) []WorkspaceRoot {
	var out []WorkspaceRoot
	for _, r := range p.FS.WorkspaceRoots {
		if rest, ok := ir.CutHome(r.Path); ok {
			out = append(out, WorkspaceRoot{Path: below("~", rest), Origin: r.Origin})
		} else if c, ok := ir.CleanPath(ir.Windows, r.Path); ok {
			out = append(out, WorkspaceRoot{Path: c, Origin: r.Origin})
		}
	}
	return out
}

func toolFolders(opts Options) []ToolFolder {
	o := opts.ToolOrigin
	if o.Profile == "" {
		o.Profile = "option tool-folders"
	}
	var out []ToolFolder
	for _, f := range opts.ToolFolders {
		f = strings.Trim(strings.ReplaceAll(f, "/", `\`), `\`)
		out = append(out, ToolFolder{Path: rootLocalData + `\` + f, Origin: o})
	}
	return out
}

// readsMinimal reports whether the profile grants :minimal.
func readsMinimal(p *ir.Policy) bool {
	for _, r := range p.FS.Rules {
		if r.Base == ir.BaseMinimal && r.Access != ir.Deny {
			return true
		}
	}
	return false
}

// readRestricted reports whether some path is not readable: no :root
// grant. Such profiles need the AppContainer model.
func readRestricted(p *ir.Policy) bool {
	for _, r := range p.FS.Rules {
		if r.Base == ir.BaseRoot && r.Access != ir.Deny {
			return false
		}
	}
	return true
}

// modelFor picks the enforcement model of a mode.
func modelFor(p *ir.Policy, mode ir.Mode) Model {
	switch {
	case mode == ir.ModeUnelevated:
		return ModelWriteRestricted
	case readRestricted(p):
		return ModelAppContainer
	}
	return ModelSandboxUser
}

func compileMode(p *ir.Policy, det *detection, m *Manifest, mode ir.Mode) ModeManifest {
	model := modelFor(p, mode)
	mm := ModeManifest{Mode: mode, Model: model}
	mm.Findings = findingsOf(p, det, mode, model)
	mm.Unusable = firstUnenforceable(mm.Findings)
	mm.Usable = mm.Unusable == nil
	if !mm.Usable {
		return mm
	}
	mm.Token = tokenFor(model, p.Net.Mode())
	mm.Identities = identitiesFor(model)
	mm.Principals = principals(model)
	mm.ACL = aclEntries(m, model)
	if mode == ir.ModeElevated {
		mm.Firewall = firewallRules(m.Network)
	}
	return mm
}
