//go:build linux

package run

import (
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/ir"
)

// rootSecrets returns masks for root-only files and directories the
// policy leaves readable, when permc runs as root. bwrap's user namespace
// only renames uid 0; the kernel still sees the owner of /etc/shadow, so
// the mode bits that keep other users out do nothing here. The mount plan
// orders the masks with its own and counts them against its cap.
func rootSecrets(p *ir.Policy, b ir.Binding) []bwrap.Mask {
	if os.Geteuid() != 0 {
		return nil
	}
	var masks []bwrap.Mask
	for _, path := range secretCandidates(b) {
		if !ir.Decide(p, ir.Linux, b, path).Read {
			continue // not visible inside anyway
		}
		masks = append(masks, bwrap.Mask{Path: path, Origin: ir.Origin{Profile: "root-only secret"}})
	}
	return masks
}

// secretCandidates lists root-owned entries others cannot read, down to
// ir.RootSecretDepth levels in the directories of ir.RootSecretDirs,
// skipping any that holds a workspace root, parents before children. A
// masked directory is not entered.
func secretCandidates(b ir.Binding) []string {
	var out []string
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			if rootOnly(p) && !holdsRoot(p, b.WorkspaceRoots) {
				out = append(out, p)
				continue
			}
			if e.IsDir() && depth < ir.RootSecretDepth {
				walk(p, depth+1)
			}
		}
	}
	for _, dir := range ir.RootSecretDirs {
		if rootOnly(dir) && !holdsRoot(dir, b.WorkspaceRoots) {
			out = append(out, dir)
			continue
		}
		walk(dir, 1)
	}
	sort.Strings(out)
	return dropNested(out)
}

// rootOnly reports whether p is a root-owned file or directory that other
// users cannot read.
func rootOnly(p string) bool {
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode().Perm()&0o004 != 0 || !(fi.IsDir() || fi.Mode().IsRegular()) {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == 0
}

func holdsRoot(p string, roots []string) bool {
	for _, r := range roots {
		if isAncestorOrSelf(p, r) {
			return true
		}
	}
	return false
}

// dropNested removes entries inside an earlier masked directory.
func dropNested(ps []string) []string {
	var out []string
	for _, p := range ps {
		if len(out) > 0 && isAncestorOrSelf(out[len(out)-1], p) {
			continue
		}
		out = append(out, p)
	}
	return out
}
