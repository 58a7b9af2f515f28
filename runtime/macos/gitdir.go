package macos

import (
	"path"
	"strings"
)

// LinkedGitDir reports the gitdir of root when root is a linked git
// worktree: its .git is a file whose "gitdir:" line names
// .../.git/worktrees/NAME, and that directory's gitdir file points back
// at root/.git. readFile reads a file; the darwin launcher passes
// os.ReadFile, tests a map.
func LinkedGitDir(root string, readFile func(string) ([]byte, error)) (string, bool) {
	b, err := readFile(joinPath(root, ".git"))
	if err != nil {
		return "", false
	}
	line, ok := strings.CutPrefix(strings.TrimSpace(firstLine(b)), "gitdir:")
	if !ok {
		return "", false
	}
	dir := strings.TrimSpace(line)
	if !path.IsAbs(dir) {
		dir = path.Join(root, dir)
	}
	dir = path.Clean(dir)
	if path.Base(path.Dir(dir)) != "worktrees" || path.Base(path.Dir(path.Dir(dir))) != ".git" {
		return "", false
	}
	back, err := readFile(path.Join(dir, "gitdir"))
	if err != nil || path.Clean(strings.TrimSpace(firstLine(back))) != joinPath(root, ".git") {
		return "", false
	}
	return dir, true
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}
