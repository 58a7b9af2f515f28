package diag

// Code is the stable identifier of a kind of diagnostic. Codes never change
// meaning; new kinds get new codes. Every code is listed in Codes with a tiny
// example and the fix, and docs/diagnostics.md is generated from that table.
type Code string

// CodeDoc documents one code.
type CodeDoc struct {
	Code    Code
	Summary string
	Example string // a TOML fragment (or situation) that triggers it
	Fix     string
}

// The codes of the frontend and the passes.
const (
	Syntax               Code = "syntax"
	UnknownKey           Code = "unknown-key"
	UnsupportedKey       Code = "unsupported-key"
	Type                 Code = "type"
	DuplicateKey         Code = "duplicate-key"
	BadAccess            Code = "bad-access"
	BadPath              Code = "bad-path"
	BadSubpath           Code = "bad-subpath"
	UnknownToken         Code = "unknown-token"
	BadGlobDepth         Code = "bad-glob-depth"
	BadHost              Code = "bad-host"
	WildcardDeny         Code = "wildcard-deny"
	BadNetValue          Code = "bad-net-value"
	BadURL               Code = "bad-url"
	BadSocket            Code = "bad-socket"
	ReservedName         Code = "reserved-name"
	UnknownProfile       Code = "unknown-profile"
	UnknownConfigProfile Code = "unknown-config-profile"
	ExtendsCycle         Code = "extends-cycle"
	ExtendsTooDeep       Code = "extends-too-deep"
	ExtendsTooLarge      Code = "extends-too-large"
	ExtendsFullAccess    Code = "extends-full-access"
	NoFilesystem         Code = "no-filesystem"
	Ineffective          Code = "ineffective"
	LiteralBraces        Code = "literal-braces"
	LegacyMode           Code = "legacy-mode"
	BadSandboxMode       Code = "bad-sandbox-mode"
	NoProfileSelected    Code = "no-profile-selected"
	NotAllowed           Code = "not-allowed"
	ManagedOverride      Code = "managed-override"
	BadRequirements      Code = "bad-requirements"
	FullNetwork          Code = "full-network"
	UnboundedGlob        Code = "unbounded-glob"
	Unenforceable        Code = "unenforceable"
	GlobSnapshot         Code = "glob-snapshot"
	ForeignPath          Code = "foreign-path"
	BroadRoot            Code = "broad-root"
	Load                 Code = "load"
	ReadFile             Code = "read-file"
	Internal             Code = "internal"
)

// Codes documents every code, in the order docs/diagnostics.md lists them.
var Codes = []CodeDoc{
	{Syntax, "the file is not valid TOML", "`[permissions.p` (no closing bracket)", "fix the TOML syntax at the position shown"},
	{UnknownKey, "a key inside [permissions] (or a requirements file) that the format does not define", "`[permissions.p.filesytem]`", "correct the spelling; the message suggests the closest key"},
	{UnsupportedKey, "a key Codex knows that permc does not support", "`permissions.p.network.mode = \"limited\"`", "remove the key; permc would not enforce it"},
	{Type, "a value of the wrong TOML type", "`enabled = \"yes\"`", "use the type the spec gives (boolean, string, table, number)"},
	{DuplicateKey, "the same key twice in one file, or two spellings of one rule", "`\"/a\" = \"read\"` and `\"/a/\" = \"write\"` in one table", "keep one entry"},
	{BadAccess, "a filesystem access value other than read, write, deny (or none)", "`\".\" = \"rw\"`", "use \"read\", \"write\" or \"deny\""},
	{BadPath, "a filesystem path that is not absolute, `~/...`, or a special path", "`\"src\" = \"read\"` at the top of filesystem", "write an absolute path, a `~/` path, or nest it under `\":workspace_roots\"`"},
	{BadSubpath, "a scoped subpath that escapes its base or is not allowed for that base", "`[permissions.p.filesystem.\":workspace_roots\"] \"../x\" = \"read\"`", "use a relative descendant without `.` or `..`; `:root`, `:minimal`, `:tmpdir`, `:slash_tmp` take only `.`"},
	{UnknownToken, "a `:token` path that is not one of :root, :minimal, :workspace_roots, :tmpdir, :slash_tmp; skipped in a grant, an error in a deny", "`\":tmp\" = \"deny\"`", "use a defined special path"},
	{BadGlobDepth, "glob_scan_max_depth is not at least 1", "`glob_scan_max_depth = 0`", "use 1 or more"},
	{BadHost, "a domain pattern outside the host grammar", "`\"https://example.com\" = \"allow\"`", "write a bare host, `*.host`, `**.host` or `*`"},
	{WildcardDeny, "`*` used as a deny; it may only be allowed", "`\"*\" = \"deny\"`", "remove it: with no allow entry every domain is blocked already"},
	{BadNetValue, "a domain or socket value other than allow or deny", "`\"example.com\" = \"yes\"`", "use \"allow\" or \"deny\""},
	{BadURL, "a proxy or SOCKS URL that is not a host:port URL, or binds a non-loopback address without the dangerous opt-in", "`proxy_url = \"http://0.0.0.0:3128\"`", "use a loopback address, or set dangerously_allow_non_loopback_proxy"},
	{BadSocket, "a unix socket path that is not absolute", "`\"docker.sock\" = \"allow\"`", "use an absolute path"},
	{ReservedName, "a user profile whose name starts with `:` or `sandbox_mode:`, or is too long to be a folder name", "`[permissions.\":mine\"]`", "pick a name without the leading colon"},
	{UnknownProfile, "default_permissions, extends, --profile or an allowlist names no defined profile", "`extends = \"wokspace\"`", "name a profile defined in some layer, or a built-in"},
	{UnknownConfigProfile, "--config-profile or the top-level profile names no [profiles.NAME] table", "`profile = \"r0\"` with only `[profiles.ro]`", "name a config profile defined in some layer"},
	{ExtendsCycle, "profiles extend each other in a cycle", "`a` extends `b`, `b` extends `a`", "break the cycle"},
	{ExtendsTooDeep, "a chain of extends longer than 64 profiles", "`p0` extends `p1`, … `p64` extends `p65`", "flatten the chain: fold intermediate profiles together"},
	{ExtendsTooLarge, "extends would copy more than 200,000 entries into the config's profiles, which would take gigabytes to compile", "200 profiles that each extend one profile of 2,000 rules", "extend a large profile from fewer profiles, or deny a folder instead of many paths"},
	{ExtendsFullAccess, "a profile extends :danger-full-access", "`extends = \":danger-full-access\"`", "extend :workspace or :read-only instead"},
	{NoFilesystem, "a profile with no filesystem entries: filesystem access stays fully restricted", "`[permissions.p.network]` only", "add `[permissions.p.filesystem]` rules, or extend a built-in"},
	{Ineffective, "a setting that has no effect", "domains with `enabled = false`", "remove it, or enable what it depends on"},
	{LiteralBraces, "a path with braces and no glob metacharacter names one file with braces in its name: braces are not expanded", "`\"/ws/.env{,.local}\" = \"deny\"`", "write one rule per name (`\"/ws/.env\"`, `\"/ws/.env.local\"`)"},
	{LegacyMode, "the older sandbox settings are in effect, so permission profiles are ignored", "`sandbox_mode = \"workspace-write\"` in /etc/codex/config.toml", "remove sandbox_mode (or --sandbox), or allow profiles through managed allowed_permission_profiles"},
	{BadSandboxMode, "an unknown sandbox_mode value", "`sandbox_mode = \"workspace\"`", "use read-only, workspace-write or danger-full-access"},
	{NoProfileSelected, "nothing selects a profile, so :read-only applies", "a config with profiles but no default_permissions", "set default_permissions or pass --profile"},
	{NotAllowed, "the selected profile or sandbox mode is not allowed by managed requirements", "`allowed_permission_profiles = [\"safe\"]` and `default_permissions = \"dev\"`", "select an allowed profile"},
	{ManagedOverride, "a user layer tries to change a profile defined by managed requirements, or a managed profile extends one the requirements do not define", "a user file sets `[permissions.corp.filesystem]` when requirements define `corp`", "use the managed profile as is, or extend it under another name; define a managed profile's parent in the requirements too"},
	{BadRequirements, "a requirements file that is malformed or weakens another", "`allowed_permission_profiles = \"x\"`", "use a list of profile names"},
	{FullNetwork, "network enabled with no domains table: full network, no domain guard", "`enabled = true` only", "add a [network.domains] table to filter through the proxy"},
	{UnboundedGlob, "an unbounded `**` deny glob without glob_scan_max_depth on a target that pre-expands globs", "`\"**/*.env\" = \"deny\"`", "set glob_scan_max_depth"},
	{Unenforceable, "a rule a target cannot enforce: an error, and no artifact for that target, when the target cannot enforce it at all; a warning when only one mode (Windows unelevated) becomes unusable or a feature is turned away at run time (SOCKS5 UDP under permc run)", "`\"src/*.go\" = \"read\"` on linux", "rewrite the rule in a form the target supports, or narrow --target"},
	{GlobSnapshot, "deny globs on this target cover only files present when the sandbox starts", "`\"**/*.env\" = \"deny\"` on linux", "know that files created later are not covered; deny their directory if that matters"},
	{ForeignPath, "an absolute path of another OS's form, skipped for this target", "`'C:\\work' = \"write\"` on linux", "none needed if the config is shared across OSes"},
	{BroadRoot, "a grant that makes `/`, the home directory or one of their ancestors writable", "`\"~\" = \"write\"`", "grant the narrower folder the task needs"},
	{ReadFile, "a config or requirements file could not be read", "`-c missing.toml`", "check the path and its permissions"},
	{Load, "the profile cannot be loaded on this machine as written: a template that does not resolve, a glob scan that fails, an allowlisted unix socket the sandbox could replace", "a `~` deny with no home directory; a unix_sockets entry in /tmp under :workspace", "bind the missing root, fix the path, or make the socket's folder read-only"},
	{Internal, "a bug in permc, never caused by user input", "", "report it"},
}
