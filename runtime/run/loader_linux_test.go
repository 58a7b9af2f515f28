package run

import (
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
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
