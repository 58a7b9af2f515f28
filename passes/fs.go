package passes

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

var tokens = map[string]ir.BaseKind{
	":root":            ir.BaseRoot,
	":minimal":         ir.BaseMinimal,
	":workspace_roots": ir.BaseWorkspaceRoots,
	":tmpdir":          ir.BaseTmpdir,
	":slash_tmp":       ir.BaseSlashTmp,
}

var accessWords = []string{"read", "write", "deny", "none"}

func (n *normalizer) filesystem(fs *ir.FilesystemDecl) {
	n.p.fsPresent = true
	n.p.fsPos = fs.Pos
	if g := fs.GlobScanMaxDepth; g != nil {
		if g.Value < 1 {
			n.s.diags.Errorf(g.Pos, diag.BadGlobDepth,
				"glob_scan_max_depth must be at least 1, not %d", g.Value)
		} else {
			n.p.globDepth = g
		}
	}
	seen := map[string]diag.Pos{}
	for _, e := range fs.Entries {
		r, ok := n.entry(e)
		if !ok {
			continue
		}
		key := r.Key()
		if prev, dup := seen[key]; dup {
			old, _ := n.p.rules.get(key)
			d := n.s.diags.Errorf(e.KeyPos, diag.DuplicateKey,
				"this entry names the same path as an earlier one in this table")
			d.Related = append(d.Related, diag.Related{Pos: prev, Message: "earlier entry"})
			if old.Access.Rank() > r.Access.Rank() {
				continue
			}
		}
		seen[key] = e.KeyPos
		n.p.rules.set(key, r)
	}
}

// entry turns one written entry into a rule.
func (n *normalizer) entry(e ir.FSEntryDecl) (ir.FSRule, bool) {
	acc, ok := ir.ParseAccess(e.Access)
	if !ok {
		d := n.s.diags.Errorf(e.Pos, diag.BadAccess,
			"access %q is not one of \"read\", \"write\", \"deny\"", e.Access)
		if s := diag.Closest(e.Access, accessWords); s != "" {
			d.Message += "; did you mean \"" + s + "\"?"
		}
		return ir.FSRule{}, false
	}
	r := ir.FSRule{Access: acc, Origin: n.origin(e.KeyPos)}
	if why := oddPath(e.Path + "/" + e.Sub); why != "" {
		n.s.diags.Errorf(e.KeyPos, diag.BadPath, "path %q %s", joinSub(e.Path, e.Sub), why)
		return r, false
	}
	if why := windowsAlias(e.Path, e.Sub); why != "" {
		n.s.diags.Errorf(e.KeyPos, diag.BadPath, "path %q %s", joinSub(e.Path, e.Sub), why)
		return r, false
	}
	sub := ""
	if e.Scoped && e.Sub != "." {
		if !n.checkSub(e) {
			return r, false
		}
		// "x/" names what "x" names, and "**/" what "**" does: folded
		// the same way, not kept as a glob no path matches.
		sub = strings.TrimRight(e.Sub, "/")
	}
	switch {
	case strings.HasPrefix(e.Path, ":"):
		return n.tokenRule(r, e, sub)
	default:
		return n.pathRule(r, e, sub)
	}
}

func (n *normalizer) checkSub(e ir.FSEntryDecl) bool {
	bad := func(why string) bool {
		n.s.diags.Errorf(e.KeyPos, diag.BadSubpath, "subpath %q %s", e.Sub, why)
		return false
	}
	switch {
	case e.Sub == "":
		return bad("is empty; use \".\" for the base path")
	case strings.HasPrefix(e.Sub, "/") || strings.HasPrefix(e.Sub, "~") || ir.IsWindowsAbs(e.Sub):
		return bad("must be relative to its base")
	case strings.Contains(e.Sub, `\`):
		return bad("must use / as the separator")
	case !cleanRel(strings.TrimSuffix(e.Sub, "/")):
		return bad("must be a descendant of its base, without \".\" or \"..\" components")
	}
	return true
}

func (n *normalizer) tokenRule(r ir.FSRule, e ir.FSEntryDecl, sub string) (ir.FSRule, bool) {
	base, known := tokens[e.Path]
	if !known {
		if r.Access == ir.Deny {
			n.s.diags.Errorf(e.KeyPos, diag.UnknownToken,
				"unknown special path %q in a deny rule; skipping a deny would widen access%s",
				e.Path, suggestToken(e.Path))
		} else {
			n.s.diags.Warnf(e.KeyPos, diag.UnknownToken,
				"unknown special path %q; this grant is skipped%s", e.Path, suggestToken(e.Path))
		}
		return r, false
	}
	r.Base = base
	if sub != "" && base != ir.BaseWorkspaceRoots {
		n.s.diags.Errorf(e.KeyPos, diag.BadSubpath,
			"%s takes only the subpath \".\", not %q", e.Path, sub)
		return r, false
	}
	if base == ir.BaseWorkspaceRoots {
		return n.withGlob(r, e, strings.TrimSuffix(sub, "/"))
	}
	if what := broadGrant(r); what != "" {
		n.s.diags.Warnf(e.KeyPos, diag.BroadRoot, "%s makes %s writable: grant the narrower folder the task needs",
			describeEntry(r), what)
	}
	return r, true
}

func suggestToken(t string) string {
	names := make([]string, 0, len(tokens))
	for k := range tokens {
		names = append(names, k)
	}
	if s := diag.Closest(t, names); s != "" {
		return "; did you mean \"" + s + "\"?"
	}
	return ""
}

func (n *normalizer) pathRule(r ir.FSRule, e ir.FSEntryDecl, sub string) (ir.FSRule, bool) {
	if rest, ok := ir.CutHome(e.Path); ok {
		// CutHome trims the slashes around rest; "~//x" has an empty
		// component all the same (a trailing slash is allowed).
		raw := strings.TrimSuffix(strings.ReplaceAll(e.Path, `\`, "/"), "/")
		if rest != "" && !cleanRel(rest) || len(raw) > 2 && raw[2] == '/' {
			n.s.diags.Errorf(e.KeyPos, diag.BadPath,
				"path %q must not contain empty, \".\" or \"..\" components", e.Path)
			return r, false
		}
		r.Base = ir.BaseHome
		return n.withGlob(r, e, joinSub(rest, sub))
	}
	var clean string
	var ok bool
	switch {
	case ir.IsPosixAbs(e.Path):
		if hasDotDot(e.Path, "/") {
			n.s.diags.Errorf(e.KeyPos, diag.BadPath, "path %q must not contain \"..\" components", e.Path)
			return r, false
		}
		clean, ok = ir.CleanPath(ir.Linux, e.Path)
		if ok && sub != "" {
			clean = strings.TrimSuffix(clean, "/") + "/" + sub
		}
	case ir.IsWindowsAbs(e.Path):
		if hasDotDot(strings.ReplaceAll(e.Path, `\`, "/"), "/") {
			n.s.diags.Errorf(e.KeyPos, diag.BadPath, "path %q must not contain \"..\" components", e.Path)
			return r, false
		}
		clean, ok = ir.CleanPath(ir.Windows, e.Path)
		if ok && sub != "" {
			clean = strings.TrimSuffix(clean, `\`) + `\` + strings.ReplaceAll(sub, "/", `\`)
		}
	}
	if !ok {
		n.s.diags.Errorf(e.KeyPos, diag.BadPath,
			"path %q must be absolute, start with ~/, or be a special path such as \":workspace_roots\"", e.Path)
		return r, false
	}
	r.Base = ir.BaseAbs
	return n.withGlob(r, e, clean)
}

// oddPath says what makes a path name a different file than it seems:
// a NUL byte, or white space at the end of a component.
func oddPath(p string) string {
	if strings.ContainsRune(p, 0) {
		return "contains a NUL byte"
	}
	for _, c := range strings.Split(strings.ReplaceAll(p, `\`, "/"), "/") {
		if c != strings.TrimRightFunc(c, unicode.IsSpace) {
			return "has white space at the end of a component; it names a different file than it looks"
		}
	}
	return ""
}

// broadGrant names what a write rule opens when that is /, the home
// directory or a folder that holds home directories, or returns "".
func broadGrant(r ir.FSRule) string {
	if r.Access != ir.Write {
		return ""
	}
	switch {
	case r.Base == ir.BaseRoot:
		return "the whole disk"
	case r.Base == ir.BaseHome && r.Path == "":
		return "the whole home directory"
	case r.Base != ir.BaseAbs:
		return ""
	}
	p := strings.ToLower(strings.TrimRight(strings.ReplaceAll(r.Path, `\`, "/"), "/"))
	switch {
	case p == "" || len(p) == 2 && p[1] == ':' || p == "/system/volumes/data":
		return "the whole disk"
	case p == "/home" || p == "/users" || p == "/var/home" || len(p) == 8 && p[1] == ':' && p[2:] == "/users":
		return "every home directory"
	}
	return ""
}

func describeEntry(r ir.FSRule) string {
	switch r.Base {
	case ir.BaseAbs:
		return fmt.Sprintf("%q = \"write\"", r.Path)
	case ir.BaseHome:
		return strings.TrimSuffix("\"~/"+r.Path, "/") + "\" = \"write\""
	}
	return fmt.Sprintf("%q = \"write\"", r.Base.String())
}

// isVerbatimDrive reports whether p is \\?\C:\... or \\.\C:\..., a drive
// path in Win32's verbatim or device form.
func isVerbatimDrive(p string) bool {
	if !strings.HasPrefix(p, `\\?\`) && !strings.HasPrefix(p, `\\.\`) {
		return false
	}
	return len(p) >= 6 && p[5] == ':' && (p[4]|0x20 >= 'a' && p[4]|0x20 <= 'z')
}

// shortName matches a component that may be an 8.3 short name.
var shortName = regexp.MustCompile(`~[0-9]+(\.[^.]*)?$`)

// windowsAlias says what makes a path that can reach Windows (any but a
// POSIX absolute one) name a file under another name there: Win32 drops a
// trailing dot, "name:stream" names a stream of name, and PROGRA~1 is an
// 8.3 short name. The file system's own name for the object is the one
// its access control entries follow, so an alias of a denied path could
// grant it.
func windowsAlias(path, sub string) string {
	if strings.HasPrefix(path, "//") && !strings.HasPrefix(path, "///") {
		// A POSIX path to the rest of the world, a share (//srv/share) or
		// a device path (//?/C:/x) to Windows: a rule so spelled would be
		// skipped there, a deny with it.
		return "begins with //, which Windows reads as a network share or device path"
	}
	if ir.IsPosixAbs(path) {
		return ""
	}
	if strings.HasPrefix(path, ":") {
		path = "" // a special path: only the subpath below it is spelled out
	}
	if u := strings.ReplaceAll(path, "/", `\`); strings.HasPrefix(u, `\\`) && !isVerbatimDrive(u) {
		return "is a network share path: the Windows applier places no access control entry on a share, " +
			`and an administrative share (\\localhost\C$) names a local disk under another name`
	}
	for _, verbatim := range []string{`\\?\`, `\\.\`} {
		path = strings.TrimPrefix(path, verbatim) // \\?\C:\x is C:\x
	}
	slash := func(r rune) bool { return r == '/' }
	comps := strings.FieldsFunc(strings.ReplaceAll(path+"/"+sub, `\`, "/"), slash)
	for i, c := range comps {
		switch {
		case c == "." || c == ".." || ir.HasGlobMeta(c):
		case strings.HasSuffix(c, "."):
			return "has a component ending in a dot, which Windows drops: it names the file without the dot"
		case strings.Contains(c, ":") && !(i == 0 && len(c) == 2 && ir.IsWindowsAbs(c+`\`)):
			return "has a colon in a component: on Windows \"name:stream\" names a stream of name"
		case shortName.MatchString(c):
			return "has a component that may be an 8.3 short name (PROGRA~1), another name of a file on Windows; " +
				"write the long name"
		}
	}
	return ""
}

// braceList matches a brace expansion as shells and other glob dialects
// write it: a comma inside braces.
var braceList = regexp.MustCompile(`\{[^{}]*,[^{}]*\}`)

// unsupportedGlob names glob shapes that not every target can express
// with the same meaning (SBPL regexes, Windows expansion), so they are
// refused everywhere rather than enforced differently per OS.
func unsupportedGlob(p string) string {
	switch {
	case strings.Contains(p, "[!") || strings.Contains(p, "[^"):
		return "negated character classes are not supported"
	case strings.ContainsAny(p, "{}"):
		return "braces are not supported in globs"
	}
	for _, c := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if strings.Contains(c, "**") && c != "**" {
			return "** must be a whole path component"
		}
	}
	return ""
}

func hasDotDot(p, sep string) bool {
	for _, c := range strings.Split(p, sep) {
		if c == ".." {
			return true
		}
	}
	return false
}

func joinSub(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "/" + b
}

// withGlob records the path, validating a glob and folding a trailing
// "/**" into a plain subtree rule.
func (n *normalizer) withGlob(r ir.FSRule, e ir.FSEntryDecl, path string) (ir.FSRule, bool) {
	sep := "/"
	if r.Base == ir.BaseAbs && ir.IsWindowsAbs(path) {
		sep = `\`
	}
	if prefix, ok := strings.CutSuffix(path, sep+"**"); ok && !ir.HasGlobMeta(prefix) {
		path = prefix
		if r.Base == ir.BaseAbs {
			// "/**" is "/", and "C:\**" is "C:\".
			t := ir.Linux
			if sep != "/" {
				t = ir.Windows
			}
			if clean, ok := ir.CleanPath(t, prefix+sep); ok {
				path = clean
			}
		}
	} else if path == "**" && (r.Base == ir.BaseWorkspaceRoots || r.Base == ir.BaseHome) {
		path = ""
	}
	r.Path = path
	if !ir.HasGlobMeta(path) {
		if what := broadGrant(r); what != "" {
			n.s.diags.Warnf(e.KeyPos, diag.BroadRoot, "%s makes %s writable: grant the narrower folder the task needs",
				describeEntry(r), what)
		}
		if braceList.MatchString(path) {
			n.s.diags.Warnf(e.KeyPos, diag.LiteralBraces, "%q names one file, with braces in its "+
				"name: braces are not expanded; write one rule per name", path)
		}
		return r, true
	}
	if !doublestar.ValidatePattern(strings.ReplaceAll(path, `\`, "/")) {
		n.s.diags.Errorf(e.KeyPos, diag.BadPath, "glob %q is not a valid pattern", path)
		return r, false
	}
	if why := unsupportedGlob(path); why != "" {
		n.s.diags.Errorf(e.KeyPos, diag.BadPath, "glob %q: %s", path, why)
		return r, false
	}
	r.Glob = true
	return r, true
}
