//go:build linux

package escape

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// A write rule whose path leads through a symlink makes the link's target
// writable (bubblewrap mounts the real path): the check that keeps permc's
// inputs and bwrap out of reach follows it. The config sits in e.state;
// a link to that folder, granted write, must be refused, and so must a
// link to bwrap's folder.
func TestWriteRuleThroughALinkRefused(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	link := filepath.Join(e.outside, "state-link")
	if err := os.Symlink(e.state, link); err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(e.state, "changed")
	prof := fmt.Sprintf("default_permissions = \"p\"\n[permissions.p]\nextends = \":read-only\"\n"+
		"[permissions.p.filesystem]\n%q = \"write\"\n", link)
	e.expect(e.run(prof, ": > "+probe), expectation{code: 125,
		has: []string{"would be writable inside the sandbox", "leads there"}, hostNot: []string{probe}})
	bin := filepath.Join(e.outside, "bin-link")
	if err := os.Symlink("/usr/bin", bin); err != nil {
		t.Fatal(err)
	}
	prof = fmt.Sprintf("default_permissions = \"p\"\n[permissions.p]\nextends = \":read-only\"\n"+
		"[permissions.p.filesystem]\n%q = \"write\"\n", bin)
	e.expect(e.run(prof, "true"), expectation{code: 125,
		has: []string{"/usr/bin/bwrap would be writable inside the sandbox", "leads there"}})
}

// An input in a folder every user can write to, or with a second name,
// is refused: anyone could put another file there, or change it through
// a link in a writable root.
func TestInputsOthersCouldReplaceRefused(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	prof := "default_permissions = \"p\"\n[permissions.p]\nextends = \":read-only\"\n"
	e.expect(e.run(prof, "true"), expectation{code: 0})
	open := filepath.Join(e.outside, "open")
	layer := e.file(filepath.Join(open, "layer.toml"), "")
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	e.extra = []string{"-c", layer}
	e.expect(e.run(prof, "true"), expectation{code: 125, has: []string{"layer.toml lies in " + open + ", which every user can write to"}})
	e.extra = nil
	if err := os.Link(filepath.Join(e.state, "profile.toml"), filepath.Join(e.outside, "second-name")); err != nil {
		t.Fatal(err)
	}
	e.expect(e.run(prof, "true"), expectation{code: 125, has: []string{"profile.toml has 2 hard links"}})
}

// A link whose target climbs with ".." after a part that does not exist
// is dangling to the kernel; the mount plan must not clean it as text into
// a real folder and bind that read-write. Here the folder is the one
// holding the config and permc's state.
func TestDanglingDotDotLinkNotBound(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	link := filepath.Join(e.outside, "dotdot")
	if err := os.Symlink("/nonexistent/.."+e.state, link); err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(e.state, "changed")
	prof := fmt.Sprintf("default_permissions = \"p\"\n[permissions.p]\nextends = \":read-only\"\n"+
		"[permissions.p.filesystem]\n%q = \"write\"\n", link)
	e.expect(e.run(prof, ": > "+probe+"; : > "+link+"/changed2"), expectation{code: -1,
		hostNot: []string{probe, filepath.Join(e.state, "changed2")}})
}

// The workspace swapped for a link while a run lasts (a sandbox that may
// write its parent can do it): when the run ends, permc removes its
// placeholders only where it made them, never the empty folders of the
// same name where the link leads.
func TestPlaceholdersNotRemovedThroughALink(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	ws := filepath.Join(filepath.Dir(e.ws), "bare")
	e.mkdir(ws) // no .git, .codex or .agents: permc makes placeholders
	victim := filepath.Join(e.outside, "victim")
	for _, d := range []string{".agents", ".codex"} {
		e.mkdir(filepath.Join(victim, d))
	}
	e.extra = []string{"-C", ws}
	done := make(chan result, 1)
	go func() { done <- e.runArgv(workspaceProfile(e), "sleep", "1") }()
	time.Sleep(500 * time.Millisecond)
	if err := os.Rename(ws, ws+".real"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, ws); err != nil {
		t.Fatal(err)
	}
	r := <-done
	e.extra = nil
	for _, d := range []string{".agents", ".codex"} {
		if _, err := os.Stat(filepath.Join(victim, d)); err != nil {
			t.Errorf("%s removed where the link leads (exit %d):\n%s", d, r.code, r.out)
		}
	}
}

// Two runs started in different workspaces that share a workspace root
// without .git: each has a read-only .git placeholder mounted there. The
// first run ending must not remove it while the second still relies on
// it, or .git/hooks becomes writable in the second.
func TestSharedRootPlaceholderOutlivesTheFirstRun(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	base := filepath.Dir(e.ws)
	shared, wsA, wsB := filepath.Join(base, "shared"), filepath.Join(base, "wsA"), filepath.Join(base, "wsB")
	for _, d := range []string{shared, wsA, wsB} {
		e.mkdir(d)
	}
	prof := workspaceProfile(e)
	a, b := *e, *e
	a.extra = []string{"-C", wsA, "--workspace-root", shared}
	b.extra = []string{"-C", wsB, "--workspace-root", shared}
	first := make(chan result, 1)
	go func() { first <- a.runArgv(prof, "sleep", "1") }()
	time.Sleep(400 * time.Millisecond)
	hooks := filepath.Join(shared, ".git", "hooks")
	r := b.run(prof, "sleep 1.5; mkdir -p "+hooks+" 2>&1; echo done")
	<-first
	b.expect(r, expectation{code: 0, has: []string{"done"}, hostNot: []string{hooks}})
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
	// So are the network the profile really gets, and what run turns
	// away; another profile's warnings are not.
	prof = "default_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n" +
		"[permissions.p.network]\nenabled = true\n" +
		"[permissions.q]\nextends = \":workspace\"\n" +
		"[permissions.q.network]\nenabled = true\nenable_socks5_udp = true\n" +
		"[permissions.q.network.domains]\n\"x.test\" = \"allow\"\n"
	e.expect(e.run(prof, "true"), expectation{code: 0, has: []string{"profile.toml:5:1: warning[full-network]"},
		hasNot: []string{"unenforceable"}})
	prof = strings.Replace(prof, "default_permissions = \"p\"", "default_permissions = \"q\"", 1)
	e.expect(e.run(prof, "true"), expectation{code: 0, has: []string{"warning[unenforceable] (linux)", "enable_socks5_udp"},
		hasNot: []string{"full-network"}})
	// SOCKS5 UDP left at its default is not worth a warning on every run.
	prof = strings.Replace(prof, "enable_socks5_udp = true\n", "", 1)
	e.expect(e.run(prof, "true"), expectation{code: 0, hasNot: []string{"unenforceable", "SOCKS5"}})
	// -v shows every note on what Linux turns away, that one included.
	e.extra = []string{"-v"}
	e.expect(e.run(prof, "true"),
		expectation{code: 0, has: []string{"warning[unenforceable] (linux)", "SOCKS5"}})
}

// What Linux cannot enforce is refused before anything is set up, at the
// rule's line.
func TestRunRefusesUnenforceableAtItsLine(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	probe := filepath.Join(e.ws, "ran")
	prof := "default_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n" +
		"[permissions.p.filesystem.\":workspace_roots\"]\n\"**/*.c\" = \"write\"\n"
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

// Another process renaming a folder back and forth while a run scans the
// deny globs cannot hide a matching file from the scan: a walk that saw
// the tree change is repeated, and a tree that keeps changing is refused.
// (Before, most runs under this race printed the secret.)
func TestGlobScanRaceWithRenames(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	for i := 0; i < 400; i++ {
		for j := 0; j < 5; j++ {
			e.file(filepath.Join(e.ws, "fill", fmt.Sprintf("d%03d", i), fmt.Sprintf("f%d", j)), "x")
		}
	}
	e.file(filepath.Join(e.ws, "x", "sub", "s.env"), marker)
	e.mkdir(filepath.Join(e.ws, "zz"))
	flip := exec.Command("python3", "-c", `import os,sys
a,b=sys.argv[1],sys.argv[2]
while True:
    try:
        os.rename(a,b); os.rename(b,a)
    except OSError:
        pass`, filepath.Join(e.ws, "x", "sub"), filepath.Join(e.ws, "zz", "sub"))
	if err := flip.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { flip.Process.Kill(); flip.Wait() }()
	prof := workspaceProfile(e)
	for i := 0; i < 12; i++ {
		// Exit 0 (masked) and 125 (the tree kept changing) are both
		// fine; the secret in the output is not.
		r := e.run(prof, "cat x/sub/s.env zz/sub/s.env 2>/dev/null; true")
		if strings.Contains(r.out, marker) || (r.code != 0 && r.code != 125) {
			t.Errorf("run %d: exit %d\n%s", i, r.code, r.out)
		}
	}
}

// permc started through a symlink in a writable root: the sandbox could
// replace the link, and the next run would start whatever it names,
// outside any sandbox. os.Executable resolves links, so the path as
// invoked is checked too.
func TestStartedThroughAWritableLinkRefused(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	link := filepath.Join(e.ws, "bin", "permc")
	e.mkdir(filepath.Dir(link))
	if err := os.Symlink(permcBin, link); err != nil {
		t.Fatal(err)
	}
	cfg := e.file(filepath.Join(e.state, "p.toml"), plainWorkspace(e))
	probe := filepath.Join(e.ws, "ran")
	cmd := exec.Command(link, "run", "--system-layers=false", "-c", cfg, "-C", e.ws, "--", "/bin/sh", "-c", ": > "+probe)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "PERMC_STATE_DIR=" + e.state, "HOME=" + filepath.Dir(e.ws)}
	out, _ := cmd.CombinedOutput()
	e.expect(result{code: cmd.ProcessState.ExitCode(), out: string(out)},
		expectation{code: 125, has: []string{link + " would be writable inside the sandbox"}, hostNot: []string{probe}})
}

// SIGTERM, SIGINT and SIGHUP sent to permc reach the command: bwrap's
// init in the new pid namespace drops signals from outside, so permc
// signals the command itself (as timeout(1) or a service manager would
// expect).
func TestSignalsReachTheCommand(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			e := newEnv(t, identities(t)[0])
			layout(e)
			cfg := e.file(filepath.Join(e.state, "p.toml"), plainWorkspace(e))
			script := fmt.Sprintf("trap 'echo got-%d; exit 3' %d; echo ready; sleep 30 & wait", int(sig), int(sig))
			cmd := exec.Command(permcBin, "run", "--system-layers=false", "-c", cfg, "-C", e.ws, "--", "/bin/sh", "-c", script)
			cmd.Env = []string{"PATH=/usr/bin:/bin", "PERMC_STATE_DIR=" + e.state, "HOME=" + filepath.Dir(e.ws)}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64)
			n, _ := out.Read(buf) // "ready": the trap is set
			if !strings.Contains(string(buf[:n]), "ready") {
				t.Fatalf("command did not start: %q", buf[:n])
			}
			cmd.Process.Signal(sig)
			rest := make(chan string, 1)
			go func() {
				b, _ := io.ReadAll(out)
				rest <- string(b)
			}()
			select {
			case got := <-rest:
				cmd.Wait()
				if code := cmd.ProcessState.ExitCode(); code != 3 || !strings.Contains(got, fmt.Sprintf("got-%d", int(sig))) {
					t.Errorf("after %v: exit %d, output %q; want the command's trap to run and exit 3", sig, code, got)
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				cmd.Wait()
				t.Errorf("%v to permc never reached the command", sig)
			}
		})
	}
}

// A FIFO planted from inside a sandbox where a linked worktree's gitdir
// pointer belongs does not hang the next run (which would hold the
// workspace's lock and stop every other run on it).
func TestPlantedFIFOPointerDoesNotHang(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	sub := filepath.Join(e.ws, "sub")
	plant := "mkdir -p sub/x/.git/worktrees/n && mkfifo sub/x/.git/worktrees/n/gitdir && " +
		"echo \"gitdir: " + sub + "/x/.git/worktrees/n\" > sub/.git && echo planted"
	e.expect(e.run(workspaceProfile(e), plant), expectation{code: 0, has: []string{"planted"}})
	ws := e.ws
	e.ws = sub
	defer func() { e.ws = ws }()
	start := time.Now()
	r := e.run(workspaceProfile(e), "echo ran")
	e.expect(r, expectation{code: 0, has: []string{"ran"}})
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the run took %v", d)
	}
}

// A command the profile hides (no ":minimal" = "read", so no /usr/bin)
// is not found, and permc says where the host has it and why the sandbox
// does not.
func TestHiddenCommandExplained(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	prof := "default_permissions = \"p\"\n[permissions.p.filesystem]\n\":workspace_roots\" = { \".\" = \"write\" }\n"
	e.expect(e.runArgv(prof, "ls"), expectation{code: 127,
		has: []string{"on this machine it is", "/ls, which profile p does not let the sandbox read"}})
	e.expect(e.runArgv(prof, "no-such-command-here"), expectation{code: 127,
		has: []string{"no-such-command-here"}, hasNot: []string{"on this machine it is"}})
}

// A state directory permc cannot make is named, with where its path came
// from, and nothing runs.
func TestStateDirErrorNamesItsSource(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	cfg := e.file(filepath.Join(e.state, "profile.toml"), workspaceProfile(e))
	blocker := e.file(filepath.Join(e.state, "blocker"), "a file, not a folder")
	probe := filepath.Join(e.ws, "ran")
	for _, c := range []struct{ env, want string }{
		{"PERMC_STATE_DIR=" + filepath.Join(blocker, "s"), "(PERMC_STATE_DIR)"},
		{"XDG_STATE_HOME=" + blocker, "(XDG_STATE_HOME/permc)"},
		{"HOME=" + blocker, "neither PERMC_STATE_DIR nor XDG_STATE_HOME is set"},
	} {
		cmd := exec.Command(permcBin, "run", "--system-layers=false", "-c", cfg, "-C", e.ws, "--",
			"/bin/sh", "-c", ": > "+probe)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + filepath.Dir(e.ws), c.env}
		out, _ := cmd.CombinedOutput()
		r := result{code: cmd.ProcessState.ExitCode(), out: string(out)}
		e.expect(r, expectation{code: 125,
			has:     []string{"permc's state directory", c.want, "set PERMC_STATE_DIR"},
			hostNot: []string{probe}})
	}
}

// "/**" = "deny" denies everything the profile does not grant again,
// exactly as "/" does (it was once dropped from every artifact).
func TestRootSubtreeGlobDeny(t *testing.T) {
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			e := newEnv(t, uid)
			layout(e)
			secret := e.file(filepath.Join(e.outside, "secret.txt"), marker)
			os.Chmod(secret, 0o644)
			prof := "default_permissions = \"p\"\n[permissions.p.filesystem]\n\":root\" = \"read\"\n" +
				"\"/**\" = \"deny\"\n\":minimal\" = \"read\"\n\":workspace_roots\" = \"write\"\n"
			e.expect(e.run(prof, "cat "+secret+"; echo done"), expectation{code: 0, has: []string{"done"},
				hasNot: []string{marker}})
		})
	}
}
