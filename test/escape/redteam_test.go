//go:build linux

package escape

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The Codex layers permc reads by default are inputs too: a run must
// refuse when the sandbox could write them (or create them), or it could
// rewrite the next run's policy.
func TestMachineLayersAreProtected(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	codexHome := filepath.Join(e.ws, "codexhome")
	e.mkdir(codexHome)
	cmd := exec.Command(permcBin, "run", "-C", e.ws, "--profile", ":workspace", "--",
		"/bin/sh", "-c", "echo RAN > ran")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "PERMC_STATE_DIR=" + e.state, "HOME=" + filepath.Dir(e.ws),
		"CODEX_HOME=" + codexHome}
	out, _ := cmd.CombinedOutput()
	r := result{code: cmd.ProcessState.ExitCode(), out: string(out)}
	e.expect(r, expectation{code: 125, has: []string{"config.toml would be writable inside the sandbox"},
		hostNot: []string{filepath.Join(e.ws, "ran")}})
}

// TMPDIR may not widen :tmpdir to the home directory or above.
func TestTmpdirAtHomeRefused(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	cfg := e.file(filepath.Join(e.state, "p.toml"), plainWorkspace(e))
	home := filepath.Dir(e.ws)
	cmd := exec.Command(permcBin, "run", "--system-layers=false", "-c", cfg, "-C", e.ws, "--", "true")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "PERMC_STATE_DIR=" + e.state, "HOME=" + home, "TMPDIR=" + home}
	out, _ := cmd.CombinedOutput()
	e.expect(result{code: cmd.ProcessState.ExitCode(), out: string(out)},
		expectation{code: 125, has: []string{"refusing TMPDIR"}})
}

// An explicit --bind home wins over $HOME under permc run, as in explain.
func TestRunHonoursBindHome(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	fake := filepath.Join(e.outside, "fakehome")
	e.file(filepath.Join(fake, ".ssh", "id"), marker)
	e.extra = []string{"--bind", "home=" + fake}
	prof := "default_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n" +
		"[permissions.p.filesystem]\n\"~/.ssh\" = \"deny\"\n"
	e.expect(e.run(prof, "cat "+filepath.Join(fake, ".ssh", "id")), expectation{code: -1})
}

// A write grant never makes the fresh /proc writable (host sysctls); a
// writable root is refused outright, since permc's own inputs lie under it.
func TestProcStaysReadOnly(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	prof := "default_permissions = \"p\"\n[permissions.p.filesystem]\n\":root\" = \"read\"\n\"/proc\" = \"write\"\n"
	r := e.run(prof, "echo sandbox > /proc/sys/kernel/hostname && echo WROTE; true > /proc/sys/vm/drop_caches && echo DROPPED; echo done")
	e.expect(r, expectation{code: 0, has: []string{"done"}, hasNot: []string{"WROTE", "DROPPED"}})
	if data, _ := os.ReadFile("/proc/sys/kernel/hostname"); strings.TrimSpace(string(data)) == "sandbox" {
		t.Error("the host's hostname changed")
	}
}

// A linked worktree's common git directory and a submodule's gitdir lie
// outside the workspace but hold hooks that run on the host: no broader
// rule (here /tmp, writable under :workspace) may leave them writable.
func TestGitDirsOutsideTheRootStayReadOnly(t *testing.T) {
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			e := newEnv(t, uid)
			base := filepath.Dir(e.ws) // under /tmp: writable through :slash_tmp
			common := filepath.Join(base, "main", ".git")
			gitdir := filepath.Join(common, "worktrees", "ws")
			e.file(filepath.Join(common, "hooks", "README"), "hooks")
			e.file(filepath.Join(gitdir, "HEAD"), "ref: refs/heads/feature\n")
			e.file(filepath.Join(gitdir, "gitdir"), filepath.Join(e.ws, ".git")+"\n")
			e.file(filepath.Join(gitdir, "commondir"), "../..\n")
			e.file(filepath.Join(e.ws, ".git"), "gitdir: "+gitdir+"\n")
			hook := filepath.Join(common, "hooks", "pre-commit")
			r := e.run(plainWorkspace(e), "echo evil > "+hook+"; cat "+filepath.Join(common, "hooks", "README"))
			e.expect(r, expectation{code: 0, has: []string{"hooks"}, hostNot: []string{hook}})

			// A submodule: .git names a gitdir below the parent's .git/modules.
			sub := filepath.Join(common, "modules", "sub")
			e.file(filepath.Join(sub, "HEAD"), "ref: refs/heads/main\n")
			e.file(filepath.Join(e.ws, ".git"), "gitdir: "+sub+"\n")
			subHook := filepath.Join(sub, "hooks", "post-checkout")
			r = e.run(plainWorkspace(e), "mkdir -p "+filepath.Dir(subHook)+"; echo evil > "+subHook+"; cat "+filepath.Join(sub, "HEAD"))
			e.expect(r, expectation{code: 0, has: []string{"refs/heads/main"}, hostNot: []string{subHook}})
		})
	}
}

// permc's state directory (proxy log, glob cache) is masked inside.
func TestStateDirectoryMasked(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	e.file(filepath.Join(e.state, "proxy.log"), marker)
	r := e.run(workspaceProfile(e), "ls "+e.state+"; cat "+filepath.Join(e.state, "proxy.log")+"; echo done")
	e.expect(r, expectation{code: 0, has: []string{"done"}, hasNot: []string{"profile.toml"}})
}

// A deny below /dev holds in the sandbox's fresh /dev too.
func TestDevDeniesHold(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	prof := "default_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n" +
		"[permissions.p.filesystem]\n\"/dev/shm\" = \"deny\"\n\"/dev/random\" = \"deny\"\n"
	r := e.run(prof, "ls /dev/shm && echo SHM-LISTED; head -c1 /dev/random >/dev/null && echo RANDOM-READ; "+
		"head -c1 /dev/urandom >/dev/null && echo urandom-ok")
	e.expect(r, expectation{code: 0, has: []string{"urandom-ok"}, hasNot: []string{"SHM-LISTED", "RANDOM-READ"}})
}
