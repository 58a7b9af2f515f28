package passes

import (
	"fmt"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// collect gathers declarations: managed ones (from requirements) first,
// then each layer's, rejecting reserved names and user rewrites of managed
// profiles.
func collect(s *state) {
	s.decls = map[string][]*partial{}
	s.managed = map[string]bool{}
	var all []*ir.ProfileDecl
	if r := s.cfg.Requirements; r != nil {
		all = append(all, r.Profiles...)
		for _, p := range r.Profiles {
			s.managed[p.Name] = true
		}
	}
	for _, l := range s.cfg.Layers {
		all = append(all, l.Profiles...)
	}
	s.rawDecls = nil
	for _, d := range all {
		if strings.HasPrefix(d.Name, ":") {
			s.diags.Errorf(d.Pos, diag.ReservedName,
				"profile name %q is reserved: names starting with \":\" belong to built-in profiles", d.Name)
			continue
		}
		if strings.HasPrefix(d.Name, LegacyName("")) {
			s.diags.Errorf(d.Pos, diag.ReservedName,
				"profile name %q is reserved: names starting with %q stand for the older sandbox settings",
				d.Name, LegacyName(""))
			continue
		}
		if d.Name == "" {
			s.diags.Errorf(d.Pos, diag.ReservedName, "profile name must not be empty")
			continue
		}
		if n := len(FolderName(d.Name)); n > MaxFolderName {
			s.diags.Errorf(d.Pos, diag.ReservedName,
				"profile name is too long: its artifact folder name would be %d bytes, over %d", n, MaxFolderName)
			continue
		}
		if !d.Managed && s.managed[d.Name] {
			s.diags.Errorf(d.Pos, diag.ManagedOverride,
				"profile %q is defined by managed requirements and cannot be changed by %s; extend it under another name",
				d.Name, d.File)
			continue
		}
		s.rawDecls = append(s.rawDecls, d)
	}
}

// normalize checks and canonicalises each declaration.
func normalize(s *state) {
	for _, d := range s.rawDecls {
		p := &partial{name: d.Name, pos: d.Pos, managed: d.Managed}
		p.description = d.Description
		p.extends = d.Extends
		n := &normalizer{s: s, p: p, profile: d.Name}
		n.roots(d.WorkspaceRoots)
		if d.Filesystem != nil {
			n.filesystem(d.Filesystem)
		}
		if d.Network != nil {
			n.network(d.Network)
		}
		s.decls[d.Name] = append(s.decls[d.Name], p)
	}
}

type normalizer struct {
	s       *state
	p       *partial
	profile string
}

func (n *normalizer) origin(pos diag.Pos) ir.Origin { return ir.Origin{Pos: pos, Profile: n.profile} }

func (n *normalizer) roots(rs []ir.RootDecl) {
	for _, r := range rs {
		if hasDotDot(strings.ReplaceAll(r.Path, `\`, "/"), "/") {
			n.s.diags.Errorf(r.KeyPos, diag.BadPath, "workspace root %q must not contain \"..\" components", r.Path)
			continue
		}
		path, ok := cleanRootPath(r.Path)
		if !ok {
			n.s.diags.Errorf(r.KeyPos, diag.BadPath,
				"workspace root %q must be an absolute path or start with ~/", r.Path)
			continue
		}
		if why := oddPath(r.Path); why != "" {
			n.s.diags.Errorf(r.KeyPos, diag.BadPath, "workspace root %q %s", r.Path, why)
			continue
		}
		if why := windowsAlias(r.Path, ""); why != "" {
			n.s.diags.Errorf(r.KeyPos, diag.BadPath, "workspace root %q %s", r.Path, why)
			continue
		}
		if r.Enabled && broadGrant(ir.FSRule{Base: rootBase(path), Path: strings.TrimPrefix(path, "~"),
			Access: ir.Write}) != "" {
			n.s.diags.Warnf(r.KeyPos, diag.BroadRoot, "workspace root %q makes all of %s a workspace root: "+
				"the :workspace_roots rules (writable under :workspace) apply to every file in it", r.Path, path)
		}
		n.p.roots.set(path, rootEntry{
			root:    ir.WorkspaceRoot{Path: path, Origin: n.origin(r.KeyPos)},
			enabled: r.Enabled,
		})
	}
}

// rootBase is the base a workspace root's path is written against.
func rootBase(path string) ir.BaseKind {
	if path == "~" || strings.HasPrefix(path, "~/") {
		return ir.BaseHome
	}
	return ir.BaseAbs
}

// cleanRootPath canonicalises an absolute or ~ path.
func cleanRootPath(p string) (string, bool) {
	if rest, ok := ir.CutHome(p); ok {
		if rest == "" {
			return "~", true
		}
		if !cleanRel(rest) {
			return "", false
		}
		return "~/" + rest, true
	}
	if ir.IsPosixAbs(p) {
		return ir.CleanPath(ir.Linux, p)
	}
	return ir.CleanPath(ir.Windows, p)
}

// cleanRel reports whether rel is a clean relative path: no empty, "." or
// ".." components.
func cleanRel(rel string) bool {
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." || c == ".." {
			return false
		}
	}
	return true
}

// MaxFolderName is the longest artifact folder name permc writes: 255
// bytes, the limit of common filesystems.
const MaxFolderName = 255

// FolderName maps a profile name to a folder name that is safe on every
// OS: built-ins and the older settings start with "@" (":workspace" is
// "@workspace"); other bytes outside [A-Za-z0-9._-] are %XX-escaped, as
// is a leading dot.
func FolderName(name string) string {
	var b strings.Builder
	rest := name
	switch {
	case strings.HasPrefix(name, ":"):
		b.WriteString("@")
		rest = name[1:]
	case strings.HasPrefix(name, LegacyName("")):
		b.WriteString("@sandbox_mode-")
		rest = strings.TrimPrefix(name, LegacyName(""))
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' ||
			(c == '.' && i > 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
