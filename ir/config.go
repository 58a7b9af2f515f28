package ir

import "github.com/permc/permc/internal/diag"

// Config is what the frontend read: every layer as written, in precedence
// order (lowest first), each value with the position of its key and value.
// No defaults are applied and nothing is merged; that is the passes' job.
type Config struct {
	Layers       []*Layer
	Requirements *Requirements // nil when no requirements file was read
}

// LayerKind says where a layer came from.
type LayerKind int

const (
	LayerSystem LayerKind = iota // /etc/codex/config.toml
	LayerUser                    // $CODEX_HOME/config.toml
	LayerFile                    // -c FILE
)

func (k LayerKind) String() string {
	switch k {
	case LayerSystem:
		return "system"
	case LayerUser:
		return "user"
	}
	return "file"
}

// Layer is one config file.
type Layer struct {
	File string // as given (never absolutized)
	Kind LayerKind

	DefaultPermissions    *String
	SandboxMode           *String
	SandboxWorkspaceWrite *SandboxWorkspaceWrite
	ConfigProfile         *String          // top-level `profile`: the selected config profile
	ConfigProfiles        []*ConfigProfile // Codex's [profiles.NAME] tables
	Profiles              []*ProfileDecl   // [permissions.NAME], in file order
}

// ConfigProfile is a Codex config profile ([profiles.NAME]); only the keys
// that bear on sandboxing are kept.
type ConfigProfile struct {
	Name                  string
	Pos                   diag.Pos
	SandboxMode           *String
	DefaultPermissions    *String
	SandboxWorkspaceWrite *SandboxWorkspaceWrite
}

// SandboxWorkspaceWrite is the older [sandbox_workspace_write] table.
type SandboxWorkspaceWrite struct {
	Pos                 diag.Pos
	WritableRoots       []String
	NetworkAccess       *Bool
	ExcludeTmpdirEnvVar *Bool
	ExcludeSlashTmp     *Bool
}

// String is a string value with the position of its key and of the value.
type String struct {
	Value  string
	KeyPos diag.Pos
	Pos    diag.Pos
}

// Bool is a boolean value with positions.
type Bool struct {
	Value  bool
	KeyPos diag.Pos
	Pos    diag.Pos
}

// Int is an integer value with positions.
type Int struct {
	Value  int64
	KeyPos diag.Pos
	Pos    diag.Pos
}

// ProfileDecl is one [permissions.NAME] table of one layer.
type ProfileDecl struct {
	Name  string
	Pos   diag.Pos // the table header or key that introduced the profile
	File  string
	Layer LayerKind
	// Managed is set for profiles defined in a requirements file.
	Managed bool

	Description    *String
	Extends        *String
	WorkspaceRoots []RootDecl
	Filesystem     *FilesystemDecl
	Network        *NetworkDecl
}

// RootDecl is one permissions.NAME.workspace_roots entry.
type RootDecl struct {
	Path    string
	Enabled bool
	KeyPos  diag.Pos
	Pos     diag.Pos
}

// FilesystemDecl is a [permissions.NAME.filesystem] table.
type FilesystemDecl struct {
	Pos              diag.Pos
	GlobScanMaxDepth *Int
	Entries          []FSEntryDecl
}

// FSEntryDecl is one filesystem entry as written: either a direct entry
// (Sub == "", Scoped == false) or an entry of a scoped subpath table.
type FSEntryDecl struct {
	Path   string // the key under filesystem
	Sub    string // the key under filesystem."<path>", when Scoped
	Scoped bool
	Access string // raw value
	KeyPos diag.Pos
	Pos    diag.Pos
}

// NetworkDecl is a [permissions.NAME.network] table.
type NetworkDecl struct {
	Pos                              diag.Pos
	Enabled                          *Bool
	Domains                          *KVTable
	UnixSockets                      *KVTable
	ProxyURL                         *String
	EnableSOCKS5                     *Bool
	SOCKSURL                         *String
	EnableSOCKS5UDP                  *Bool
	AllowUpstreamProxy               *Bool
	AllowLocalBinding                *Bool
	DangerouslyAllowNonLoopbackProxy *Bool
	DangerouslyAllowAllUnixSockets   *Bool
}

// KVTable is a table of string keys to string values (domains, sockets).
type KVTable struct {
	Pos     diag.Pos
	Entries []KV
}

// KV is one entry of a KVTable.
type KV struct {
	Key    string
	Value  string
	KeyPos diag.Pos
	Pos    diag.Pos
}

// Requirements is the managed requirements.toml (the machine's file, then
// each --requirements file; a later file can only add restrictions).
type Requirements struct {
	Files                     []string
	AllowedPermissionProfiles *StringList // nil when absent
	AllowedSandboxModes       *StringList
	DefaultPermissions        *String
	Profiles                  []*ProfileDecl
}

// StringList is a list of strings with positions.
type StringList struct {
	Values []String
	KeyPos diag.Pos
}

// Has reports whether v is in the list.
func (l *StringList) Has(v string) bool {
	if l == nil {
		return false
	}
	for _, s := range l.Values {
		if s.Value == v {
			return true
		}
	}
	return false
}
