//go:build linux

package run

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// mount is one line of /proc/self/mountinfo: which part of which file
// system (Root, on device Dev, of type Type) appears at Point.
type mount struct {
	Dev   string
	Root  string
	Point string
	Type  string
}

// mountTable reads this process's mounts; nil when it cannot.
func mountTable() []mount {
	out, _ := readMountTable()
	return out
}

// readMountTable reads this process's mounts, or says why it cannot.
func readMountTable() ([]mount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mount-point options ... - type source ...
		pre, post, _ := strings.Cut(sc.Text(), " - ")
		fs, t := strings.Fields(pre), strings.Fields(post)
		if len(fs) < 5 {
			continue
		}
		m := mount{Dev: fs[2], Root: unescapeMount(fs[3]), Point: unescapeMount(fs[4])}
		if len(t) > 0 {
			m.Type = t[0]
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// under reports whether p is base or below it.
func under(p, base string) bool {
	return p == base || base == "/" || strings.HasPrefix(p, base+"/")
}

// aliases lists the other paths at which the file at p (absolute, with
// no symlink) appears through bind mounts: the same part of the same
// file system mounted elsewhere. A path rule names one of them; a sandbox
// that may write one may write them all.
func aliases(ms []mount, p string) []string {
	p = filepath.Clean(p)
	// The mount p lies in: the last one listed whose point holds it
	// (later mounts cover earlier ones).
	var in *mount
	for i := range ms {
		if under(p, ms[i].Point) && (in == nil || len(ms[i].Point) >= len(in.Point)) {
			in = &ms[i]
		}
	}
	if in == nil {
		return nil
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, in.Point), "/")
	fsPath := filepath.Join(in.Root, rel)
	var out []string
	seen := map[string]bool{p: true}
	for _, m := range ms {
		if m.Dev != in.Dev || !under(fsPath, m.Root) {
			continue
		}
		a := filepath.Join(m.Point, strings.TrimPrefix(strings.TrimPrefix(fsPath, m.Root), "/"))
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}
