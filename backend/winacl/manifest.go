package winacl

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/permc/permc/ir"
)

// FormatVersion is the version of the windows.json format. It changes
// whenever a loader of the previous version would misread a manifest.
const FormatVersion = 1

// Manifest is the Windows artifact of one profile (windows.json). It
// holds no machine facts: paths stay symbolic (%SystemRoot%, %USERPROFILE%,
// {workspace_roots}, %TEMP%), identities are placeholders, and deny globs
// are patterns, all bound by Resolve on the machine.
type Manifest struct {
	Format  int    `json:"format"`
	Profile string `json:"profile"`
	// Unrestricted is set for :danger-full-access: nothing to apply.
	Unrestricted bool `json:"unrestricted,omitempty"`
	// Roots are the symbolic roots the loader binds.
	Roots []Root `json:"roots"`
	// Rules are the profile's filesystem rules for Windows, in Windows
	// form; rules in another OS's form are left out.
	Rules []Rule `json:"rules"`
	// WorkspaceRoots are the profile's own roots (absolute or ~\...).
	WorkspaceRoots   []WorkspaceRoot `json:"workspace_roots,omitempty"`
	GlobScanMaxDepth int             `json:"glob_scan_max_depth,omitempty"`
	// ProtectMetadata, when set, keeps these names read-only under each
	// workspace root unless a rule names them.
	ProtectMetadata *Protect `json:"protect_metadata,omitempty"`
	// ToolFolders are read grants below %LOCALAPPDATA% that the build
	// asked for (Options.ToolFolders); empty unless opted in.
	ToolFolders []ToolFolder   `json:"tool_folders,omitempty"`
	Network     Network        `json:"network"`
	Modes       []ModeManifest `json:"modes"`
}

// Root is a symbolic root and how the loader binds it.
type Root struct {
	Name string `json:"name"` // "%SystemRoot%", "%USERPROFILE%", "{workspace_roots}"
	// From says what binds it: an environment variable or a binding.
	From    string `json:"from"`
	Default string `json:"default,omitempty"` // when the machine does not say
	// Minimal roots are the :minimal set of ir's table.
	Minimal bool `json:"minimal,omitempty"`
	// AppPackages roots admit ALL APPLICATION PACKAGES on a stock
	// install, so an AppContainer reads them without any entry of ours.
	AppPackages bool   `json:"app_packages,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Rule is one filesystem rule in Windows form.
type Rule struct {
	// Path is ":root", ":minimal", "%TEMP%", an absolute Windows path,
	// or a path below %USERPROFILE% or {workspace_roots}; a deny glob
	// keeps its pattern.
	Path   string    `json:"path"`
	Glob   bool      `json:"glob,omitempty"`
	Access string    `json:"access"`
	Origin ir.Origin `json:"origin"`
}

// WorkspaceRoot is a profile-defined workspace root.
type WorkspaceRoot struct {
	Path   string    `json:"path"`
	Origin ir.Origin `json:"origin"`
}

// Protect is the protected-metadata template.
type Protect struct {
	Names  []string  `json:"names"`
	Origin ir.Origin `json:"origin"`
}

// ToolFolder is an opted-in read grant below %LOCALAPPDATA%.
type ToolFolder struct {
	Path   string    `json:"path"` // `%LOCALAPPDATA%\Programs`
	Origin ir.Origin `json:"origin"`
}

// Network is what the firewall rules are derived from.
type Network struct {
	Mode string `json:"mode"` // off, proxied, full
	// Allowed are the endpoints the sandbox may reach when proxied.
	Allowed []Endpoint `json:"allowed,omitempty"`
	Origin  ir.Origin  `json:"origin"`
}

// Endpoint is an address the sandbox may reach, with its ports.
type Endpoint struct {
	Protocol string `json:"protocol"` // tcp, udp
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Why      string `json:"why"`
}

// Model is how a mode enforces a profile.
type Model string

// The enforcement models.
const (
	// ModelAppContainer runs the sandbox user's token in an
	// AppContainer: reads are denied by construction, since only what
	// admits the container (or ALL APPLICATION PACKAGES) can be opened.
	ModelAppContainer Model = "appcontainer"
	// ModelSandboxUser runs the sandbox user's token, write-restricted
	// to the sandbox group: reads follow the machine's ACLs.
	ModelSandboxUser Model = "sandbox-user"
	// ModelWriteRestricted runs the invoking user's token,
	// write-restricted to a capability SID: reads are not restricted.
	ModelWriteRestricted Model = "write-restricted"
)

// ModeManifest is what one mode (elevated, unelevated) does.
type ModeManifest struct {
	Mode   ir.Mode `json:"mode"`
	Model  Model   `json:"model"`
	Usable bool    `json:"usable"`
	// Unusable is the first finding that makes the mode unusable.
	Unusable *Finding `json:"unusable,omitempty"`
	// Findings are every unenforceable rule, snapshot and note.
	Findings   []Finding      `json:"findings,omitempty"`
	Token      *TokenSpec     `json:"token,omitempty"`
	Identities []Identity     `json:"identities,omitempty"`
	Principals []SID          `json:"principals,omitempty"`
	ACL        []ACLEntry     `json:"acl,omitempty"`
	Firewall   []FirewallRule `json:"firewall,omitempty"`
}

// Finding is an enforceability result of one mode.
type Finding struct {
	Feature string    `json:"feature"`
	Support string    `json:"support"` // unenforceable, snapshot, note
	Message string    `json:"message"`
	Origin  ir.Origin `json:"origin"`
	// OfRule is set when a rule (or network key) caused it, not the
	// profile as a whole; rule findings are reported first.
	OfRule bool `json:"of_rule,omitempty"`
}

// TokenSpec describes the token the sandboxed process runs with.
type TokenSpec struct {
	User   SID   `json:"user"`
	Groups []SID `json:"groups,omitempty"`
	// DenyOnly groups are kept for denies only.
	DenyOnly        []SID          `json:"deny_only,omitempty"`
	WriteRestricted bool           `json:"write_restricted,omitempty"`
	Restricting     []SID          `json:"restricting,omitempty"`
	AppContainer    SID            `json:"app_container,omitempty"`
	Capabilities    []string       `json:"capabilities,omitempty"`
	Integrity       IntegrityLevel `json:"integrity"`
	// LoopbackExempt lets the container reach the loopback proxy.
	LoopbackExempt bool `json:"loopback_exempt,omitempty"`
}

// Identity is a placeholder the applier creates or derives.
type Identity struct {
	Placeholder SID    `json:"placeholder"`
	Kind        string `json:"kind"` // local-user, local-group, app-container, capability, logon, current-user
	// Name is the account or container name; {id} is replaced by a hash
	// of the profile and the bound roots, so concurrent sandboxes of
	// different workspaces never share grants.
	Name string `json:"name,omitempty"`
}

// ACLEntry is what the entries of one rule (or table entry) look like in
// one mode: Resolve places them on every path the rule decides.
type ACLEntry struct {
	Source string        `json:"source"` // rule, minimal, tool, protect
	Index  int           `json:"index"`  // into Rules, Roots or ToolFolders
	Path   string        `json:"path"`
	Access string        `json:"access"`
	Origin ir.Origin     `json:"origin"`
	ACEs   []ACETemplate `json:"aces"`
	// Label is set for writable entries of an AppContainer: its token is
	// Low integrity, and without a Low label no-write-up refuses writes.
	Label *Label `json:"label,omitempty"`
	// Note says how the entry is enforced when no entry is placed for it.
	Note string `json:"note,omitempty"`
}

// FirewallRule is one Windows Defender Firewall rule for the sandbox user.
type FirewallRule struct {
	Name      string    `json:"name"`                       // suffix; the applier prefixes the identity name
	Direction string    `json:"direction"`                  // out, in
	Action    string    `json:"action"`                     // block
	Protocol  string    `json:"protocol"`                   // any, tcp, udp
	Remote    []string  `json:"remote_addresses,omitempty"` // ranges; empty means any
	Ports     []string  `json:"remote_ports,omitempty"`     // ranges; empty means any
	LocalUser SID       `json:"local_user"`
	Origin    ir.Origin `json:"origin"`
}

// Mode returns the manifest of mode m, or nil.
func (m *Manifest) Mode(mode ir.Mode) *ModeManifest {
	for i := range m.Modes {
		if m.Modes[i].Mode == mode {
			return &m.Modes[i]
		}
	}
	return nil
}

// JSON returns the bytes of windows.json: indented, with a final newline,
// identical for identical manifests.
func (m *Manifest) JSON() ([]byte, error) {
	return ir.EncodeJSON(m, false)
}

// Parse reads windows.json.
func Parse(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("windows.json: %w", err)
	}
	if m.Format != FormatVersion {
		return nil, fmt.Errorf("windows.json: format %d, want %d", m.Format, FormatVersion)
	}
	return &m, nil
}
