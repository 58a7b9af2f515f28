package seatbelt

import (
	"errors"

	"github.com/permc/permc/ir"
)

// FormatVersion is the version of the macos.sb and macos.params.json
// layout. It changes when a loader of an older version could misread them.
const FormatVersion = 1

// WorkspaceSlots is how many workspace roots a profile can bind: the
// session's runtime roots plus the profile's own. The loader refuses more.
const WorkspaceSlots = ir.MacOSWorkspaceSlots

// Nominal depths of the symbolic roots: the number of path components the
// compiler assumes when it orders rules. The loader checks the real ones.
const (
	HomeDepth      = 2 // /Users/NAME
	TmpdirDepth    = 6 // /private/var/folders/XX/YYYY/T
	WorkspaceDepth = 4 // /Users/NAME/src/REPO
)

// ErrUnrestricted is returned for a policy with no sandbox at all
// (:danger-full-access): there is no profile, the command runs directly.
var ErrUnrestricted = errors.New("seatbelt: the policy is unrestricted; it runs without a sandbox")

// Profile is the compiled artifact: the SBPL text for sandbox-exec and
// the manifest the loader binds its parameters from.
type Profile struct {
	// SBPL is the content of macos.sb.
	SBPL []byte
	// Manifest is the content of macos.params.json (see ParamsJSON).
	Manifest Manifest
}

// ParamsJSON renders the manifest as macos.params.json: indented, keys in
// a fixed order, ending in a newline.
func (p *Profile) ParamsJSON() ([]byte, error) {
	// json.MarshalIndent and a final newline: the encoder's output.
	return ir.EncodeJSON(&p.Manifest, true)
}

// Manifest says which parameters a profile expects and holds the file
// rule templates the loader needs to bind them and to check their order.
type Manifest struct {
	Format  int     `json:"format"`
	Profile string  `json:"profile"`
	Params  []Param `json:"params"`
	// WorkspaceSlots is the number of WORKSPACE_ROOT_i parameters.
	WorkspaceSlots int `json:"workspace_slots"`
	// ProfileRoots are the profile's own workspace roots, absolute
	// (canonical) or "~/..."; the loader adds them to the runtime roots.
	ProfileRoots []Root `json:"profile_workspace_roots,omitempty"`
	// ProtectedNames are kept read-only under each workspace root; empty
	// when the policy does not protect metadata.
	ProtectedNames []string `json:"protected_names,omitempty"`
	// HomeRequiredBy names the first deny below ~: with it, an unknown
	// home directory is a load error rather than a rule that matches
	// nothing.
	HomeRequiredBy string `json:"home_required_by,omitempty"`
	// Rules are the file rules in emitted order.
	Rules []RuleRef `json:"rules"`
}

// Root is a profile-defined workspace root.
type Root struct {
	Path   string `json:"path"`
	Origin string `json:"origin"`
}

// Param is one parameter the loader must bind with sandbox-exec -D.
type Param struct {
	Name    string `json:"name"`
	Meaning string `json:"meaning"`
	// Source is what it is bound from: home, tmpdir, workspace_root,
	// workspace_roots, protected_read, protected_deny, proxy_port,
	// socks_port, socks_udp_port.
	Source string `json:"source"`
	// Form is path, regex (an unanchored fragment), anchored-regex or port.
	Form string `json:"form"`
	// Slot is the workspace slot of a workspace_root parameter.
	Slot *int `json:"slot,omitempty"`
	// Default is the value the policy configured, for ports.
	Default string `json:"default,omitempty"`
}

// RuleRef is the template of one file rule: enough for the loader to bind
// it, find the paths it covers and check that the emitted order matches
// the decision order on this machine.
type RuleRef struct {
	// Order is the rule's position; forms are emitted in ascending order.
	Order int `json:"order"`
	// Kind is rule, minimal, implicit, protected or deny-glob.
	Kind string `json:"kind"`
	// Base is abs, home, tmpdir, workspace_roots or protected.
	Base string `json:"base"`
	// Path is the canonical absolute path (abs) or the "/"-separated
	// subpath below the base ("" for the base itself).
	Path string `json:"path,omitempty"`
	// GlobDepth is the number of pattern components below Path, and
	// Pattern those components.
	GlobDepth int    `json:"glob_depth,omitempty"`
	Pattern   string `json:"pattern,omitempty"`
	Glob      bool   `json:"glob,omitempty"`
	Literal   bool   `json:"literal,omitempty"`
	// Access is read, write or deny.
	Access string `json:"access"`
	Origin string `json:"origin"`
	// Rule is the rule as written, for messages.
	Rule string `json:"rule"`
	// Line is the SBPL line of the rule's first form.
	Line int `json:"line"`
}

// Rank orders accesses at equal depth: deny beats write beats read.
func (r RuleRef) Rank() int {
	switch r.Access {
	case "read":
		return 1
	case "write":
		return 2
	}
	return 3
}
