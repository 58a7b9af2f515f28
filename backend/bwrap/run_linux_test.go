//go:build linux

package bwrap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// bwrapPath is run by absolute path, as the runtime does. Tests that need
// it fail when it is missing: a sandbox that cannot start is a failure.
const bwrapPath = "/usr/bin/bwrap"

// innerEnv makes the test binary act as the runtime's inner stage: pin
// the symlinks, drop every capability, then exec the shell.
const innerEnv = "PERMC_BWRAP_TEST_INNER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(innerEnv); spec != "" {
		innerStage(spec)
	}
	os.Exit(m.Run())
}

type innerSpec struct {
	Pins   []Pin
	Script string
}

// innerStage never returns.
func innerStage(spec string) {
	var s innerSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, "inner:", err)
		os.Exit(125)
	}
	runtime.LockOSThread()
	if err := PinSymlinks(s.Pins); err != nil {
		fmt.Fprintln(os.Stderr, "inner:", err)
		os.Exit(125)
	}
	if err := dropCapabilities(); err != nil {
		fmt.Fprintln(os.Stderr, "inner:", err)
		os.Exit(125)
	}
	env := []string{"PATH=/usr/bin:/bin"}
	err := syscall.Exec("/bin/sh", []string{"sh", "-c", s.Script}, env)
	fmt.Fprintln(os.Stderr, "inner: exec:", err)
	os.Exit(126)
}

// dropCapabilities empties the bounding, ambient, permitted, effective
// and inheritable sets of the calling thread (CAP_SETPCAP allows the
// first).
func dropCapabilities() error {
	for c := 0; c <= unix.CAP_LAST_CAP; c++ {
		if in, _ := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); in != 1 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("dropping capability %d: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return err
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	return unix.Capset(&hdr, &data[0])
}

type run struct {
	out    string // stdout
	err    string // stderr
	status int
}

// sandbox runs script under /usr/bin/bwrap with res's plan, as the
// runtime would: placeholders created before and removed after, binds by
// descriptor, every namespace unshared, every capability dropped (pinning
// needs CAP_SYS_ADMIN until the inner stage drops it).
func sandbox(t *testing.T, res *Resolved, uid int, script string) run {
	t.Helper()
	if _, err := os.Stat(bwrapPath); err != nil {
		t.Fatalf("bubblewrap is required: %v", err)
	}
	made, err := CreatePlaceholders(res.Placeholders)
	must(t, err)
	defer func() { must(t, RemovePlaceholders(made)) }()
	l, err := res.Launch(3)
	must(t, err)
	defer l.Close()
	args := []string{"--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
		"--new-session", "--cap-drop", "ALL"}
	args = append(args, l.Args...)
	args = append(args, "--chdir", "/")
	if len(res.Pins) > 0 {
		spec, _ := json.Marshal(innerSpec{Pins: res.Pins, Script: script})
		exe, err := os.Executable()
		must(t, err)
		args = append(args, "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP",
			"--setenv", innerEnv, string(spec), "--", exe)
	} else {
		args = append(args, "--", "/bin/sh", "-c", script)
	}
	cmd := exec.Command(bwrapPath, args...)
	cmd.ExtraFiles = l.Files
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if uid != os.Getuid() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	err = cmd.Run()
	r := run{out: stdout.String(), err: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.status = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running bwrap: %v", err)
	}
	if strings.Contains(r.err, "bwrap:") || strings.Contains(r.err, "inner:") {
		t.Fatalf("sandbox did not start: %s\nargs: %q", r.err, args)
	}
	return r
}

// opened lets uid 65534 reach the test's directories.
func opened(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		for p := d; p != "/"; p = filepath.Dir(p) {
			fi, err := os.Stat(p)
			must(t, err)
			must(t, os.Chmod(p, fi.Mode().Perm()|0o755))
		}
		must(t, filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.Mode()&os.ModeSymlink != 0 {
				return err
			}
			return os.Chmod(p, fi.Mode().Perm()|0o777)
		}))
	}
}

// lines returns the lines of out that start with prefix, sorted as
// printed.
func lines(out, prefix string) []string {
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			got = append(got, l)
		}
	}
	return got
}

// uids are the users the real-sandbox tests run as: root and nobody when
// the tests run as root (as in CI), else the user running them.
func uids() []int {
	if os.Getuid() == 0 {
		return []int{0, 65534}
	}
	return []int{os.Getuid()}
}

func forUIDs(t *testing.T, f func(t *testing.T, uid int)) {
	for _, uid := range uids() {
		t.Run(fmt.Sprintf("uid%d", uid), func(t *testing.T) { f(t, uid) })
	}
}
