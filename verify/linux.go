package verify

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/backend/landlock"
	"github.com/permc/permc/ir"
)

// linuxJSON is the part of linux.json the filesystem check reads.
type linuxJSON struct {
	Mounts   *bwrap.Plan       `json:"mounts"`
	Landlock *landlock.Ruleset `json:"landlock"`
}

// checkLinux judges the mount plan and the Landlock ruleset of linux.json
// together, over a synthetic tree holding every probe, and then each
// seccomp program.
func checkLinux(p *ir.Policy, files map[string][]byte) []Check {
	return append([]Check{checkLinuxFS(p, files)}, checkSeccomp(p, files)...)
}

func checkLinuxFS(p *ir.Policy, files map[string][]byte) Check {
	const name = "linux"
	raw := files["linux.json"]
	if raw == nil {
		return Check{Name: name, Status: Failed,
			Summary: "the manifest says the folder was built for linux, but linux.json is missing"}
	}
	var lj linuxJSON
	if err := json.Unmarshal(raw, &lj); err != nil {
		return Check{Name: name, Status: Failed, Summary: "linux.json: " + err.Error()}
	}
	if lj.Mounts == nil || lj.Landlock == nil {
		return Check{Name: name, Status: Failed, Summary: "linux.json has no \"mounts\" or no \"landlock\""}
	}
	probes := Probes(ir.Linux, p)
	return judgeLinux(p, &lj, newTree(probes, Binding(ir.Linux)), probes)
}

// judgeLinux resolves both layers against tree and compares every probe.
func judgeLinux(p *ir.Policy, lj *linuxJSON, tree *treeFS, probes []string) Check {
	const name = "linux"
	sb := Binding(ir.Linux)
	sb.Exists = func(p string) bool { _, err := tree.Lstat(p); return err == nil }
	opts := bwrap.Options{FS: tree, MaskFile: maskFile(p, sb, probes), PinLinks: true}
	res, diags := bwrap.Resolve(lj.Mounts, bwrap.Binding{Home: sb.Home, Tmpdir: sb.Tmpdir,
		WorkspaceRoots: sb.WorkspaceRoots}, opts)
	if diags.HasErrors() {
		c := Check{Name: name, Status: Failed, Summary: "the loader refuses the mount plan on the synthetic tree"}
		for _, d := range diags.Errors().Sorted() {
			c.Details = append(c.Details, d.String())
		}
		return c
	}
	sim := bwrap.Simulate(res)
	if len(sim.Problems) > 0 {
		return Check{Name: name, Status: Failed, Summary: "the mount plan cannot be carried out as resolved",
			Details: sim.Problems}
	}
	b := res.Binding()
	ll, diags := landlock.Resolve(lj.Landlock, b)
	if diags.HasErrors() {
		return Check{Name: name, Status: Failed, Summary: "the Landlock ruleset does not load: " + diags.Errors()[0].String()}
	}
	rep := reported(p, ir.Linux, ir.ModeDefault)
	tl := newTally(name)
	dec := ir.NewDecider(p, ir.Linux, b)
	for _, probe := range probes {
		tl.compared++
		d := dec.Decide(probe)
		msg, known := judgePath(sim, ll, probe, d)
		switch {
		case known != "":
			tl.known[known]++
		case msg != "":
			tl.differ(rep, d, probe, msg)
		}
	}
	return tl.check(fmt.Sprintf("%d probes × read, write of mounts and Landlock together", len(probes)))
}

// Known limitations of the Linux backends in the sandbox's own /dev and
// /proc, which bubblewrap mounts fresh and the mount plan leaves alone, so
// that Landlock, which only allows, decides there alone.
const (
	// procReadable: the fresh /proc is readable as a whole, since a rule
	// on /proc/self would follow only the first process and not its
	// children (backend/landlock documents it).
	procReadable = "the sandbox's fresh /proc is readable as a whole (backend/landlock: Limitations)"
	// privateNarrowing: a narrower entry below /dev or /proc (a deny, or
	// a read-only device inside a writable root) cannot take away what a
	// broader grant gives there.
	privateNarrowing = "a narrower entry inside the sandbox's own /dev or /proc cannot take away a broader grant (Landlock only allows; the plan mounts them fresh)"
	// procReadOnly: permc run remounts the fresh /proc read-only whatever
	// the profile grants, so that a writable root cannot reach the host's
	// sysctls through /proc/sys; less than the policy, never more.
	procReadOnly = "permc run remounts the fresh /proc read-only, whatever a writable rule grants (failing closed)"
)

// judgePath compares one path; it returns what differs, or the known
// limitation that explains the difference.
func judgePath(sim *bwrap.Sim, ll *landlock.Resolved, path string, d ir.Decision) (msg, known string) {
	s := sim.Look(path)
	if s.Private {
		return judgePrivate(ll, path, d)
	}
	lr, lw := landlockAt(sim, ll, path)
	wantR, wantW := d.Read && s.Exists, d.Write
	switch {
	case wantR && !lr, wantW && !lw:
		return fmt.Sprintf("Landlock denies what the policy allows: Landlock read %s, write %s",
			yesNo(lr), yesNo(lw)), ""
	case (s.Read && lr) != wantR, (s.Write && lw) != wantW:
		return fmt.Sprintf("mounts and Landlock together read %s, write %s (mounts read %s, write %s; exists %v)",
			yesNo(s.Read && lr), yesNo(s.Write && lw), yesNo(s.Read), yesNo(s.Write), s.Exists), ""
	}
	return "", ""
}

// judgePrivate judges a path of the sandbox's fresh /dev or /proc, whose
// contents the mount simulator does not model: Landlock alone decides.
// It may grant more than ir.Decide only for a known limitation.
func judgePrivate(ll *landlock.Resolved, path string, d ir.Decision) (msg, known string) {
	if belowDevice(path) {
		return "", ""
	}
	lr, lw := ll.CanRead(path, false), ll.CanWrite(path, false)
	if within(path, "/proc") {
		if d.Write && lr == d.Read {
			return "", procReadOnly
		}
		lw = false
	}
	if lr == d.Read && lw == d.Write {
		return "", ""
	}
	diff := fmt.Sprintf("Landlock alone (the sandbox's fresh /dev or /proc) read %s, write %s", yesNo(lr), yesNo(lw))
	if lr && !d.Read && !(lw && !d.Write) && within(path, "/proc") && grantedAt(ll, "/proc", path, false) {
		return "", procReadable
	}
	if !d.Read && lr && !broaderGrant(ll, path, d, false) || !d.Write && lw && !broaderGrant(ll, path, d, true) ||
		d.Read && !lr || d.Write && !lw {
		return diff, ""
	}
	return "", privateNarrowing
}

// broaderGrant reports whether a Landlock rule grants the right at path
// from a strict ancestor of the entry that decided it, or from its very
// path when that entry is a deny (which beats grants at equal depth): a
// grant that the narrower entry overrides in ir.Decide.
func broaderGrant(ll *landlock.Resolved, path string, d ir.Decision, write bool) bool {
	if d.By == nil {
		return false
	}
	for _, g := range ll.Paths {
		above := g.Path != d.By.Path && within(d.By.Path, g.Path)
		same := g.Path == d.By.Path && d.By.Access == ir.Deny
		if (above || same) && grantedAt(ll, g.Path, path, write) {
			return true
		}
	}
	return false
}

// grantedAt reports whether the Landlock rule at rule alone grants read
// (or write) at path.
func grantedAt(ll *landlock.Resolved, rule, path string, write bool) bool {
	for _, g := range ll.Paths {
		if g.Path != rule || !within(path, g.Path) {
			continue
		}
		one := &landlock.Resolved{HandledFS: ll.HandledFS, Paths: []landlock.ResolvedPath{g}}
		if write {
			return one.CanWrite(path, false)
		}
		return one.CanRead(path, false)
	}
	return false
}

// within reports whether p is dir or lies below it.
func within(p, dir string) bool {
	return dir == "/" || p == dir || strings.HasPrefix(p, dir+"/")
}

// belowDevice reports whether path lies below a device the sandbox's /dev
// holds as a file (/dev/null/x): no such path can exist.
func belowDevice(p string) bool {
	for _, m := range ir.Minimal(ir.Linux) {
		if m.Implicit && m.Literal && strings.HasPrefix(p, m.Path+"/") {
			return true
		}
	}
	return false
}

// landlockAt judges path with Landlock alone, at the real path the sandbox
// reaches; for a missing path, creating it in its nearest existing
// ancestor.
func landlockAt(sim *bwrap.Sim, ll *landlock.Resolved, p string) (read, write bool) {
	s := sim.Look(p)
	if s.Exists {
		return ll.CanRead(s.Real, s.Dir), ll.CanWrite(s.Real, s.Dir)
	}
	for q := path.Dir(p); ; q = path.Dir(q) {
		if a := sim.Look(q); a.Exists {
			return false, a.Dir && ll.CanWrite(a.Real, true)
		}
		if q == "/" {
			return false, false
		}
	}
}

// maskFile picks where the runtime's empty mask file would be: a path the
// policy does not let the sandbox write, as the loader requires. Deny
// globs do not count: they mask only what exists, and the mask file is
// not in the tree.
func maskFile(p *ir.Policy, b ir.Binding, probes []string) string {
	cands := []string{"/var/lib/permc/mask"}
	for _, pr := range probes {
		cands = append(cands, path.Join(pr, ".permc-mask"))
	}
	dec := ir.NewDecider(p, ir.Linux, b)
	for _, c := range cands {
		if d := dec.Decide(c); !d.Write && (d.By == nil || d.By.Kind != ir.MatchDenyGlob) {
			return c
		}
	}
	return cands[0]
}

// probeLeaf is the prefix of the names permc diff's probe set puts below
// and beside a rule path (review's child and sibling probes): the tree
// makes those leaves files, and every other probe a directory.
const probeLeaf = "permc-probe"

// treeFS is the synthetic disk the mount plan is resolved against: every
// probe and bound root, in memory. It implements bwrap.FS. It is not on
// the host's disk on purpose: macOS and Windows, where artifacts are
// most often verified, fold case (and macOS Unicode normalisation) in
// their file names, which would merge probes the sandbox tells apart.
type treeFS struct {
	dirs  map[string]bool     // path -> is a directory
	names map[string][]string // directory -> the names in it
}

// newTree creates every probe (outside the sandbox's own /dev and /proc)
// and the bound roots: files for the leaves below and beside rule paths,
// directories for everything else.
func newTree(probes []string, b ir.Binding) *treeFS {
	t := &treeFS{dirs: map[string]bool{"/": true}, names: map[string][]string{}}
	paths := append([]string{"/tmp", b.Home, b.Tmpdir}, b.WorkspaceRoots...)
	paths = append(paths, probes...)
	parents := map[string]bool{}
	for _, p := range paths {
		for q := path.Dir(p); q != "/"; q = path.Dir(q) {
			parents[q] = true
		}
	}
	for _, p := range paths {
		if p == "" || p == "/" || private(p) {
			continue
		}
		t.add(p, parents[p] || !strings.HasPrefix(path.Base(p), probeLeaf))
	}
	for _, ns := range t.names {
		sort.Strings(ns)
	}
	return t
}

// add creates p and its missing parents.
func (t *treeFS) add(p string, dir bool) {
	if _, ok := t.dirs[p]; ok {
		return
	}
	parent := path.Dir(p)
	t.add(parent, true)
	t.dirs[p] = dir
	t.names[parent] = append(t.names[parent], path.Base(p))
}

// private reports whether p lies in the sandbox's own /dev or /proc.
func private(p string) bool {
	return p == "/dev" || p == "/proc" || strings.HasPrefix(p, "/dev/") || strings.HasPrefix(p, "/proc/")
}

// Lstat implements bwrap.FS.
func (t *treeFS) Lstat(name string) (fs.FileInfo, error) {
	name = path.Clean(name)
	dir, ok := t.dirs[name]
	if !ok {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
	}
	return info{name: path.Base(name), dir: dir}, nil
}

// Readlink implements bwrap.FS: the tree holds no symlinks.
func (t *treeFS) Readlink(name string) (string, error) {
	return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
}

// ReadDir implements bwrap.FS.
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	name = path.Clean(name)
	if !t.dirs[name] {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	var out []fs.DirEntry
	for _, n := range t.names[name] {
		out = append(out, fs.FileInfoToDirEntry(info{name: n, dir: t.dirs[path.Join(name, n)]}))
	}
	return out, nil
}

// ReadFile implements bwrap.FS: every file of the tree is empty.
func (t *treeFS) ReadFile(name string) ([]byte, error) {
	name = path.Clean(name)
	if dir, ok := t.dirs[name]; !ok || dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	return nil, nil
}

// info is the fs.FileInfo of a tree entry.
type info struct {
	name string
	dir  bool
}

func (i info) Name() string { return i.name }
func (i info) Size() int64  { return 0 }
func (i info) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i info) ModTime() time.Time { return time.Time{} }
func (i info) IsDir() bool        { return i.dir }
func (i info) Sys() any           { return nil }
