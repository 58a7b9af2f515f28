package verify_test

import (
	"fmt"
	"sort"
	"strings"
)

// The generator of the cross-backend equivalence test: random profiles
// written as TOML, so that the frontend and the passes produce the
// policies every backend compiles, as permc build does.

// source is where the generator's choices come from: math/rand in go
// test, the fuzzer's bytes in FuzzEquivalence.
type source interface {
	Intn(n int) int
}

// byteSource draws choices from fuzz input; past its end every choice is
// the first option, so short inputs give small profiles.
type byteSource struct {
	data []byte
	i    int
}

func (s *byteSource) Intn(n int) int {
	if n <= 1 || s.i >= len(s.data) {
		return 0
	}
	v := int(s.data[s.i])
	s.i++
	return v % n
}

// names are path components: plain, metadata, spaces, quotes, a
// backslash, regex and glob-adjacent metacharacters, non-ASCII letters
// with case pairs that fold differently (dotted İ, the Kelvin sign).
var names = []string{
	"a", "B", "src", "Documents", "codex", ".git", ".codex", ".agents", ".env",
	"x y", `q"uote`, "it's", `back\slash`, "(paren)", "re.+{}|^$", "a,b", "é", "ÉCOLE",
	"İk", "\u212Aelvin", "secret.key", "naïve", "日本",
}

// denyGlobs are deny patterns of the spec's dialect; accessGlobs are
// granted only in profiles meant for macOS, the one target that can.
var (
	denyGlobs   = []string{"**/*.env", "*.key", "**/secret*", "[a-c]*", "?", "*/codex/**", "**", "*.[Ee][Nn][Vv]", "é*", "x y/**", "*(paren)*", "[!a]*"}
	accessGlobs = []string{"*.md", "src/*", "**/codex", "[Dd]ocs/*", "?/x"}
)

// posixBases and windowsBases are absolute rule bases: the synthetic
// machine's roots spelled out, /tmp, /var and /etc with and without their
// /private form, system folders, and foreign forms of Windows paths.
var (
	posixBases = []string{"/srv", "/opt/x", "/tmp", "/private/tmp", "/var/tmp", "/private/var/tmp",
		"/etc", "/private/etc", "/usr", "/usr/lib", "/home/u", "/Users/u", "/ws", "/tmp/t", "/private/tmp/t",
		"/", "/dev", "/proc", "/Users/u/src/ws", "/private/var/folders/zz/permc/T", "/Users/u/src"}
	windowsBases = []string{`C:\ws`, `c:\Users\u`, `C:\Users\u\Documents`, `C:\data`, `D:\x`,
		`C:\ProgramData\tool`, `C:/ws/src`, `C:\Users\u\AppData\Local\Temp`}
	accesses = []string{"read", "write", "deny"}
)

// profile is one generated profile, kept as tables until it is written.
type profile struct {
	src         source
	macOnly     bool                         // may use read and write globs
	fs          map[string]string            // [filesystem] key -> TOML value
	scoped      map[string]map[string]string // [filesystem."<path>"] -> subpath -> access
	roots       []string                     // [workspace_roots]
	extends     string
	network     []string // lines of [network]
	domains     bool
	globDepth   int
	unixSockets bool
}

// genProfile draws one profile and returns its TOML.
func genProfile(src source) string {
	g := &profile{src: src, fs: map[string]string{}, scoped: map[string]map[string]string{}}
	if src.Intn(6) == 0 {
		return g.grantsOnly()
	}
	g.macOnly = src.Intn(6) == 0
	if src.Intn(4) == 0 {
		g.extends = []string{":workspace", ":read-only"}[src.Intn(2)]
	}
	g.base()
	for n := 1 + src.Intn(8); n > 0; n-- {
		g.rule()
	}
	if src.Intn(3) == 0 {
		g.roots = append(g.roots, []string{"~/proj", "/opt/proj", `C:\proj`, "~/x y"}[src.Intn(4)])
	}
	g.globDepth = src.Intn(4)
	g.net()
	return g.toml()
}

// grantsOnly draws a profile that reads the root, opens the network and
// only grants (nested reads and writes, no deny, no access glob): the one
// shape Windows' unelevated mode can take.
func (g *profile) grantsOnly() string {
	g.fs[`":root"`] = quote("read")
	for n := 1 + g.src.Intn(6); n > 0; n-- {
		a := accesses[g.src.Intn(2)]
		switch g.src.Intn(5) {
		case 0:
			g.home(g.rel(1, 2), a)
		case 1:
			g.ws(g.rel(0, 2), a)
		case 2:
			g.abs(joinWindows(g.pick(windowsBases), g.rel(0, 1)), a)
		case 3:
			g.abs(joinPosix(g.pick(posixBases), g.rel(0, 2)), a)
		default:
			g.fs[quote(g.pick([]string{":tmpdir", ":slash_tmp", ":minimal"}))] = quote(a)
		}
	}
	g.network = []string{"enabled = true"}
	return g.toml()
}

// base chooses what the root and the system paths get.
func (g *profile) base() {
	switch g.src.Intn(5) {
	case 0, 1:
		g.fs[`":root"`] = quote(accesses[g.src.Intn(2)])
	case 2:
		g.fs[`":root"`] = quote("deny")
	}
	if g.src.Intn(4) != 0 {
		g.fs[`":minimal"`] = quote("read")
	} else if g.src.Intn(3) == 0 {
		g.fs[`":minimal"`] = quote("deny")
	}
	if g.src.Intn(2) == 0 {
		g.ws(".", g.access())
	}
}

func (g *profile) access() string { return accesses[g.src.Intn(3)] }

func (g *profile) pick(xs []string) string { return xs[g.src.Intn(len(xs))] }

// rel returns between lo and hi components joined by "/".
func (g *profile) rel(lo, hi int) string {
	n := lo + g.src.Intn(hi-lo+1)
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, g.pick(names))
	}
	return strings.Join(out, "/")
}

// rule adds one rule, or a few that nest.
func (g *profile) rule() {
	switch g.src.Intn(13) {
	case 0, 1:
		g.home(g.rel(1, 2), g.access())
	case 2, 3:
		g.ws(g.rel(1, 2), g.access())
	case 4:
		g.abs(joinPosix(g.pick(posixBases), g.rel(0, 2)), g.access())
	case 5:
		g.abs(joinWindows(g.pick(windowsBases), g.rel(0, 1)), g.access())
	case 6:
		g.fs[quote(g.pick([]string{":tmpdir", ":slash_tmp", ":minimal", ":root"}))] = quote(g.access())
	case 7:
		g.denyGlob()
	case 8:
		g.accessGlob()
	case 9:
		g.nested()
	case 10:
		g.reopen()
	case 11:
		g.aliases()
	default:
		g.ws(g.rel(1, 1)+"/**", accesses[g.src.Intn(2)])
	}
}

func (g *profile) home(rel, a string) { g.set("~/"+rel, a) }

func (g *profile) abs(p, a string) { g.set(p, a) }

// set adds a top-level entry unless the key is a table already.
func (g *profile) set(path, a string) {
	if _, ok := g.scoped[path]; ok {
		return
	}
	g.fs[quote(path)] = quote(a)
}

func (g *profile) ws(sub, a string) {
	if sub == "" {
		sub = "."
	}
	g.sub(":workspace_roots", sub, a)
}

// sub adds a scoped entry below path. A subpath is "/"-separated on
// every target, so a name with a backslash cannot be one.
func (g *profile) sub(path, sub, a string) {
	if _, ok := g.fs[quote(path)]; ok || strings.Contains(sub, `\`) {
		return
	}
	if g.scoped[path] == nil {
		g.scoped[path] = map[string]string{}
	}
	g.scoped[path][sub] = a
}

// denyGlob adds a deny glob below the workspace roots, ~ or an absolute
// path.
func (g *profile) denyGlob() {
	pat := g.pick(denyGlobs)
	switch g.src.Intn(4) {
	case 0, 1:
		g.ws(joinRel(g.rel(0, 1), pat), "deny")
	case 2:
		g.home(joinRel(g.rel(0, 1), pat), "deny")
	default:
		g.abs(joinPosix(g.pick([]string{"/srv", "/home/u", "/Users/u", "/tmp", "/private/var/tmp"}), pat), "deny")
	}
}

// accessGlob adds a read or write glob in a profile meant for macOS; in
// the others, a grant of a subtree written with a trailing /**, which
// every target enforces.
func (g *profile) accessGlob() {
	a := accesses[g.src.Intn(2)]
	if !g.macOnly {
		g.home(g.rel(1, 1)+"/**", a)
		return
	}
	pat := g.pick(accessGlobs)
	if g.src.Intn(2) == 0 {
		g.ws(pat, a)
		return
	}
	g.home(joinRel(g.rel(0, 1), pat), a)
}

// nested writes a scoped table for a ~ or absolute path: the base and a
// descendant with another access.
func (g *profile) nested() {
	base := "~/" + g.rel(1, 1)
	if g.src.Intn(2) == 0 {
		base = joinPosix(g.pick(posixBases), g.rel(1, 1))
	}
	g.sub(base, ".", g.access())
	g.sub(base, g.rel(1, 2), g.access())
}

// reopen denies a path and grants a path below it.
func (g *profile) reopen() {
	parent := g.rel(1, 1)
	child := joinRel(parent, g.rel(1, 2))
	if g.src.Intn(2) == 0 {
		g.home(parent, "deny")
		g.home(child, accesses[g.src.Intn(2)])
		return
	}
	g.ws(parent, "deny")
	g.ws(child, accesses[g.src.Intn(2)])
}

// aliases writes one path through a macOS link and through its target,
// with different accesses.
func (g *profile) aliases() {
	rel := g.rel(1, 1)
	pairs := [][2]string{{"/tmp", "/private/tmp"}, {"/var/tmp", "/private/var/tmp"}, {"/etc", "/private/etc"}}
	pr := pairs[g.src.Intn(len(pairs))]
	g.abs(joinPosix(pr[0], rel), g.access())
	g.abs(joinPosix(pr[1], rel), g.access())
}

// net chooses the network settings, which pick the seccomp filter.
func (g *profile) net() {
	switch g.src.Intn(4) {
	case 1:
		g.network = append(g.network, "enabled = true")
	case 2:
		g.network = append(g.network, "enabled = true")
		g.domains = true
	}
	if g.src.Intn(8) == 0 {
		g.network = append(g.network, "dangerously_allow_all_unix_sockets = true")
	}
	if g.domains && g.src.Intn(2) == 0 {
		g.network = append(g.network, "enable_socks5_udp = false")
	}
}

// toml writes the profile as a config selecting it.
func (g *profile) toml() string {
	var b strings.Builder
	b.WriteString("default_permissions = \"gen\"\n\n[permissions.gen]\n")
	if g.extends != "" {
		fmt.Fprintf(&b, "extends = %s\n", quote(g.extends))
	}
	if len(g.roots) > 0 {
		b.WriteString("\n[permissions.gen.workspace_roots]\n")
		for _, r := range g.roots {
			fmt.Fprintf(&b, "%s = true\n", quote(r))
		}
	}
	b.WriteString("\n[permissions.gen.filesystem]\n")
	if g.globDepth > 0 {
		fmt.Fprintf(&b, "glob_scan_max_depth = %d\n", g.globDepth)
	}
	for _, k := range sortedKeys(g.fs) {
		fmt.Fprintf(&b, "%s = %s\n", k, g.fs[k])
	}
	for _, path := range sortedKeys(g.scoped) {
		fmt.Fprintf(&b, "\n[permissions.gen.filesystem.%s]\n", quote(path))
		for _, sub := range sortedKeys(g.scoped[path]) {
			fmt.Fprintf(&b, "%s = %s\n", quote(sub), quote(g.scoped[path][sub]))
		}
	}
	if len(g.network) > 0 {
		b.WriteString("\n[permissions.gen.network]\n")
		for _, l := range g.network {
			b.WriteString(l + "\n")
		}
	}
	if g.domains {
		b.WriteString("\n[permissions.gen.network.domains]\n\"example.com\" = \"allow\"\n")
	}
	return b.String()
}

// quote writes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func joinPosix(base, rel string) string {
	switch {
	case rel == "":
		return base
	case base == "/":
		return "/" + rel
	}
	return base + "/" + rel
}

func joinWindows(base, rel string) string {
	if rel == "" {
		return base
	}
	return base + `\` + strings.ReplaceAll(rel, "/", `\`)
}

func joinRel(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "/" + b
}

func sortedKeys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
