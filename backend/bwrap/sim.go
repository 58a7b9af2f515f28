package bwrap

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Sight is what a process inside the sandbox finds at a path.
type Sight struct {
	Exists bool `json:"exists"`
	Dir    bool `json:"dir,omitempty"`
	// Read: open a file for reading, or list a directory.
	Read bool `json:"read"`
	// Write: open a file for writing; create an entry in a directory;
	// create a path that does not exist.
	Write bool `json:"write"`
	// Pinned: a mount point, which cannot be removed, renamed or
	// replaced.
	Pinned bool `json:"pinned,omitempty"`
	// Private: under the sandbox's own /dev or /proc, whose contents the
	// simulator does not model.
	Private bool `json:"private,omitempty"`
	// Real is the path after every symlink, as the sandbox resolves it.
	Real string `json:"real,omitempty"`
}

// Sim is a mount-plan simulator: it replays a resolved plan's operations
// over the disk the plan was resolved against, and answers what a process
// inside sees. Host files count as readable and writable when their mount
// allows it; host permissions are not modelled.
type Sim struct {
	fs     FS
	mounts map[string]*simMount
	synth  map[string]*simNode
	holds  map[string]bool
	pins   map[string]bool
	// Problems lists operations bubblewrap could not carry out without
	// creating something on the host; a correct plan has none.
	Problems []string
}

type simMount struct {
	kind view
	src  string
	ro   bool
	mode uint32
}

// simNode is a directory or symlink bubblewrap creates inside a tmpfs.
type simNode struct {
	dir  bool
	link string
	mode uint32
}

// node is what one path is, inside.
type node struct {
	exists  bool
	dir     bool
	link    string // symlink content, when a symlink
	host    string // host path, when it shows the host's tree
	ro      bool
	mode    uint32
	private bool
	mounted bool
}

// Simulate replays res over the disk it was resolved against.
func Simulate(res *Resolved) *Sim {
	s := &Sim{fs: res.fs, mounts: map[string]*simMount{}, synth: map[string]*simNode{},
		holds: map[string]bool{}, pins: map[string]bool{}}
	if s.fs == nil {
		s.fs = HostFS{}
	}
	for _, p := range res.Placeholders {
		s.holds[p.Path] = true
	}
	for _, p := range res.Pins {
		s.pins[p.Link] = true
	}
	s.mounts["/"] = &simMount{kind: viewEmpty, mode: 0o755}
	for _, o := range res.Ops {
		s.apply(o)
	}
	return s
}

func (s *Sim) apply(o Op) {
	switch o.Op {
	case OpROBind, OpBind, OpDevBind:
		s.bind(o)
	case OpTmpfs:
		s.checkDest(o.Dest)
		s.mkparents(o.Dest)
		s.mounts[o.Dest] = &simMount{kind: viewEmpty, mode: parsePerms(o.Perms)}
	case OpDir:
		s.checkDest(o.Dest)
		s.mkparents(o.Dest)
		if n, ok := s.synth[o.Dest]; ok {
			n.mode = parsePerms(o.Perms)
			return
		}
		s.synth[o.Dest] = &simNode{dir: true, mode: parsePerms(o.Perms)}
	case OpSymlink:
		s.checkDest(o.Dest)
		s.mkparents(o.Dest)
		s.synth[o.Dest] = &simNode{link: o.Src}
	case OpRemount:
		if m, ok := s.mounts[o.Dest]; ok {
			m.ro = true
		}
	case OpChmod:
		if m, ok := s.mounts[o.Dest]; ok && m.kind == viewEmpty {
			m.mode = parsePerms(o.Perms)
		} else if n, ok := s.synth[o.Dest]; ok {
			n.mode = parsePerms(o.Perms)
		}
	case OpDev:
		s.mkparents(o.Dest)
		s.mounts[o.Dest] = &simMount{kind: viewDev}
	case OpProc:
		s.mkparents(o.Dest)
		s.mounts[o.Dest] = &simMount{kind: viewProc}
	}
}

func (s *Sim) bind(o Op) {
	m := &simMount{kind: viewHostRW, src: o.Src, ro: o.Op == OpROBind}
	if o.isMask() {
		m = &simMount{kind: viewFileMask, ro: true}
	}
	s.checkDest(o.Dest)
	s.mkparents(o.Dest)
	s.mounts[o.Dest] = m
}

// checkDest records a destination that bubblewrap would have to create on
// the host: one inside a host view that is not on the disk.
func (s *Sim) checkDest(dest string) {
	if dest == "/" {
		return
	}
	par := s.look(parentOf(dest), 0)
	if !par.exists || par.host == "" {
		return
	}
	if _, err := s.fs.Lstat(dest); err != nil && !s.holds[dest] {
		s.Problems = append(s.Problems, fmt.Sprintf("bubblewrap would create %s on the host", dest))
	}
}

// mkparents creates, like bubblewrap, the missing directories above dest
// inside tmpfs views, with mode 0755.
func (s *Sim) mkparents(dest string) {
	var missing []string
	for q := parentOf(dest); q != "/"; q = parentOf(q) {
		if n := s.look(q, 0); n.exists {
			break
		}
		missing = append(missing, q)
	}
	for _, q := range missing {
		s.synth[q] = &simNode{dir: true, mode: 0o755}
	}
}

func parsePerms(p string) uint32 {
	v, err := strconv.ParseUint(p, 8, 32)
	if err != nil {
		return 0o755
	}
	return uint32(v)
}

// Look returns what a process inside finds at the absolute path p,
// following symlinks as the kernel does.
func (s *Sim) Look(p string) Sight {
	p = path.Clean(p)
	n, real, trav := s.walk(p)
	out := Sight{Exists: n.exists, Dir: n.dir, Real: real, Private: n.private,
		Pinned: n.mounted || s.pins[p]}
	if n.private || !trav {
		return out
	}
	if !n.exists {
		out.Write = s.creatable(real)
		return out
	}
	out.Read = n.mode&0o444 != 0
	out.Write = canWrite(n)
	return out
}

func canWrite(n node) bool { return !n.ro && n.mode&0o222 != 0 }

// creatable reports whether the missing path p could be created, with its
// missing parents: its nearest existing ancestor is a writable directory.
func (s *Sim) creatable(p string) bool {
	for q := parentOf(p); ; q = parentOf(q) {
		n, _, trav := s.walk(q)
		if n.exists {
			return trav && n.dir && !n.private && canWrite(n)
		}
		if q == "/" {
			return false
		}
	}
}

// walk resolves p component by component. trav is false when a directory
// on the way cannot be traversed.
func (s *Sim) walk(p string) (n node, real string, trav bool) {
	rest := splitComps(p)
	cur := "/"
	n, trav = s.look("/", 0), true
	for hops := 0; len(rest) > 0; {
		if n.private {
			return n, joinPath(cur, strings.Join(rest, "/")), trav
		}
		if !n.exists || !n.dir {
			return node{}, joinPath(cur, strings.Join(rest, "/")), trav
		}
		trav = trav && n.mode&0o111 != 0
		next := joinPath(cur, rest[0])
		c := s.look(next, 0)
		if c.link == "" {
			cur, rest, n = next, rest[1:], c
			continue
		}
		if hops++; hops > maxHops {
			return node{}, next, false
		}
		target := c.link
		if !path.IsAbs(target) {
			target = path.Join(cur, target)
		}
		rest = append(splitComps(target), rest[1:]...)
		cur, n = "/", s.look("/", 0)
	}
	return n, cur, trav
}

// look returns the node at p itself, without following a final symlink.
func (s *Sim) look(p string, level int) node {
	if m, ok := s.mounts[p]; ok {
		return s.mountRoot(m)
	}
	if p == "/" || level > maxHops {
		return node{}
	}
	par := s.look(parentOf(p), level+1)
	switch {
	case !par.exists || !par.dir:
		return node{}
	case par.private:
		return node{exists: true, private: true}
	case par.host == "":
		return s.synthNode(p, par)
	}
	return s.hostNode(joinPath(par.host, path.Base(p)), par.ro)
}

func (s *Sim) mountRoot(m *simMount) node {
	switch m.kind {
	case viewEmpty:
		return node{exists: true, dir: true, ro: m.ro, mode: m.mode, mounted: true}
	case viewDev, viewProc:
		return node{exists: true, dir: true, private: true, mounted: true}
	case viewFileMask:
		return node{exists: true, ro: true, mounted: true}
	}
	n := s.hostNode(m.src, m.ro)
	n.mounted = true
	return n
}

func (s *Sim) synthNode(p string, par node) node {
	sn, ok := s.synth[p]
	if !ok {
		return node{}
	}
	if sn.link != "" {
		return node{exists: true, link: sn.link, ro: par.ro, mode: 0o777}
	}
	return node{exists: true, dir: true, ro: par.ro, mode: sn.mode}
}

func (s *Sim) hostNode(h string, ro bool) node {
	fi, err := s.fs.Lstat(h)
	if err != nil {
		if s.holds[h] {
			return node{exists: true, dir: true, host: h, ro: ro, mode: 0o777}
		}
		return node{}
	}
	n := node{exists: true, host: h, ro: ro, mode: 0o777, dir: fi.IsDir()}
	if typeOf(fi) == typeLink {
		n.link, _ = s.fs.Readlink(h)
	}
	return n
}
