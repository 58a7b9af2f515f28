package bwrap

import (
	"errors"
	"io/fs"
	"path"
	"strings"
)

// Paths in this package are clean absolute slash paths ("/" is the root).

func depth(p string) int {
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}

func parentOf(p string) string { return path.Dir(p) }

// within reports whether p is anc or lies below it.
func within(p, anc string) bool {
	if anc == "/" || p == anc {
		return true
	}
	return strings.HasPrefix(p, anc) && len(p) > len(anc) && p[len(anc)] == '/'
}

func joinPath(base, rel string) string {
	if rel == "" {
		return base
	}
	return path.Join(base, rel)
}

func splitComps(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// hop is one symlink met while resolving a path.
type hop struct {
	Link    string // where the link is, as a real path
	Content string // what it says
	Target  string // what it resolves to (clean, absolute; may hold links)
}

// resolution is a path with every symlink followed.
type resolution struct {
	Real  string
	Type  nodeType // of Real: missing, directory or file
	Ident ident
	Hops  []hop
	// FinalLink is set when the path itself (not an ancestor) is a link;
	// FinalHop is then its index in Hops.
	FinalLink bool
	FinalHop  int
}

const maxHops = 40

var errLoop = errors.New("too many levels of symbolic links")

// canonical follows every symlink of p as the kernel does, and records
// each link it crossed. A link's target is never cleaned as text: "x/.."
// in it means the parent of what x resolves to (the kernel follows x
// first), and a ".." after a part that does not exist fails, as the
// kernel's lookup does (errDotDotMissing). Cleaning it as text would let
// a link that the kernel finds dangling ("/nonexistent/../opt") name a
// real folder for the mount plan alone.
func canonical(fsys FS, p string) (resolution, error) {
	var res resolution
	rest := splitComps(p)
	cur := "/"
	lastDone := false
	for len(rest) > 0 {
		switch rest[0] {
		case ".":
			rest = rest[1:]
			continue
		case "..":
			// cur has no link left in it: its parent is the real one.
			cur, rest = parentOf(cur), rest[1:]
			res.Type, res.Ident = typeDir, ident{}
			if fi, err := fsys.Lstat(cur); err == nil {
				res.Ident = identOf(fi)
			}
			continue
		}
		next := joinPath(cur, rest[0])
		fi, err := fsys.Lstat(next)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !isNotDir(err) {
				return res, err
			}
			return res.missing(next, rest[1:])
		}
		if typeOf(fi) != typeLink {
			if len(rest) > 1 && !fi.IsDir() {
				return res.missing(next, rest[1:])
			}
			cur, rest = next, rest[1:]
			res.Type, res.Ident = typeOf(fi), identOf(fi)
			continue
		}
		if len(res.Hops) == maxHops {
			return res, errLoop
		}
		content, err := fsys.Readlink(next)
		if err != nil {
			return res, err
		}
		from := cur
		if path.IsAbs(content) {
			from = "/"
		}
		res.Hops = append(res.Hops, hop{Link: next, Content: content, Target: joinRaw(from, content)})
		if len(rest) == 1 && !lastDone {
			// Until it is consumed, the path's own last component stays
			// the last of rest: this is it.
			res.FinalLink, res.FinalHop, lastDone = true, len(res.Hops)-1, true
		}
		rest = append(rawComps(content), rest[1:]...)
		if path.IsAbs(content) {
			cur = "/"
		}
	}
	res.Real = cur
	if cur == "/" {
		res.Type = typeDir
	}
	return res, nil
}

// errDotDotMissing is a ".." below a part that does not exist: the kernel
// fails such a lookup.
var errDotDotMissing = errors.New(`a symbolic link's target goes through a missing folder and then ".."`)

// rawComps splits a link's content into its parts, "." and ".." kept.
func rawComps(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// joinRaw is base/rel without cleaning, for messages.
func joinRaw(base, rel string) string {
	if base == "/" {
		return "/" + strings.TrimPrefix(rel, "/")
	}
	return base + "/" + rel
}

// Canonical is p with every symlink followed on the host disk, as the
// mount plan resolves a rule's path; a missing tail is kept as written.
func Canonical(p string) (string, error) {
	res, err := canonical(HostFS{}, p)
	return res.Real, err
}

// missing ends a resolution at a component that does not exist; the rest
// is kept as written below it, unless it climbs back with "..", which the
// kernel would refuse.
func (res resolution) missing(at string, rest []string) (resolution, error) {
	var keep []string
	for _, c := range rest {
		switch c {
		case ".":
		case "..":
			return res, errDotDotMissing
		default:
			keep = append(keep, c)
		}
	}
	res.Real = joinPath(at, strings.Join(keep, "/"))
	res.Type, res.Ident = typeMissing, ident{}
	return res, nil
}

func isNotDir(err error) bool {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return strings.Contains(pe.Err.Error(), "not a directory")
	}
	return false
}
