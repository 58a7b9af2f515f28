package run

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
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
// paths ($ORIGIN expanded) as the dynamic loader finds them: from the
// program headers (PT_INTERP, PT_DYNAMIC) and the string table the
// dynamic segment names, never from section headers, which the loader
// ignores and a file can describe as it likes. Four small reads;
// debug/elf parses every section header first, which costs a start
// half a millisecond per file.
func elfDeps(path string) (interp string, needed, runpath []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, nil, err
	}
	defer f.Close()
	e, err := readELF(f)
	if err != nil {
		return "", nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, v := range e.runpath {
		for _, d := range strings.Split(v, ":") {
			d = strings.ReplaceAll(d, "$ORIGIN", filepath.Dir(path))
			d = strings.ReplaceAll(d, "${ORIGIN}", filepath.Dir(path))
			if filepath.IsAbs(d) {
				runpath = append(runpath, d)
			}
		}
	}
	return e.interp, e.needed, runpath, nil
}

// elfLoadInfo is what readELF finds; runpath holds the raw DT_RUNPATH
// and DT_RPATH strings.
type elfLoadInfo struct {
	interp          string
	needed, runpath []string
}

// Bounds on what readELF reads: far above any real file's.
const (
	maxProgHeaders = 1 << 12
	maxSegmentRead = 1 << 20
)

var errBadELF = errors.New("not an ELF file the loader could start")

// readELF reads the loader's view of an ELF file (see elfDeps).
func readELF(r io.ReaderAt) (*elfLoadInfo, error) {
	var ident [64]byte
	if n, _ := r.ReadAt(ident[:], 0); n < len(ident) {
		return nil, errBadELF
	}
	if string(ident[:4]) != elf.ELFMAG {
		return nil, errBadELF
	}
	var bo binary.ByteOrder
	switch elf.Data(ident[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return nil, errBadELF
	}
	is64 := elf.Class(ident[elf.EI_CLASS]) == elf.ELFCLASS64
	if !is64 && elf.Class(ident[elf.EI_CLASS]) != elf.ELFCLASS32 {
		return nil, errBadELF
	}
	// The ELF header's program header table, then each entry's fields.
	var phoff uint64
	var phentsize, phnum int
	if is64 {
		phoff, phentsize, phnum = bo.Uint64(ident[0x20:]), int(bo.Uint16(ident[0x36:])), int(bo.Uint16(ident[0x38:]))
	} else {
		phoff, phentsize, phnum = uint64(bo.Uint32(ident[0x1c:])), int(bo.Uint16(ident[0x2a:])), int(bo.Uint16(ident[0x2c:]))
	}
	want := 32
	if is64 {
		want = 56
	}
	if phnum == 0 || phnum > maxProgHeaders || phentsize < want {
		return nil, errBadELF
	}
	table, err := readAt(r, phoff, uint64(phnum*phentsize))
	if err != nil {
		return nil, err
	}
	type prog struct{ typ, off, vaddr, filesz uint64 }
	progs := make([]prog, phnum)
	for i := range progs {
		h := table[i*phentsize:]
		if is64 {
			progs[i] = prog{uint64(bo.Uint32(h)), bo.Uint64(h[8:]), bo.Uint64(h[16:]), bo.Uint64(h[32:])}
		} else {
			progs[i] = prog{uint64(bo.Uint32(h)), uint64(bo.Uint32(h[4:])), uint64(bo.Uint32(h[8:])), uint64(bo.Uint32(h[16:]))}
		}
	}
	// fileOffset maps an address to where a PT_LOAD segment holds it.
	fileOffset := func(vaddr uint64) (uint64, bool) {
		for _, p := range progs {
			if elf.ProgType(p.typ) == elf.PT_LOAD && vaddr >= p.vaddr && vaddr-p.vaddr < p.filesz {
				return p.off + (vaddr - p.vaddr), true
			}
		}
		return 0, false
	}
	info := &elfLoadInfo{}
	var dyn []byte
	for _, p := range progs {
		switch elf.ProgType(p.typ) {
		case elf.PT_INTERP:
			b, err := readAt(r, p.off, p.filesz)
			if err != nil {
				return nil, err
			}
			info.interp, _, _ = strings.Cut(string(b), "\x00")
		case elf.PT_DYNAMIC:
			if dyn, err = readAt(r, p.off, p.filesz); err != nil {
				return nil, err
			}
		}
	}
	if dyn == nil {
		return info, nil // static: nothing more loads
	}
	var strtab, strsz uint64
	var needed, runpath []uint64
	entry := 16
	if !is64 {
		entry = 8
	}
	for i := 0; i+entry <= len(dyn); i += entry {
		var tag, val uint64
		if is64 {
			tag, val = bo.Uint64(dyn[i:]), bo.Uint64(dyn[i+8:])
		} else {
			tag, val = uint64(bo.Uint32(dyn[i:])), uint64(bo.Uint32(dyn[i+4:]))
		}
		switch elf.DynTag(tag) {
		case elf.DT_NULL:
			i = len(dyn)
		case elf.DT_STRTAB:
			strtab = val
		case elf.DT_STRSZ:
			strsz = val
		case elf.DT_NEEDED:
			needed = append(needed, val)
		case elf.DT_RUNPATH, elf.DT_RPATH:
			runpath = append(runpath, val)
		}
	}
	if len(needed) == 0 && len(runpath) == 0 {
		return info, nil
	}
	off, ok := fileOffset(strtab)
	if !ok || strsz == 0 {
		return nil, errBadELF
	}
	strs, err := readAt(r, off, strsz)
	if err != nil {
		return nil, err
	}
	str := func(at uint64) (string, error) {
		if at >= uint64(len(strs)) {
			return "", errBadELF
		}
		s, _, _ := strings.Cut(string(strs[at:]), "\x00")
		return s, nil
	}
	for _, list := range []struct {
		offs []uint64
		out  *[]string
	}{{needed, &info.needed}, {runpath, &info.runpath}} {
		for _, at := range list.offs {
			s, err := str(at)
			if err != nil {
				return nil, err
			}
			*list.out = append(*list.out, s)
		}
	}
	return info, nil
}

// readAt reads n bytes at off, up to maxSegmentRead.
func readAt(r io.ReaderAt, off, n uint64) ([]byte, error) {
	if n > maxSegmentRead || off > math.MaxInt64-n {
		return nil, errBadELF
	}
	b := make([]byte, n)
	if m, _ := r.ReadAt(b, int64(off)); m < len(b) {
		return nil, errBadELF
	}
	return b, nil
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
