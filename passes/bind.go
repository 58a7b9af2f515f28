package passes

import (
	"fmt"
	"strings"

	"github.com/permc/permc/ir"
)

// Bindings are roots fixed at build time with --bind, for users who want a
// concrete artifact instead of a relocatable one.
type Bindings struct {
	Home       string
	Tmpdir     string
	Workspaces []string
}

// ParseBind reads one --bind NAME=PATH flag into b.
func (b *Bindings) ParseBind(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok || path == "" {
		return fmt.Errorf("--bind %q: want NAME=PATH with NAME home, tmpdir or workspace", v)
	}
	if !ir.IsPosixAbs(path) && !ir.IsWindowsAbs(path) {
		return fmt.Errorf("--bind %s: %q is not an absolute path", name, path)
	}
	switch name {
	case "home":
		b.Home = path
	case "tmpdir":
		b.Tmpdir = path
	case "workspace":
		b.Workspaces = append(b.Workspaces, path)
	default:
		return fmt.Errorf("--bind %q: unknown root %q; use home, tmpdir or workspace", v, name)
	}
	return nil
}

// Empty reports whether nothing is bound.
func (b Bindings) Empty() bool { return b.Home == "" && b.Tmpdir == "" && len(b.Workspaces) == 0 }

// Bind returns a copy of p with the bound roots made concrete: ~ rules and
// ~ workspace roots become absolute, :tmpdir rules name the bound path, and
// bound workspaces join the profile's roots.
func Bind(p *ir.Policy, b Bindings) *ir.Policy {
	if b.Empty() {
		return p
	}
	out := *p
	out.FS.Rules = nil
	for _, r := range p.FS.Rules {
		switch {
		case r.Base == ir.BaseHome && b.Home != "":
			r.Base, r.Path = ir.BaseAbs, joinAbs(b.Home, r.Path)
		case r.Base == ir.BaseTmpdir && b.Tmpdir != "":
			r.Base, r.Path = ir.BaseAbs, joinAbs(b.Tmpdir, "")
		}
		out.FS.Rules = append(out.FS.Rules, r)
	}
	SortRules(out.FS.Rules)
	out.FS.WorkspaceRoots = nil
	for _, w := range p.FS.WorkspaceRoots {
		if rest, ok := ir.CutHome(w.Path); ok && b.Home != "" {
			w.Path = joinAbs(b.Home, rest)
		}
		out.FS.WorkspaceRoots = append(out.FS.WorkspaceRoots, w)
	}
	for _, w := range b.Workspaces {
		out.FS.WorkspaceRoots = append(out.FS.WorkspaceRoots,
			ir.WorkspaceRoot{Path: w, Origin: ir.Origin{Profile: "--bind workspace"}})
	}
	return &out
}

func joinAbs(base, rel string) string {
	if ir.IsWindowsAbs(base) && !ir.IsPosixAbs(base) {
		p := strings.TrimSuffix(base, `\`)
		if rel != "" {
			p += `\` + strings.ReplaceAll(rel, "/", `\`)
		}
		return p
	}
	p := strings.TrimSuffix(base, "/")
	if rel != "" {
		p += "/" + rel
	}
	if p == "" {
		p = "/"
	}
	return p
}
