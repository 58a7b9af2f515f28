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
