package run

import (
	"bufio"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// loaderFiles lists what the dynamic loader reads to start bin: its
// interpreter, every shared library it needs (transitively, the link and
// the file it names), and the loader's own configuration that decides
// which libraries load. permc runs bwrap outside the sandbox at every
// start, so a sandbox able to replace any of these would run code outside
// the next one. A library that cannot be found is left out: bwrap would
// not start without it.
func loaderFiles(bin string) []string {
	out := []string{"/etc/ld.so.preload", "/etc/ld.so.cache"}
	dirs := librarySearchPath()
	seen := map[string]bool{}
	queue := []string{bin}
	for len(queue) > 0 {
		file := queue[0]
		queue = queue[1:]
		interp, needed, runpath, err := elfDeps(file)
		if err != nil {
			continue
		}
		if interp != "" && !seen[interp] {
			seen[interp] = true
			out = append(out, interp)
			if real, err := filepath.EvalSymlinks(interp); err == nil && real != interp {
				out = append(out, real)
			}
		}
		search := append(append([]string(nil), runpath...), dirs...)
		for _, lib := range needed {
			if seen[lib] {
				continue
			}
			seen[lib] = true
			path := findLibrary(lib, search)
			if path == "" {
				continue
			}
			out = append(out, path)
			if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
				out = append(out, real)
			}
			queue = append(queue, path)
		}
	}
	return out
}

// elfDeps reads an ELF file's interpreter, DT_NEEDED entries and run
// paths ($ORIGIN expanded).
func elfDeps(path string) (interp string, needed, runpath []string, err error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", nil, nil, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err == nil {
				interp = strings.TrimRight(string(b), "\x00")
			}
		}
	}
	needed, _ = f.ImportedLibraries()
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, _ := f.DynString(tag)
		for _, v := range vals {
			for _, d := range strings.Split(v, ":") {
				d = strings.ReplaceAll(d, "$ORIGIN", filepath.Dir(path))
				d = strings.ReplaceAll(d, "${ORIGIN}", filepath.Dir(path))
				if filepath.IsAbs(d) {
					runpath = append(runpath, d)
				}
			}
		}
	}
	return interp, needed, runpath, nil
}

func findLibrary(name string, dirs []string) string {
	if strings.Contains(name, "/") {
		return name
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// librarySearchPath is the directories of /etc/ld.so.conf (and what it
// includes), then the loader's defaults, multiarch ones included.
func librarySearchPath() []string {
	var dirs []string
	readLdConf("/etc/ld.so.conf", &dirs, 0)
	dirs = append(dirs, "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
		"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib")
	return dirs
}

func readLdConf(path string, dirs *[]string, depth int) {
	if depth > 8 {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if rest, ok := strings.CutPrefix(line, "include"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			pattern := strings.TrimSpace(rest)
			if !filepath.IsAbs(pattern) {
				pattern = filepath.Join(filepath.Dir(path), pattern)
			}
			matches, _ := filepath.Glob(pattern)
			for _, m := range matches {
				readLdConf(m, dirs, depth+1)
			}
			continue
		}
		if filepath.IsAbs(line) {
			*dirs = append(*dirs, line)
		}
	}
}
