//go:build linux

package escape

import (
	"debug/elf"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

// bwrap runs outside the sandbox at every start, and so do its loader and
// libraries: a profile that makes them writable is refused, or the
// sandbox could plant code that runs outside the next one.
func TestBwrapLibrariesProtected(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	f, err := elf.Open("/usr/bin/bwrap")
	if err != nil {
		t.Fatalf("bwrap: %v", err)
	}
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			p.ReadAt(b, 0)
			interp = string(b[:len(b)-1])
		}
	}
	f.Close()
	real, err := filepath.EvalSymlinks(interp)
	if err != nil {
		t.Fatalf("interpreter %q: %v", interp, err)
	}
	probe := filepath.Join(e.ws, "ran")
	for _, dir := range []string{filepath.Dir(interp), filepath.Dir(real)} {
		prof := fmt.Sprintf("default_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n"+
			"[permissions.p.filesystem]\n%q = \"write\"\n", dir)
		e.expect(e.run(prof, ": > "+probe), expectation{code: 125,
			has: []string{"would be writable inside the sandbox"}, hostNot: []string{probe}})
	}
}

// Settings that change which policy is in effect are shown without -v:
// the command is not getting the profile the config names.
func TestRunShowsWhichPolicyIsInEffect(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	prof := "sandbox_mode = \"read-only\"\ndefault_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n"
	e.expect(e.run(prof, "true"), expectation{code: 0, has: []string{"warning[legacy-mode]"}})
	prof = "[permissions.p]\nextends = \":workspace\"\n"
	e.expect(e.run(prof, "true"), expectation{code: 0, has: []string{"warning[no-profile-selected]"}})
}

// What Linux cannot enforce is refused before anything is set up, at the
// rule's line.
func TestRunRefusesUnenforceableAtItsLine(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	probe := filepath.Join(e.ws, "ran")
	prof := "default_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n" +
		"[permissions.p.network.unix_sockets]\n\"/run/some.sock\" = \"allow\"\n"
	e.expect(e.run(prof, ": > "+probe), expectation{code: 125,
		has: []string{"profile.toml:5:", "error[unenforceable] (linux)", "nothing ran"}, hostNot: []string{probe}})
}

// A folder built without the Linux artifacts is not run from its
// policy.json alone: what runs must be what was reviewed.
func TestRunArtifactWithoutLinuxFilesRefused(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	art := filepath.Join(e.state, "art-macos")
	if out, err := exec.Command(permcBin, "build", "--target", "macos", "-o", art).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	probe := filepath.Join(e.ws, "ran")
	e.extra = []string{"--artifact", filepath.Join(art, "@workspace")}
	r := e.runArgv("", "/bin/sh", "-c", ": > "+probe)
	e.expect(r, expectation{code: 125, has: []string{"has no Linux artifacts"}, hostNot: []string{probe}})
}
