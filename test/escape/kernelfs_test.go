//go:build linux

package escape

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// inMountNamespace runs the shell script as root in a mount namespace of
// its own, where the test may mount what it likes, with the run's
// environment.
func (e *env) inMountNamespace(script string) ([]byte, error) {
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script)
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "PERMC_STATE_DIR=" + e.state,
		"HOME=" + filepath.Dir(e.ws), "LANG=C"}
	return cmd.CombinedOutput()
}

// A kernel file system mounted below a writable root would come along
// read-write in bubblewrap's recursive bind: as root, a chroot's proc or a
// sysfs in a workspace would let the sandbox change the host kernel's
// settings. permc refuses before anything runs. The mount is made in a
// mount namespace of the test's own.
func TestKernelFileSystemBelowAWritableRootRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test mounts a sysfs: run the suite as root")
	}
	for _, fs := range []string{"sysfs", "proc", "mqueue"} {
		t.Run(fs, func(t *testing.T) {
			e := newEnv(t, 0)
			layout(e)
			mnt := filepath.Join(e.ws, "k")
			e.mkdir(mnt)
			cfg := e.file(filepath.Join(e.state, "profile.toml"), workspaceProfile(e))
			script := "mount -t " + fs + " " + fs + " " + mnt + " && exec " + permcBin +
				" run --system-layers=false -c " + cfg + " -C " + e.ws + " -- touch " + filepath.Join(e.ws, "RAN")
			out, err := e.inMountNamespace(script)
			if err == nil || !strings.Contains(string(out), "file system) would be writable inside the sandbox") {
				t.Errorf("%s below the workspace: err %v, output:\n%s", fs, err, out)
			}
			if _, err := os.Stat(filepath.Join(e.ws, "RAN")); err == nil {
				t.Errorf("the command ran with %s writable below the workspace", fs)
			}
		})
	}
}

// A workspace inside a devtmpfs mounted outside /dev (statfs takes it
// for a tmpfs) is the host's /dev all the same: refused.
func TestWorkspaceInsideADevtmpfsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test mounts a devtmpfs: run the suite as root")
	}
	e := newEnv(t, 0)
	mnt := filepath.Join(e.outside, "cdev")
	e.mkdir(mnt)
	cfg := e.file(filepath.Join(e.state, "profile.toml"), workspaceProfile(e))
	script := "mount -t devtmpfs none " + mnt + " && cd " + mnt + "/net && exec " + permcBin +
		" run --system-layers=false -c " + cfg + " -- true"
	out, err := e.inMountNamespace(script)
	if err == nil || !strings.Contains(string(out), "a devtmpfs file system") {
		t.Errorf("workspace inside a devtmpfs: err %v, output:\n%s", err, out)
	}
}

// The Landlock-only mode refuses the same: a grant follows the path into
// what is mounted there.
func TestKernelFileSystemBelowAWritableRootRefusedWithoutBwrap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test mounts a message queue file system: run the suite as root")
	}
	e := newEnv(t, 65534)
	mnt := filepath.Join(e.ws, "mq")
	e.mkdir(mnt)
	cfg := e.file(filepath.Join(e.state, "profile.toml"), restrictedProfile(e))
	script := "mount -t mqueue mqueue " + mnt + " && exec setpriv --reuid 65534 --regid 65534 --clear-groups " +
		permcBin + " run --no-bwrap --system-layers=false -c " + cfg + " -C " + e.ws + " -- touch " + mnt + "/x"
	out, err := e.inMountNamespace(script)
	if err == nil || !strings.Contains(string(out), "(a mqueue file system) lies in") {
		t.Errorf("mqueue below the workspace, Landlock-only: err %v, output:\n%s", err, out)
	}
}

// A workspace whose name is not UTF-8 is refused before anything is made
// in it: the placeholders for missing .git, .codex and .agents were made,
// and their record, kept as JSON, could not name them to remove them.
func TestNonUTF8WorkspaceLeavesNothing(t *testing.T) {
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			e := newEnv(t, uid)
			ws := filepath.Join(e.ws, "w\xff")
			e.mkdir(ws)
			os.Chown(ws, uid, uid)
			e.extra = append(e.extra, "-C", ws)
			r := e.run(workspaceProfile(e), "touch RAN")
			e.expect(r, expectation{code: 125, has: []string{"is not valid UTF-8"},
				hostNot: []string{filepath.Join(ws, "RAN"), filepath.Join(ws, ".git"), filepath.Join(ws, ".codex"),
					filepath.Join(ws, ".agents")}})
		})
	}
}

// A setuid file in a writable root would run as the caller (or as root,
// when permc runs as root) for any local user: chmod to such a mode, and
// creating a file with one, are refused in every mode. setgid stays
// allowed (a shared folder's bit is kept by tools that chmod in it).
func TestSetuidModesRefused(t *testing.T) {
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			e := newEnv(t, uid)
			layout(e)
			script := "cp /bin/true t && chmod 755 t && echo PLAIN-OK; chmod 4755 t || echo SETUID-REFUSED; " +
				"chmod 2755 t && echo SETGID-OK; mkdir d && chmod g+s d && echo SETGID-DIR-OK; " +
				"python3 -c 'import os; os.open(\"o\", os.O_CREAT|os.O_WRONLY, 0o4755)' 2>/dev/null || echo OPEN-REFUSED; " +
				"python3 -c 'import os, stat; os.mknod(\"m\", stat.S_IFREG|0o4755)' 2>/dev/null || echo MKNOD-REFUSED; " +
				"python3 -c 'import os; os.close(os.open(\"p\", os.O_CREAT|os.O_WRONLY, 0o755))' && echo OPEN-OK; " +
				"stat -c %a t"
			e.expect(e.run(workspaceProfile(e), script), expectation{code: 0,
				has: []string{"PLAIN-OK", "SETUID-REFUSED", "SETGID-OK", "SETGID-DIR-OK", "OPEN-REFUSED", "MKNOD-REFUSED",
					"OPEN-OK", "\n2755\n"},
				hostNot: []string{filepath.Join(e.ws, "o"), filepath.Join(e.ws, "m")}})
		})
	}
}

// A state directory that does not exist yet is checked all the same: the
// folders above it must be root's or the caller's, or another user could
// make it (and what is in it) before permc does.
func TestStateDirUnderAnotherUsersFolderRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test gives a folder to another user: run the suite as root")
	}
	e := newEnv(t, 0)
	layout(e)
	theirs, err := os.MkdirTemp("/var/tmp", "permc-escape-theirs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(theirs) })
	os.Chmod(theirs, 0o777|os.ModeSticky)
	os.Chown(theirs, 1234, 1234)
	e.state = filepath.Join(theirs, "new")
	cfg := filepath.Join(e.outside, "profile.toml")
	os.WriteFile(cfg, []byte(workspaceProfile(e)), 0o644)
	cmd := exec.Command(permcBin, "run", "--system-layers=false", "-c", cfg, "-C", e.ws, "--", "touch", "RAN")
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "PERMC_STATE_DIR=" + e.state, "HOME=" + filepath.Dir(e.ws)}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "belongs to uid 1234") {
		t.Errorf("err %v, output:\n%s", err, out)
	}
	if _, err := os.Stat(e.state); err == nil {
		t.Error("permc made its state directory in another user's folder")
	}
}
