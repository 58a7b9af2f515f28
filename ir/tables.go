package ir

// MinimalEntry is one path of a target's :minimal set or of the implicit
// grants every sandbox of that target needs.
type MinimalEntry struct {
	Path string // absolute, in the target's form; Windows entries may start with %VAR%
	// Access is Read or Write.
	Access Access
	// Literal entries cover the path itself only (a device, a file);
	// others cover the whole subtree.
	Literal bool
	// Glob entries are patterns in the spec's glob dialect ("/dev/ttys*").
	Glob bool
	// Implicit entries apply to every restricted profile, whether or not
	// it names :minimal.
	Implicit bool
	Note     string
}

// Minimal returns the :minimal set of target t, implicit grants included.
// Every backend and Decide read this one table.
func Minimal(t Target) []MinimalEntry {
	switch t {
	case Linux:
		return linuxMinimal
	case MacOS:
		return macosMinimal
	case Windows:
		return windowsMinimal
	}
	return nil
}

var linuxMinimal = []MinimalEntry{
	{Path: "/bin", Access: Read, Note: "shells and core utilities (a link to /usr/bin on merged-usr systems)"},
	{Path: "/sbin", Access: Read, Note: "system utilities some tools call by absolute path"},
	{Path: "/usr", Access: Read, Note: "programs, libraries and shared data"},
	{Path: "/etc", Access: Read, Note: "name service, TLS roots, locale and tool configuration"},
	{Path: "/lib", Access: Read, Note: "the dynamic loader and libraries"},
	{Path: "/lib64", Access: Read, Note: "the x86_64 dynamic loader"},
	{Path: "/nix/store", Access: Read, Note: "programs on Nix systems"},
	{Path: "/run/current-system/sw", Access: Read, Note: "the system profile on NixOS"},
	{Path: "/dev/null", Access: Write, Literal: true, Implicit: true, Note: "every shell redirects to it"},
	{Path: "/dev/zero", Access: Read, Literal: true, Implicit: true, Note: "zero pages for tools that map it"},
	{Path: "/dev/random", Access: Read, Literal: true, Implicit: true, Note: "randomness"},
	{Path: "/dev/urandom", Access: Read, Literal: true, Implicit: true, Note: "randomness"},
	{Path: "/dev/tty", Access: Write, Literal: true, Implicit: true, Note: "the controlling terminal"},
	{Path: "/dev/pts", Access: Write, Implicit: true, Note: "pseudo-terminals for interactive tools"},
	{Path: "/proc/self", Access: Read, Implicit: true, Note: "the sandboxed process's own state (a fresh /proc of the sandbox's pid namespace)"},
}

var macosMinimal = []MinimalEntry{
	{Path: "/usr/lib", Access: Read, Note: "system libraries and the dyld shared cache"},
	{Path: "/usr/share", Access: Read, Note: "shared data, zoneinfo, terminfo"},
	{Path: "/usr/bin", Access: Read, Note: "programs"},
	{Path: "/usr/sbin", Access: Read, Note: "system programs"},
	{Path: "/usr/libexec", Access: Read, Note: "helpers that programs exec"},
	{Path: "/bin", Access: Read, Note: "shells and core utilities"},
	{Path: "/sbin", Access: Read, Note: "system utilities"},
	{Path: "/private/etc", Access: Read, Note: "passwd, services, protocols, TLS and tool configuration (/etc is a link here)"},
	{Path: "/private/var/db/timezone", Access: Read, Note: "timezone data behind /etc/localtime"},
	{Path: "/System/Library/Frameworks", Access: Read, Note: "system frameworks programs link against"},
	{Path: "/System/Library/PrivateFrameworks", Access: Read, Note: "private frameworks the public ones load"},
	{Path: "/System/Library/SubFrameworks", Access: Read, Note: "sub-frameworks the public ones load"},
	{Path: "/System/iOSSupport/System/Library/Frameworks", Access: Read, Note: "Mac Catalyst copies of the frameworks"},
	{Path: "/System/iOSSupport/System/Library/PrivateFrameworks", Access: Read, Note: "Mac Catalyst copies of the private frameworks"},
	{Path: "/System/Library/CoreServices/SystemVersion.plist", Access: Read, Literal: true, Note: "OS version checks"},
	{Path: "/Library/Apple", Access: Read, Note: "Apple-installed system components"},
	{Path: "/Library/Filesystems/NetFSPlugins", Access: Read, Note: "file system plug-ins libinfo loads"},
	{Path: "/Library/Preferences/Logging", Access: Read, Note: "unified logging preferences"},
	{Path: "/opt/homebrew/lib", Access: Read, Note: "Homebrew libraries (Apple silicon)"},
	{Path: "/usr/local/lib", Access: Read, Note: "locally installed libraries"},
	{Path: "/Applications", Access: Read, Note: "application bundles tools run from"},
	{Path: "/dev/null", Access: Write, Literal: true, Implicit: true, Note: "every shell redirects to it"},
	{Path: "/dev/zero", Access: Read, Literal: true, Implicit: true, Note: "zero pages"},
	{Path: "/dev/random", Access: Read, Literal: true, Implicit: true, Note: "randomness"},
	{Path: "/dev/urandom", Access: Read, Literal: true, Implicit: true, Note: "randomness"},
	{Path: "/dev/tty", Access: Write, Literal: true, Implicit: true, Note: "the controlling terminal"},
	{Path: "/dev/ptmx", Access: Write, Literal: true, Implicit: true, Note: "pseudo-terminal allocation"},
	{Path: "/dev/ttys*", Access: Write, Glob: true, Implicit: true, Note: "pseudo-terminal devices"},
	{Path: "/dev/fd", Access: Write, Implicit: true, Note: "the process's own descriptors"},
	{Path: "/dev/dtracehelper", Access: Write, Literal: true, Implicit: true, Note: "dyld registers probes here"},
	{Path: "/dev/autofs_nowait", Access: Read, Literal: true, Implicit: true, Note: "path lookups that must not trigger automounts"},
}

var windowsMinimal = []MinimalEntry{
	{Path: `%SystemRoot%`, Access: Read, Note: "Windows itself: system DLLs and programs"},
	{Path: `%ProgramFiles%`, Access: Read, Note: "machine-wide programs"},
	{Path: `%ProgramFiles(x86)%`, Access: Read, Note: "machine-wide 32-bit programs"},
	{Path: `%ProgramData%`, Access: Read, Note: "machine-wide program data"},
}

// WindowsDefaults binds the symbolic roots of Windows :minimal when the
// machine does not say otherwise.
var WindowsDefaults = map[string]string{
	"SystemRoot":        `C:\Windows`,
	"ProgramFiles":      `C:\Program Files`,
	"ProgramFiles(x86)": `C:\Program Files (x86)`,
	"ProgramData":       `C:\ProgramData`,
}

// MacOSAliases are the top-level links of macOS into /private; the sandbox
// sees the resolved path.
var MacOSAliases = [][2]string{
	{"/tmp", "/private/tmp"},
	{"/var", "/private/var"},
	{"/etc", "/private/etc"},
}

// RootSecretDirs are the directories whose root-only entries the Linux
// runtime masks when permc runs as root: inside the sandbox the kernel
// still sees uid 0, the owner of these files, so their mode alone does not
// protect them. Every entry owned by root that others cannot read, down to
// RootSecretDepth levels below each directory, is masked, unless it
// contains a workspace root. Root-only files elsewhere stay readable to a
// sandbox started by root; run permc as another user to protect them.
var RootSecretDirs = []string{"/etc", "/root", "/var/lib", "/var/cache", "/var/log", "/var/spool",
	"/var/backups", "/var/mail", "/opt", "/srv", "/boot"}

// RootSecretDepth is how deep below each of RootSecretDirs the runtime
// looks for root-only entries.
const RootSecretDepth = 2

// ProxyEnv lists the environment variables tools read for a proxy, by the
// kind of listener they want: "http" for HTTP(S) and websocket proxies,
// "socks" for SOCKS5 with names resolved at the proxy (socks5h://), and
// "none" for the exclusion lists, which permc empties.
var ProxyEnv = map[string][]string{
	"http": {
		"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
		"WS_PROXY", "WSS_PROXY", "ws_proxy", "wss_proxy",
		"npm_config_proxy", "npm_config_http_proxy", "npm_config_https_proxy",
		"NPM_CONFIG_PROXY", "NPM_CONFIG_HTTP_PROXY", "NPM_CONFIG_HTTPS_PROXY",
		"YARN_HTTP_PROXY", "YARN_HTTPS_PROXY", "BUNDLE_HTTP_PROXY", "BUNDLE_HTTPS_PROXY",
		"PIP_PROXY", "DOCKER_HTTP_PROXY", "DOCKER_HTTPS_PROXY",
	},
	"socks": {"ALL_PROXY", "all_proxy", "FTP_PROXY", "ftp_proxy"},
	"none": {
		"NO_PROXY", "no_proxy", "npm_config_noproxy", "NPM_CONFIG_NOPROXY",
		"YARN_NO_PROXY", "BUNDLE_NO_PROXY",
	},
}
