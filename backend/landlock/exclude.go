package landlock

import (
	"fmt"
	"os"
	"path"
	"sort"
)

// Exclude withdraws from p and everything below it the file rights
// (read_file, write_file, execute, truncate, ioctl_dev) that rules on p or
// above it grant, by rewriting each such rule: the rule keeps only its
// directory rights on its own path, and every other entry of each
// directory on the way down to p gets the rule's full rights. Landlock
// only allows, so this is how a ruleset leaves one subtree out of a grant
// on an ancestor. Rules below p are left as they are, so a narrower grant
// (/dev/null under an excluded /dev) still applies.
//
// Unlike Resolve, Exclude reads the disk: it lists the directories between
// each rule and p, as they are now. An entry created there later gets only
// the directory rights, which fails closed. Symbolic links among those
// entries get no rule: Landlock judges the file a link reaches, which has
// rules of its own, or none when it lies below p. An error listing a
// directory is returned, and r is then unchanged.
func (r *Resolved) Exclude(p string) error {
	p = path.Clean(p)
	if !path.IsAbs(p) {
		return fmt.Errorf("landlock: exclude %q: not an absolute path", p)
	}
	files := fileRights(r.HandledFS)
	var out []ResolvedPath
	for _, g := range r.Paths {
		if !within(p, g.Path) || g.Rights&files == 0 {
			out = append(out, g)
			continue
		}
		if dirs := g.Rights &^ files; dirs != 0 {
			out = append(out, ResolvedPath{Path: g.Path, Rights: dirs, Origin: g.Origin})
		}
		for dir := g.Path; dir != p; {
			next := childToward(dir, p)
			ents, err := os.ReadDir(dir)
			if err != nil {
				return fmt.Errorf("landlock: leaving %s out of the grant on %s: %v", p, g.Path, err)
			}
			for _, e := range ents {
				c := path.Join(dir, e.Name())
				if c == next || e.Type()&os.ModeSymlink != 0 {
					continue
				}
				out = append(out, ResolvedPath{Path: c, Rights: g.Rights, Origin: g.Origin})
			}
			dir = next
		}
	}
	r.Paths = mergePaths(out)
	return nil
}

// childToward returns the entry of dir on the way to p, which lies below
// dir.
func childToward(dir, p string) string {
	rest := p[len(dir):]
	if dir == "/" {
		rest = p[1:]
	} else {
		rest = rest[1:]
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] == '/' {
			rest = rest[:i]
			break
		}
	}
	return path.Join(dir, rest)
}

// mergePaths unites the rights of rules on one path and sorts them.
func mergePaths(ps []ResolvedPath) []ResolvedPath {
	idx := map[string]int{}
	var out []ResolvedPath
	for _, p := range ps {
		if i, ok := idx[p.Path]; ok {
			out[i].Rights |= p.Rights
			continue
		}
		idx[p.Path] = len(out)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
