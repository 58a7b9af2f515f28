package bwrap

import (
	"errors"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// GlobScan is one deny glob bound to a directory of this machine.
type GlobScan struct {
	Base    string `json:"base"`    // a real directory, no symlinks
	Pattern string `json:"pattern"` // below Base, in doublestar syntax
	// MaxDepth counts like ripgrep's --max-depth: Base's direct children
	// are depth 1. 0 scans without limit.
	MaxDepth int       `json:"max_depth,omitempty"`
	Origin   ir.Origin `json:"origin"`
}

// GlobMatch is one path a deny glob matched.
type GlobMatch struct {
	Path string `json:"path"`
	Dir  bool   `json:"dir,omitempty"`  // masked whole, with all it holds
	Link bool   `json:"link,omitempty"` // a symlink: its target is masked
}

// GlobResult is what one scan found.
type GlobResult struct {
	Scan    GlobScan    `json:"scan"`
	Matches []GlobMatch `json:"matches,omitempty"`
	// Visited counts the directory entries looked at.
	Visited int `json:"visited"`
}

// GlobOptions tune [ExpandGlobs].
type GlobOptions struct {
	MatchCap int // matches per glob before refusing; 0 means DefaultMatchCap
	Workers  int // scans walked at once; 0 means 2
	// Visit, when set, is called for every directory the walk reads on
	// the host disk ([HostFS] on Linux), from the walk's goroutines, once
	// the directory has been read. The runtime's glob cache records them.
	Visit func(DirVisit)
}

// DirVisit is what the host walk saw of one directory it read: its
// identity as fstat(2) reported it on the open descriptor just before the
// entries were read, and a hash of the entries (name and type) in the
// order they were read ([HashDirExcept] computes the same on a directory now).
// A caller that keeps the result must check afterwards that the
// directory still has this identity: a change during the read can tear
// the listing.
type DirVisit struct {
	Path  string
	Dev   uint64
	Ino   uint64
	Ctime int64 // nanoseconds
	Names [16]byte
}

// ExpandGlobs finds what each deny glob matches on the disk. A matched
// directory is not entered: it is masked whole. The walk stops at
// MaxDepth, never follows symlinks, and enters only directories below
// which the pattern could still match. An unreadable directory and a glob
// past the match cap are errors at the glob's line, never an empty result.
func ExpandGlobs(fsys FS, scans []GlobScan, opts GlobOptions) ([]GlobResult, diag.List) {
	if opts.MatchCap <= 0 {
		opts.MatchCap = DefaultMatchCap
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 2
	}
	out := make([]GlobResult, len(scans))
	lists := make([]diag.List, len(scans))
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for i := range scans {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			w := walker{fsys: fsys, scan: scans[i], cap: opts.MatchCap, diags: &lists[i], visit: opts.Visit}
			out[i] = w.run()
		}(i)
	}
	wg.Wait()
	var diags diag.List
	for _, l := range lists {
		diags = append(diags, l...)
	}
	return out, diags
}

type walker struct {
	visit func(DirVisit)
	fsys  FS
	scan  GlobScan
	segs  []string
	prune bool // pattern segments can be matched one at a time
	cap   int
	res   GlobResult
	diags *diag.List
	full  bool
}

func (w *walker) run() GlobResult {
	w.res.Scan = w.scan
	if !doublestar.ValidatePattern(w.scan.Pattern) {
		w.diags.Errorf(w.scan.Origin.Pos, diag.Load, "deny glob %q is not a valid pattern", w.scan.Pattern)
		return w.res
	}
	w.segs = strings.Split(w.scan.Pattern, "/")
	w.prune = !strings.ContainsAny(w.scan.Pattern, "{")
	fi, err := w.fsys.Lstat(w.scan.Base)
	if err != nil || !fi.IsDir() {
		// Nothing there to deny.
		return w.res
	}
	if _, host := w.fsys.(HostFS); !host || !w.hostWalk() {
		w.walk(w.scan.Base, nil)
	}
	sort.Slice(w.res.Matches, func(i, j int) bool { return w.res.Matches[i].Path < w.res.Matches[j].Path })
	return w.res
}

// walk looks at the entries of dir, whose path below the base is rel.
func (w *walker) walk(dir string, rel []string) {
	ents, err := w.fsys.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			w.diags.Errorf(w.scan.Origin.Pos, diag.Load,
				"cannot scan %s for deny glob %q: %v", dir, w.scan.Pattern, err)
		}
		return
	}
	k := len(rel) + 1
	for _, de := range ents {
		if w.full {
			return
		}
		w.res.Visited++
		name := de.Name()
		sub := append(rel[:len(rel):len(rel)], name)
		p := joinPath(dir, name)
		link := de.Type()&fs.ModeSymlink != 0
		if ok, _ := doublestar.Match(w.scan.Pattern, strings.Join(sub, "/")); ok {
			w.add(GlobMatch{Path: p, Dir: de.IsDir(), Link: link})
			continue
		}
		if !de.IsDir() || link || (w.scan.MaxDepth > 0 && k >= w.scan.MaxDepth) {
			continue
		}
		if !w.prune || couldMatchBelow(w.segs, sub) {
			w.walk(p, sub)
		}
	}
}

func (w *walker) add(m GlobMatch) {
	if len(w.res.Matches) == w.cap {
		w.full = true
		w.diags.Errorf(w.scan.Origin.Pos, diag.Load,
			"deny glob %q matches more than %d paths under %s; deny a directory instead",
			w.scan.Pattern, w.cap, w.scan.Base)
		return
	}
	w.res.Matches = append(w.res.Matches, m)
}

// baseOnly returns SEG when the pattern is "**/SEG" with SEG one plain
// segment: "**/" matches any run of directories, none included, so a path
// matches exactly when its last name matches SEG.
func baseOnly(pattern string) (string, bool) {
	seg, ok := strings.CutPrefix(pattern, "**/")
	if !ok || seg == "" || seg == "**" || strings.ContainsAny(seg, "/{") {
		return "", false
	}
	return seg, true
}

// couldMatchBelow reports whether some path below the directory rel could
// match the pattern segments segs.
func couldMatchBelow(segs, rel []string) bool {
	for i, name := range rel {
		if i >= len(segs) {
			return false
		}
		if segs[i] == "**" {
			return true
		}
		if ok, _ := doublestar.Match(segs[i], name); !ok {
			return false
		}
	}
	return len(segs) > len(rel)
}

// globPoint is one path a deny glob, or the runtime, masks. Like deny
// globs, runtime masks always win: nothing below them is reopened.
type globPoint struct {
	path   string
	typ    nodeType
	scan   int // index into r.globs; -1 for a runtime mask
	origin ir.Origin
}

// expandGlobs binds each deny glob's base, expands it and records the
// paths to mask. A matched symlink masks its target.
func (r *resolver) expandGlobs() {
	var scans []GlobScan
	var idx []int
	for i := range r.globs {
		g := &r.globs[i]
		res, err := canonical(r.fs, g.scan.Base)
		if err != nil {
			r.diags.Errorf(g.scan.Origin.Pos, diag.Load, "cannot resolve %s: %v", g.scan.Base, err)
			continue
		}
		if r.refuseGlobBase(g, res) {
			continue
		}
		g.scan.Base = res.Real
		scans = append(scans, g.scan)
		idx = append(idx, i)
	}
	expand := r.opts.Expand
	if expand == nil {
		expand = ExpandGlobs
	}
	results, diags := expand(r.fs, scans, GlobOptions{MatchCap: r.opts.MatchCap})
	r.diags = append(r.diags, diags...)
	r.results = results
	for j, res := range results {
		for _, m := range res.Matches {
			r.addMatch(idx[j], m)
		}
	}
}

func (r *resolver) refuseGlobBase(g *globTemplate, res resolution) bool {
	for _, h := range res.Hops {
		if r.rewritable(h.Link) {
			r.diags.Errorf(g.scan.Origin.Pos, diag.Load,
				"deny glob base %s crosses the symlink %s -> %s, which the sandbox can rewrite",
				g.scan.Base, h.Link, h.Target)
			return true
		}
	}
	return false
}

func (r *resolver) addMatch(scan int, m GlobMatch) {
	g := r.globs[scan].scan
	res, err := canonical(r.fs, m.Path)
	if err == nil && res.Type != typeMissing {
		r.matches = append(r.matches, globPoint{path: res.Real, typ: res.Type, scan: scan, origin: g.Origin})
		return
	}
	// A dangling link has nothing to read through it. A match that is gone
	// since the scan means the tree changed in between: the file may now
	// be elsewhere, unmasked. Another sandbox moving folders can do that on
	// purpose, so nothing runs.
	if fi, lerr := r.fs.Lstat(m.Path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return
	}
	r.diags.Errorf(g.Origin.Pos, diag.Load,
		"%s %q: the match %s is gone since the scan: the tree changed while the sandbox was set up "+
			"(is another sandbox moving folders in it?); a moved match could escape its mask, so nothing runs",
		g.Base, g.Pattern, m.Path)
}

// addMasked records a path to mask where it really is. A missing path (a
// dangling link) has nothing to read through it.
func (r *resolver) addMasked(p string, scan int, o ir.Origin) {
	res, err := canonical(r.fs, p)
	if err != nil || res.Type == typeMissing {
		return
	}
	r.matches = append(r.matches, globPoint{path: res.Real, typ: res.Type, scan: scan, origin: o})
}

// runtimeMasks adds the runtime's own masks.
func (r *resolver) runtimeMasks() {
	for _, m := range r.opts.Masks {
		p, ok := cleanAbs(m.Path)
		if !ok {
			r.diags.Errorf(m.Origin.Pos, diag.Internal, "runtime mask %q is not absolute", m.Path)
			continue
		}
		r.addMasked(p, -1, m.Origin)
	}
}
