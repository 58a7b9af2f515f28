package ir

import (
	"strings"

	"github.com/permc/permc/internal/diag"
)

// Target is an operating system permc emits artifacts for.
type Target string

const (
	MacOS   Target = "macos"
	Linux   Target = "linux"
	Windows Target = "windows"
)

// Targets lists every target in output order.
var Targets = []Target{MacOS, Linux, Windows}

// Access is what a filesystem rule grants.
type Access uint8

const (
	Read  Access = iota + 1 // read files and list directories
	Write                   // read and modify
	Deny                    // neither
)

// Rank orders accesses for rules of equal specificity: deny beats write
// beats read.
func (a Access) Rank() int { return int(a) }

func (a Access) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	case Deny:
		return "deny"
	}
	return "?"
}

// MarshalText renders the access by name.
func (a Access) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// ParseAccess parses a filesystem access value; "none" spells deny.
func ParseAccess(s string) (Access, bool) {
	switch s {
	case "read":
		return Read, true
	case "write":
		return Write, true
	case "deny", "none":
		return Deny, true
	}
	return 0, false
}

// BaseKind is what a filesystem rule's path is relative to.
type BaseKind uint8

const (
	BaseAbs            BaseKind = iota // an absolute path of some OS
	BaseHome                           // ~/...
	BaseRoot                           // :root
	BaseMinimal                        // :minimal
	BaseWorkspaceRoots                 // :workspace_roots
	BaseTmpdir                         // :tmpdir
	BaseSlashTmp                       // :slash_tmp
)

var baseNames = [...]string{"abs", "home", ":root", ":minimal", ":workspace_roots", ":tmpdir", ":slash_tmp"}

func (b BaseKind) String() string { return baseNames[b] }

// MarshalText renders the base by name.
func (b BaseKind) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// Symbolic reports whether the base is bound only at load time.
func (b BaseKind) Symbolic() bool {
	return b == BaseHome || b == BaseWorkspaceRoots || b == BaseTmpdir || b == BaseSlashTmp
}

// Origin says where a rule came from.
type Origin struct {
	Pos     diag.Pos `json:"pos"`
	Profile string   `json:"profile"` // the profile whose table held it
}

// String renders the origin as file:line (profile).
func (o Origin) String() string {
	if o.Profile == "" {
		return o.Pos.Short()
	}
	return o.Pos.Short() + " (" + o.Profile + ")"
}

// FSRule is one filesystem rule after normalisation.
//
// Path is interpreted per Base: for BaseAbs it is a clean absolute path in
// its own OS's form ("/srv/x", `C:\work`); for BaseHome it is the part after
// "~/" with "/" separators ("" for the home directory itself); for
// BaseWorkspaceRoots it is the subpath below each root ("" for the root);
// for the other bases it is "".
type FSRule struct {
	Base   BaseKind `json:"base"`
	Path   string   `json:"path,omitempty"`
	Glob   bool     `json:"glob,omitempty"`
	Access Access   `json:"access"`
	Origin Origin   `json:"origin"`
}

// Key identifies the path a rule targets; two rules with one key are the
// same entry, the later overriding the earlier when layers and extends merge.
func (r FSRule) Key() string { return r.Base.String() + "\x00" + r.Path }

// WorkspaceRoot is a profile-defined workspace root.
type WorkspaceRoot struct {
	Path   string `json:"path"` // absolute, or ~/...
	Origin Origin `json:"origin"`
}

// FSPolicy is the resolved filesystem part of a profile.
type FSPolicy struct {
	// Rules in canonical order (see SortRules).
	Rules          []FSRule        `json:"rules"`
	WorkspaceRoots []WorkspaceRoot `json:"workspace_roots,omitempty"`
	// GlobScanMaxDepth bounds deny-glob pre-expansion; 0 means unset.
	GlobScanMaxDepth    int    `json:"glob_scan_max_depth,omitempty"`
	GlobScanMaxDepthPos Origin `json:"glob_scan_max_depth_origin,omitzero"`
	// ProtectMetadata keeps .git (and a linked worktree's gitdir), .agents
	// and .codex read-only under each workspace root unless a rule of the
	// profile names them; set for :workspace and what extends it.
	ProtectMetadata bool   `json:"protect_metadata,omitempty"`
	ProtectOrigin   Origin `json:"protect_origin,omitzero"`
}

// ProtectedNames are the metadata entries kept read-only under each
// workspace root when ProtectMetadata is set.
var ProtectedNames = []string{".git", ".agents", ".codex"}

// DomainKind is the shape of a domain pattern.
type DomainKind uint8

const (
	DomainExact   DomainKind = iota // example.com
	DomainSub                       // *.example.com: subdomains only
	DomainApexSub                   // **.example.com: apex and subdomains
	DomainAny                       // *: allow only
)

// DomainRule is one network.domains entry, canonicalised.
type DomainRule struct {
	Pattern string     `json:"pattern"` // canonical spelling, e.g. "*.example.com"
	Kind    DomainKind `json:"-"`
	Host    string     `json:"-"` // canonical host part ("" for DomainAny)
	Allow   bool       `json:"allow"`
	Origin  Origin     `json:"origin"`
}

// UnixSocketRule is one network.unix_sockets entry.
type UnixSocketRule struct {
	Path   string `json:"path"`
	Allow  bool   `json:"allow"`
	Origin Origin `json:"origin"`
}

// NetMode is how the sandbox reaches the network.
type NetMode uint8

const (
	NetOff     NetMode = iota // no network
	NetProxied                // only through permc's domain-filtering proxy
	NetFull                   // unfiltered
)

func (m NetMode) String() string {
	switch m {
	case NetOff:
		return "off"
	case NetProxied:
		return "proxied"
	}
	return "full"
}

// MarshalText renders the mode by name.
func (m NetMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// NetPolicy is the resolved network part of a profile, defaults applied.
type NetPolicy struct {
	Enabled    bool `json:"enabled"`
	HasDomains bool `json:"has_domains"` // a domains table was present, even empty
	// Domains with deny entries first, then by pattern.
	Domains     []DomainRule     `json:"domains,omitempty"`
	UnixSockets []UnixSocketRule `json:"unix_sockets,omitempty"`

	ProxyURL                         string `json:"proxy_url"`
	EnableSOCKS5                     bool   `json:"enable_socks5"`
	SOCKSURL                         string `json:"socks_url"`
	EnableSOCKS5UDP                  bool   `json:"enable_socks5_udp"`
	AllowUpstreamProxy               bool   `json:"allow_upstream_proxy"`
	AllowLocalBinding                bool   `json:"allow_local_binding"`
	DangerouslyAllowNonLoopbackProxy bool   `json:"dangerously_allow_non_loopback_proxy"`
	DangerouslyAllowAllUnixSockets   bool   `json:"dangerously_allow_all_unix_sockets"`

	// Origins of the settings that were written, keyed by TOML key.
	Origins map[string]Origin `json:"origins,omitempty"`
}

// Network defaults from the spec's configuration table.
const (
	DefaultProxyURL = "http://127.0.0.1:3128"
	DefaultSOCKSURL = "http://127.0.0.1:8081"
)

// DefaultNetPolicy is the network policy of a profile that says nothing.
func DefaultNetPolicy() NetPolicy {
	return NetPolicy{
		ProxyURL:           DefaultProxyURL,
		EnableSOCKS5:       true,
		SOCKSURL:           DefaultSOCKSURL,
		EnableSOCKS5UDP:    true,
		AllowUpstreamProxy: true,
	}
}

// Mode derives the network mode: off unless enabled; proxied when a
// domains table exists; full otherwise.
func (n *NetPolicy) Mode() NetMode {
	switch {
	case !n.Enabled:
		return NetOff
	case n.HasDomains:
		return NetProxied
	}
	return NetFull
}

// AllowedUnixSockets is the effective socket allowlist: allowed paths minus
// denied ones, sorted.
func (n *NetPolicy) AllowedUnixSockets() []UnixSocketRule {
	denied := map[string]bool{}
	for _, s := range n.UnixSockets {
		if !s.Allow {
			denied[s.Path] = true
		}
	}
	var out []UnixSocketRule
	for _, s := range n.UnixSockets {
		if s.Allow && !denied[s.Path] {
			out = append(out, s)
		}
	}
	return out
}

// AllowedUnixSocketsOn is AllowedUnixSockets as target t reads paths: on
// macOS a deny holds for every spelling of the socket through the
// /private links (/var, /tmp, /etc) and in any case, as the boot volume
// folds case; elsewhere spellings compare exactly.
func (n *NetPolicy) AllowedUnixSocketsOn(t Target) []UnixSocketRule {
	if t != MacOS {
		return n.AllowedUnixSockets()
	}
	key := func(p string) string {
		if comps, ok := SplitPath(MacOS, p); ok {
			p = JoinPath(MacOS, comps)
		}
		return strings.ToLower(p)
	}
	denied := map[string]bool{}
	for _, s := range n.UnixSockets {
		if !s.Allow {
			denied[key(s.Path)] = true
		}
	}
	var out []UnixSocketRule
	for _, s := range n.AllowedUnixSockets() {
		if !denied[key(s.Path)] {
			out = append(out, s)
		}
	}
	return out
}

// Source says how a policy came to be selected.
type Source string

const (
	SourceProfile Source = "profile" // permission profiles
	SourceLegacy  Source = "legacy"  // sandbox_mode and friends
)

// Policy is one profile with inheritance folded, built-ins and defaults
// applied, and hosts and paths normalised. It holds no machine facts.
type Policy struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Source      Source   `json:"source"`
	Origin      Origin   `json:"origin"`
	Extends     []string `json:"extends,omitempty"` // nearest parent first
	// Unrestricted is set for :danger-full-access: no sandbox at all.
	Unrestricted bool      `json:"unrestricted,omitempty"`
	FS           FSPolicy  `json:"filesystem"`
	Net          NetPolicy `json:"network"`
}
