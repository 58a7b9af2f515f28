package macos

import (
	"strings"

	"github.com/permc/permc/backend/seatbelt"
)

// protect binds PROTECTED_READ_RE and PROTECTED_DENY_RE the way ir.Decide
// protects metadata: .git, .agents and .codex under each workspace root
// (and a linked worktree's gitdir) stay read-only when the root is
// readable and denied when it is not, unless a rule of the profile names
// the path or an ancestor of it outside the root.
func (b *binder) protect(parsed *seatbelt.Parsed) error {
	if len(b.m.ProtectedNames) == 0 {
		return nil
	}
	prog, err := parsed.Resolve(b.params)
	if err != nil {
		return err
	}
	for _, root := range b.wsRoots {
		readable := prog.Check("file-read-data", root).Allowed
		for _, q := range b.protectedPaths(root) {
			b.protectPath(q, root, readable)
		}
	}
	b.params["PROTECTED_READ_RE"] = alternation(b.protR, "PROTECTED_READ")
	b.params["PROTECTED_READ_FOLD_RE"] = foldedAlternation(b.protR, "PROTECTED_READ")
	b.params["PROTECTED_DENY_RE"] = alternation(b.protD, "PROTECTED_DENY")
	return nil
}

func (b *binder) protectedPaths(root string) []string {
	var out []string
	for _, n := range b.m.ProtectedNames {
		out = append(out, joinPath(root, n))
	}
	if g, ok := b.gitDir(root); ok {
		out = append(out, g)
	}
	return out
}

// protectPath protects q, and the target of q when q is a symbolic link.
func (b *binder) protectPath(q, root string, readable bool) {
	if b.overridden(q, root) {
		return
	}
	b.addProtected(q, readable)
	if b.mc.Resolve == nil {
		return
	}
	if t, ok := b.mc.Resolve(q); ok {
		if c, err := canon("link target", t); err == nil && c != q && !b.overridden(c, root) {
			b.addProtected(c, readable)
		}
	}
}

func (b *binder) addProtected(q string, readable bool) {
	if readable {
		b.protR = append(b.protR, q)
	} else {
		b.protD = append(b.protD, q)
	}
}

// gitDir returns the linked gitdir of a root, canonical.
func (b *binder) gitDir(root string) (string, bool) {
	for k, v := range b.mc.LinkedGitDirs {
		if c, err := canon("workspace root", k); err != nil || c != root {
			continue
		}
		if g, err := canon("gitdir", v); err == nil {
			return g, true
		}
	}
	return "", false
}

// overridden reports whether an exact rule of the profile names q, or an
// ancestor of q that does not contain root. Like ir.Decide, it compares
// case-sensitively and ignores globs, :minimal and implicit entries.
func (b *binder) overridden(q, root string) bool {
	qc, rc := splitPath(q), splitPath(root)
	for _, r := range b.m.Rules {
		if r.Kind != "rule" || r.Glob {
			continue
		}
		for _, p := range b.refPaths(r) {
			pc := splitPath(p)
			if len(pc) == len(qc) && hasPrefix(qc, pc, false) {
				return true
			}
			if len(pc) < len(qc) && hasPrefix(qc, pc, false) && !hasPrefix(rc, pc, false) {
				return true
			}
		}
	}
	return false
}

// alternation is a regex group of the quoted paths, or of an unbound path
// when there are none.
func alternation(paths []string, name string) string {
	if len(paths) == 0 {
		paths = []string{unbound(name)}
	}
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = seatbelt.RegexQuote(p)
	}
	return "(" + strings.Join(q, "|") + ")"
}

// foldedAlternation is alternation with each path case-folded.
func foldedAlternation(paths []string, name string) string {
	if len(paths) == 0 {
		return alternation(nil, name)
	}
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = seatbelt.FoldRegex(p)
	}
	return "(" + strings.Join(q, "|") + ")"
}

// refPaths returns the bound paths of a rule template.
func (b *binder) refPaths(r seatbelt.RuleRef) []string {
	switch r.Base {
	case "abs":
		return []string{r.Path}
	case "protected":
		if r.Access == "read" {
			return b.protR
		}
		return b.protD
	}
	var out []string
	for _, base := range b.basePaths(r.Base) {
		out = append(out, joinPath(base, r.Path))
	}
	return out
}

func joinPath(base, rel string) string {
	switch {
	case rel == "":
		return base
	case base == "/":
		return "/" + rel
	}
	return base + "/" + rel
}

// splitPath splits an absolute path without cleaning it, as ir.Decide
// joins subpaths.
func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// hasPrefix reports whether pre is an ancestor-or-self of p.
func hasPrefix(p, pre []string, fold bool) bool {
	if len(pre) > len(p) {
		return false
	}
	for i := range pre {
		a, b := pre[i], p[i]
		if fold {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		if a != b {
			return false
		}
	}
	return true
}
