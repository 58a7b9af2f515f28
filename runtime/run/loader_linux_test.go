package run

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/permc/permc/runtime/linux"
)

// Every library bwrap loads, and its interpreter, are in loaderFiles, as
// the link and as the file: replacing either would run code outside the
// next sandbox.
func TestLoaderFilesCoverBwrap(t *testing.T) {
	files := loaderFiles(linux.Bwrap)
	f, err := elf.Open(linux.Bwrap)
	if err != nil {
		t.Fatalf("%s: %v (make test installs bubblewrap)", linux.Bwrap, err)
	}
	defer f.Close()
	needed, err := f.ImportedLibraries()
	if err != nil || len(needed) == 0 {
		t.Fatalf("%s: no DT_NEEDED entries (%v): is it static? then this test must change", linux.Bwrap, err)
	}
	for _, want := range []string{"/etc/ld.so.preload", "/etc/ld.so.cache"} {
		if !slices.Contains(files, want) {
			t.Errorf("loaderFiles lacks %s", want)
		}
	}
	for _, lib := range append(needed, "libc.so.6") {
		found := false
		for _, f := range files {
			if filepath.Base(f) == lib {
				found = true
				if real, err := filepath.EvalSymlinks(f); err == nil && !slices.Contains(files, real) {
					t.Errorf("%s is listed but not the file it leads to, %s", f, real)
				}
			}
		}
		if !found {
			t.Errorf("loaderFiles(%s) lacks %s: %v", linux.Bwrap, lib, files)
		}
	}
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			p.ReadAt(b, 0)
			interp = string(b[:len(b)-1])
		}
	}
	if _, err := os.Stat(interp); err != nil || !slices.Contains(files, interp) {
		t.Errorf("interpreter %q missing from %v", interp, files)
	}
}

// elfDeps reads the loader's view from program headers alone; debug/elf
// reads it through section headers. On real files, both agree.
func TestELFDepsAgreeWithDebugELF(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	files := append([]string{self, linux.Bwrap}, loaderFiles(linux.Bwrap)...)
	for _, dir := range []string{"/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"} {
		names, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(names) > 60 {
			names = names[:60]
		}
		files = append(files, names...)
	}
	checked, dynamic := 0, 0
	for _, path := range files {
		f, err := elf.Open(path)
		if err != nil {
			continue // not ELF, or not a regular file
		}
		if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
			f.Close()
			continue // an object file: nothing the loader starts
		}
		wantInterp := ""
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				b := make([]byte, p.Filesz)
				p.ReadAt(b, 0)
				wantInterp = strings.TrimRight(string(b), "\x00")
			}
		}
		wantNeeded, _ := f.ImportedLibraries()
		var wantRunpath []string
		for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
			v, _ := f.DynString(tag)
			wantRunpath = append(wantRunpath, v...)
		}
		f.Close()
		interp, needed, _, err := elfDeps(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if interp != wantInterp || !slices.Equal(needed, wantNeeded) {
			t.Errorf("%s: interpreter %q, needs %q; debug/elf: %q, %q", path, interp, needed, wantInterp, wantNeeded)
		}
		fd, _ := os.Open(path)
		info, err := readELF(fd)
		fd.Close()
		if err != nil || len(info.runpath) != len(wantRunpath) {
			t.Errorf("%s: run paths %v (%v); debug/elf: %q", path, info, err, wantRunpath)
		}
		checked++
		if len(needed) > 0 {
			dynamic++
		}
	}
	if checked < 10 || dynamic < 5 {
		t.Fatalf("compared only %d ELF files, %d of them dynamic", checked, dynamic)
	}
}

// Truncated and corrupted headers are errors, never a panic or a huge
// read.
func FuzzReadELF(f *testing.F) {
	if b, err := os.ReadFile(linux.Bwrap); err == nil {
		f.Add(b[:min(len(b), 64<<10)])
	}
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		readELF(bytes.NewReader(b))
	})
}
