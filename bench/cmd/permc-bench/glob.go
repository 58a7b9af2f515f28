//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/permc/permc/backend/bwrap"
)

// The generated tree: leaf directories at depth 7 under the workspace, 25
// files in each, so the files sit at depth 8. fanout[i] is how many
// directories each directory of depth i holds.
var (
	treeFanout  = []int{2, 2, 4, 5, 5, 5, 4} // 8,000 leaves
	filesInLeaf = 25                         // 200,000 files
	envLeaves   = 16                         // leaves whose first file is config.env (depth 8)
	envShallow  = 8                          // extra x.env files at depths 1 to 7
)

const globConfigTmpl = `default_permissions = "globbed"

[permissions.globbed]
extends = ":workspace"

[permissions.globbed.filesystem]
glob_scan_max_depth = 8

[permissions.globbed.filesystem.":workspace_roots"]
"**/*.env" = "deny"
`

// glob times deny-glob expansion at the start of permc run: a first run
// with permc's glob cache removed before each sample, a repeat on the
// unchanged tree, and find with the same pattern and depth.
func (b *bench) glob() {
	r := b.rep
	r.h2("3. Deny-glob expansion: `**/*.env` over 200,000 files")
	ws, files, made, err := b.tree()
	if err != nil {
		b.fail("glob", err)
		return
	}
	cfg := filepath.Join(b.dir, "glob.toml")
	b.writeFile(cfg, globConfigTmpl, true)
	wsCfg := filepath.Join(b.dir, "ws.toml")
	b.writeFile(wsCfg, wsConfig, false)
	cache := filepath.Join(b.stateDir(), "globcache")

	// Sanity: find and permc must agree on what matches.
	out, err := output(ws, b.env, "find", ws, "-maxdepth", "8", "-name", "*.env")
	if err != nil {
		b.fail("glob", err)
		return
	}
	found := len(strings.Fields(out))
	globMounts, err := b.mountCount(ws, cfg)
	if err != nil {
		b.fail("glob", err)
		return
	}
	baseMounts, err := b.mountCount(ws, wsCfg)
	if err != nil {
		b.fail("glob", err)
		return
	}

	find := &proc{name: "`find -maxdepth 8 -name '*.env'`", argv: []string{"find", ws, "-maxdepth", "8", "-name", "*.env"}, dir: ws, env: b.env}
	first := &proc{name: "**`permc run`, first run** (glob cache removed)", argv: []string{b.permc, "run", "-c", cfg, "--", "true"},
		dir: ws, env: b.env, before: func() error { return os.RemoveAll(cache) },
		show: "rm -rf " + cache + " && cd " + ws + " && " + shellJoin([]string{b.permc, "run", "-c", cfg, "--", "true"})}
	repeat := &proc{name: "**`permc run`, repeat** (cache valid)", argv: first.argv, dir: ws, env: b.env}
	base := &proc{name: "`permc run`, `:workspace` without the glob (start alone)", argv: []string{b.permc, "run", "-c", wsCfg, "--", "true"}, dir: ws, env: b.env}
	reps := b.reps(15)
	samples, errs := measure([]*proc{first, repeat, find, base}, 1, reps)

	// The walk alone, in this process: what the first run pays for the
	// glob, without starting anything.
	var walk []float64
	scan := bwrap.GlobScan{Base: ws, Pattern: "**/*.env", MaxDepth: 8}
	var matched, visited int
	for range reps {
		t0 := time.Now()
		res, diags := bwrap.ExpandGlobs(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{})
		walk = append(walk, time.Since(t0).Seconds())
		if diags.HasErrors() {
			b.fail("glob", fmt.Errorf("ExpandGlobs: %v", diags))
			return
		}
		matched, visited = len(res[0].Matches), res[0].Visited
	}

	// One lstat of every directory the walk read, spread over goroutines
	// as permc's check is: the least any check of a cache entry costs,
	// and so the best a repeat's glob share can do.
	var dirs []string
	var mu sync.Mutex
	bwrap.ExpandGlobs(bwrap.HostFS{}, []bwrap.GlobScan{scan}, bwrap.GlobOptions{Visit: func(v bwrap.DirVisit) {
		mu.Lock()
		dirs = append(dirs, v.Path)
		mu.Unlock()
	}})
	var stats []float64
	for range reps {
		t0 := time.Now()
		statAll(dirs)
		stats = append(stats, time.Since(t0).Seconds())
	}

	gen := "reused from an earlier run with the same layout"
	if made > 0 {
		gen = "generated in " + made.Round(time.Millisecond).String()
	}
	r.para(fmt.Sprintf("The tree: %s files (%s) in %s directories below a workspace under /tmp; %s leaf "+
		"directories at depth 7 hold %d files each at depth 8, %d of them named `config.env`; %d more "+
		"`x.env` sit at depths 1–7, and one `too-deep.env` at depth 9, past the limit. "+
		"The profile extends `:workspace` with `\"**/*.env\" = \"deny\"` below `:workspace_roots` and "+
		"`glob_scan_max_depth = 8`. find counts %d matches; permc masks %d paths (%d mounts against %d "+
		"without the glob), and its walk reports %d matches after looking at %s entries. "+
		"%d interleaved rounds after 1 warm-up round; the kernel's dentry and inode caches are warm for "+
		"every variant alike (nothing drops them), so “first run” means permc's own cache is cold.",
		thousands(files), gen, thousands(dirCount()), thousands(len(leafDirs())), filesInLeaf, envLeaves, envShallow,
		found, globMounts-baseMounts, globMounts, baseMounts, matched, thousands(visited), reps))
	if found != matched || globMounts-baseMounts != found {
		r.para(fmt.Sprintf("**permc and find disagree on the matches** (find %d, walk %d, masks %d).", found, matched, globMounts-baseMounts))
		b.failed = append(b.failed, "glob: matches differ from find")
	}
	var rows [][]string
	sums := map[string]Summary{}
	for _, p := range []*proc{find, first, repeat, base} {
		if err := errs[p.name]; err != nil {
			rows = append(rows, []string{p.name, "failed", "", "", "", "", oneLine(err.Error())})
			b.failed = append(b.failed, "glob: "+p.name)
			continue
		}
		sums[p.name] = summarize(samples[p.name])
	}
	ws2 := summarize(walk)
	fs, fr, rp, bs := sums[find.name], sums[first.name], sums[repeat.name], sums[base.name]
	for _, p := range []*proc{find, first, repeat, base} {
		if s, ok := sums[p.name]; ok {
			rows = append(rows, row(p.name, s, unitTime, ratio(s.Median, fs.Median), ratio(s.Median, fr.Median)))
		}
	}
	rows = append(rows, row("permc's walk alone (`bwrap.ExpandGlobs` in-process)", ws2, unitTime,
		ratio(ws2.Median, fs.Median), ratio(ws2.Median, fr.Median)))
	st := summarize(stats)
	rows = append(rows, row(fmt.Sprintf("one `lstat` of each of the %s directories the walk read (in-process)",
		thousands(len(dirs))), st, unitTime, ratio(st.Median, fs.Median), ratio(st.Median, fr.Median)))
	r.table([]string{"variant", "median", "IQR", "best", "n", "× find", "× permc first run"}, rows)
	if fr.N == 0 || rp.N == 0 || fs.N == 0 || bs.N == 0 {
		return
	}
	globFirst, globRepeat := fr.Median-bs.Median, rp.Median-bs.Median
	r.para(fmt.Sprintf("Taking away the start of the same workspace without the glob (%s): the glob costs the "+
		"first run %s and the repeat %s (%s faster); the %d masks are in both.",
		fmtTime(bs.Median), fmtTime(globFirst), fmtTime(globRepeat), ratio(globFirst, globRepeat), found))
	r.para(fmt.Sprintf("A repeat must look at every directory the scan read at least once after the mounts are "+
		"made, since a file created in any of them could match: one `lstat` of each takes %s here, against %s "+
		"for the walk. Without a daemon watching the tree, no cache can make the expansion itself more than %s "+
		"faster on this machine, and the masks' mounts cost both runs alike.",
		fmtTime(st.Median), fmtTime(ws2.Median), ratio(ws2.Median, st.Median)))
	r.headline("Deny glob over 200,000 files: first `permc run` %s (IQR %s) against `find` %s (IQR %s), %s; "+
		"a repeat %s, %s faster than the first run as whole processes, %s on the glob's own share.",
		fmtTime(fr.Median), fr.spread(unitTime), fmtTime(fs.Median), fs.spread(unitTime), ratio(fr.Median, fs.Median),
		fmtTime(rp.Median), ratio(fr.Median, rp.Median), ratio(globFirst, globRepeat))
	if fr.Median > fs.Median {
		r.behindPeer("Deny glob, first run: `permc run` takes %s against %s for `find` over the same tree (%s); "+
			"its walk alone takes %s (%s find).", fmtTime(fr.Median), fmtTime(fs.Median), ratio(fr.Median, fs.Median),
			fmtTime(ws2.Median), ratio(ws2.Median, fs.Median))
	}
	r.target("6", "deny glob, first run no slower than find (whole `permc run`, start included)",
		fmt.Sprintf("%s vs %s (%s)", fmtTime(fr.Median), fmtTime(fs.Median), ratio(fr.Median, fs.Median)), fr.Median <= fs.Median)
	r.target("6", "deny glob, first run no slower than find (the walk alone, in-process)",
		fmt.Sprintf("%s vs %s (%s)", fmtTime(ws2.Median), fmtTime(fs.Median), ratio(ws2.Median, fs.Median)), ws2.Median <= fs.Median)
	r.target("6", "deny glob, repeat at least 10× faster than the first run (whole `permc run`)",
		ratio(fr.Median, rp.Median), fr.Median >= 10*rp.Median)
	r.target("6", "deny glob, repeat at least 10× faster than the first run (glob share: minus the start without the glob)",
		ratio(globFirst, globRepeat), globFirst >= 10*globRepeat)
	r.cmds("3. Deny-glob expansion", find.command(), first.command(), repeat.command(), base.command())
}

// tree makes (or reuses) the generated tree and returns the workspace, its
// file count and how long making it took (0 when reused).
func (b *bench) tree() (string, int, time.Duration, error) {
	ws, err := b.workspace("tree")
	if err != nil {
		return "", 0, 0, err
	}
	files := len(leafDirs())*filesInLeaf + envShallow + 1
	stamp := filepath.Join(b.dir, "tree.done")
	layout := fmt.Sprint(treeFanout, filesInLeaf, envLeaves, envShallow, ws)
	if data, err := os.ReadFile(stamp); err == nil && string(data) == layout {
		return ws, files, 0, nil
	}
	t0 := time.Now()
	for _, d := range []string{"t", "u"} {
		if err := os.RemoveAll(filepath.Join(ws, d)); err != nil {
			return "", 0, 0, err
		}
	}
	leaves := leafDirs()
	every := len(leaves) / envLeaves
	for i, leaf := range leaves {
		dir := filepath.Join(ws, leaf)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", 0, 0, err
		}
		for j := range filesInLeaf {
			name := fmt.Sprintf("f%02d.txt", j)
			if j == 0 && i%every == every/2 && i/every < envLeaves {
				name = "config.env"
			}
			if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
				return "", 0, 0, err
			}
		}
	}
	// Shallower matches, one per depth from 1 to 7 and one more at 4,
	// each in an ancestor of a different leaf.
	for i := range envShallow {
		depth := i + 1
		if depth > len(treeFanout) {
			depth = 4
		}
		parts := strings.Split(leaves[(i*997)%len(leaves)], "/")
		dir := filepath.Join(append([]string{ws}, parts[:depth-1]...)...)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("x%d.env", i)), nil, 0o644); err != nil {
			return "", 0, 0, err
		}
	}
	deep := filepath.Join(ws, leaves[1], "deep")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		return "", 0, 0, err
	}
	if err := os.WriteFile(filepath.Join(deep, "too-deep.env"), nil, 0o644); err != nil {
		return "", 0, 0, err
	}
	return ws, files, time.Since(t0), os.WriteFile(stamp, []byte(layout), 0o644)
}

// leafDirs lists the leaf directories, relative to the workspace, under
// t/ so the tree can be removed as one.
func leafDirs() []string {
	paths := []string{"t"}
	for _, n := range treeFanout[1:] {
		var next []string
		for _, p := range paths {
			for i := range n {
				next = append(next, filepath.Join(p, fmt.Sprintf("d%d", i)))
			}
		}
		paths = next
	}
	// treeFanout[0] is the workspace's own fan-out: t and u.
	var out []string
	for i := range treeFanout[0] {
		top := []string{"t", "u"}[i%2]
		for _, p := range paths {
			out = append(out, top+strings.TrimPrefix(p, "t"))
		}
	}
	return out
}

func dirCount() int {
	n, level := 0, 1
	for _, f := range treeFanout {
		level *= f
		n += level
	}
	return n + 1 // and the one deep/ directory
}

// statAll lstats every path, on twice as many goroutines as there are
// processors.
func statAll(paths []string) {
	n := runtime.GOMAXPROCS(0) * 2
	chunk := (len(paths) + n - 1) / n
	var wg sync.WaitGroup
	for lo := 0; lo < len(paths); lo += chunk {
		wg.Add(1)
		go func(ps []string) {
			defer wg.Done()
			var st syscall.Stat_t
			for _, p := range ps {
				syscall.Lstat(p, &st)
			}
		}(paths[lo:min(lo+chunk, len(paths))])
	}
	wg.Wait()
}
