package ir

// Feature is something a policy asks for that a target may or may not be
// able to enforce. The enforceability pass finds the features each rule
// uses and reads this table, and nothing else, to judge them.
type Feature string

const (
	FeatReadRestricted  Feature = "read-restricted"   // some path is not readable (no :root read)
	FeatRootDeny        Feature = "root-deny"         // :root = deny written explicitly
	FeatDenyCarveout    Feature = "deny-carveout"     // a deny path inside a readable or writable grant
	FeatReadInWrite     Feature = "read-in-write"     // a read-only path inside a writable grant
	FeatReopenUnderDeny Feature = "reopen-under-deny" // a grant below a denied path
	FeatDenyGlob        Feature = "deny-glob"         // a deny rule with glob metacharacters
	FeatUnboundedGlob   Feature = "unbounded-glob"    // a deny glob with ** and no glob_scan_max_depth
	FeatAccessGlob      Feature = "access-glob"       // a read or write glob other than a trailing /**
	FeatNetProxied      Feature = "net-proxied"       // domain filtering through the proxy
	FeatNetFull         Feature = "net-full"          // unfiltered network
	FeatUnixSocketAllow Feature = "unix-socket-allow" // an allowlisted unix socket path
	FeatAllUnixSockets  Feature = "all-unix-sockets"  // dangerously_allow_all_unix_sockets
	FeatSOCKS5UDP       Feature = "socks5-udp"        // UDP through SOCKS5 ASSOCIATE
	FeatLocalBinding    Feature = "local-binding"     // allow_local_binding
	FeatNetOff          Feature = "net-off"           // no network at all
	// FeatSystemRead is a read-restricted profile that does not read
	// :minimal, where the sandbox always reads the system folders.
	FeatSystemRead Feature = "system-read"
	// FeatRemoteDeny is a deny on a network share.
	FeatRemoteDeny Feature = "remote-deny"
	// FeatVolumeACL is an entry needed on a volume root, which Windows
	// would copy to every file of the volume.
	FeatVolumeACL Feature = "volume-acl"
	// FeatSystemDeny is a deny of :minimal or of a path in or above the
	// system folders.
	FeatSystemDeny Feature = "system-deny"
)

// Support is how well a target enforces a feature.
type Support uint8

const (
	Enforced      Support = iota // enforced as written
	Snapshot                     // enforced for what exists when the sandbox starts (a warning)
	Unenforceable                // cannot be enforced: an error for that target
	// Refused is a feature the target turns away at run time rather than
	// enforce: less access than asked, never more (a warning).
	Refused
)

func (s Support) String() string {
	switch s {
	case Enforced:
		return "enforced"
	case Snapshot:
		return "snapshot"
	case Refused:
		return "refused"
	}
	return "unenforceable"
}

// Capability is one cell of the table: support and the reason shown to
// users when it is not plain Enforced.
type Capability struct {
	Support Support
	Why     string
}

// Mode is a variant of a target with different powers (Windows elevated
// and unelevated); "" for targets with a single mode.
type Mode string

const (
	ModeDefault    Mode = ""
	ModeElevated   Mode = "elevated"
	ModeUnelevated Mode = "unelevated"
)

// Modes lists the modes of a target.
func Modes(t Target) []Mode {
	if t == Windows {
		return []Mode{ModeElevated, ModeUnelevated}
	}
	return []Mode{ModeDefault}
}

type capKey struct {
	t Target
	m Mode
	f Feature
}

// capabilities holds only the cells that are not plain Enforced.
var capabilities = map[capKey]Capability{
	{Linux, ModeDefault, FeatDenyGlob}: {Snapshot,
		"on linux a deny glob covers only files that exist when the sandbox starts"},
	{Linux, ModeDefault, FeatAccessGlob}: {Unenforceable,
		"linux cannot grant read or write by glob; use exact paths or a trailing /**"},
	{Linux, ModeDefault, FeatSOCKS5UDP}: {Refused,
		"under permc run on linux the relay carries TCP only: SOCKS5 UDP ASSOCIATE is refused (set enable_socks5_udp = false to silence this)"},
	{Windows, ModeElevated, FeatDenyGlob}: {Snapshot,
		"on windows a deny glob covers only files that exist when the manifest is applied"},
	{Windows, ModeElevated, FeatAccessGlob}: {Unenforceable,
		"windows cannot grant read or write by glob; use exact paths or a trailing /**"},
	{Windows, ModeElevated, FeatUnixSocketAllow}: {Unenforceable,
		"windows has no unix socket allowlist"},
	{Windows, ModeElevated, FeatAllUnixSockets}: {Unenforceable,
		"windows has no unix socket proxying"},
	{Windows, ModeUnelevated, FeatReadRestricted}: {Unenforceable,
		"unelevated windows sandboxing restricts writes only; reads cannot be restricted"},
	{Windows, ModeUnelevated, FeatRootDeny}: {Unenforceable,
		"unelevated windows sandboxing cannot deny reads of the root"},
	{Windows, ModeUnelevated, FeatDenyCarveout}: {Unenforceable,
		"unelevated windows sandboxing cannot deny reads"},
	{Windows, ModeUnelevated, FeatDenyGlob}: {Unenforceable,
		"unelevated windows sandboxing cannot deny reads"},
	{Windows, ModeUnelevated, FeatReopenUnderDeny}: {Unenforceable,
		"unelevated windows sandboxing cannot reopen a path under a deny"},
	{Windows, ModeUnelevated, FeatAccessGlob}: {Unenforceable,
		"windows cannot grant read or write by glob"},
	{Windows, ModeUnelevated, FeatNetProxied}: {Unenforceable,
		"unelevated windows sandboxing has no identity to scope firewall rules to"},
	{Windows, ModeUnelevated, FeatUnixSocketAllow}: {Unenforceable,
		"windows has no unix socket allowlist"},
	{Windows, ModeUnelevated, FeatAllUnixSockets}: {Unenforceable,
		"windows has no unix socket proxying"},
	{Windows, ModeUnelevated, FeatNetOff}: {Unenforceable,
		"unelevated windows sandboxing has no identity to scope firewall rules to, so it cannot turn the network off"},
	{Windows, ModeElevated, FeatSystemRead}: {Unenforceable,
		"an appcontainer always reads the windows system folders, which admit all application packages; grant \":minimal\" = \"read\""},
	{Windows, ModeElevated, FeatRemoteDeny}: {Unenforceable,
		"a deny on a network share needs the appcontainer model: permc never changes a server's acls"},
	{Windows, ModeUnelevated, FeatRemoteDeny}: {Unenforceable,
		"a deny on a network share needs the appcontainer model: permc never changes a server's acls"},
	{Windows, ModeElevated, FeatSystemDeny}: {Unenforceable,
		"the windows system folders belong to TrustedInstaller and every program loads from them: permc cannot deny them"},
	{Windows, ModeUnelevated, FeatSystemDeny}: {Unenforceable,
		"the windows system folders belong to TrustedInstaller and every program loads from them: permc cannot deny them"},
	{Windows, ModeElevated, FeatVolumeACL}: {Unenforceable,
		"an entry on a volume root would be copied to every file of the volume, which is neither feasible nor reversible; name narrower folders"},
	{Windows, ModeUnelevated, FeatVolumeACL}: {Unenforceable,
		"an entry on a volume root would be copied to every file of the volume, which is neither feasible nor reversible; name narrower folders"},
}

// Lookup returns how target t in mode m supports feature f.
func Lookup(t Target, m Mode, f Feature) Capability {
	if c, ok := capabilities[capKey{t, m, f}]; ok {
		return c
	}
	return Capability{Support: Enforced}
}

// MacOSWorkspaceSlots is how many workspace roots a Seatbelt profile can
// bind: the run's own (the workspace and --workspace-root) and the
// profile's workspace_roots together.
const MacOSWorkspaceSlots = 8
