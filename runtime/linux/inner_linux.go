//go:build linux

package linux

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/backend/landlock"
	"github.com/permc/permc/backend/seccomp"
)

// Inner is the inner stage: it runs inside bwrap, finishes the sandbox and
// execs the command. It returns only on failure, with the exit status.
func Inner() int {
	status := os.NewFile(fdStatus, "status")
	unix.CloseOnExec(fdStatus)
	fail := func(code int, format string, args ...any) int {
		// The parent prints the message; say it here only if it cannot hear.
		if _, err := status.Write(errRecord(code, format, args...)); err != nil {
			fmt.Fprintf(os.Stderr, "permc: "+format+"\n", args...)
		}
		return code
	}
	// Under bwrap every mount is in place by now: the parent may check
	// the disk again before it sends the Spec.
	status.Write([]byte("M\x00"))
	spec, err := readSpec()
	if errors.Is(err, errNoSpec) {
		// The parent stopped the start before sending one (a check after
		// mounting failed) and is killing the sandbox: nothing to say.
		return ExitSetup
	}
	if err != nil {
		return fail(ExitSetup, "inner stage: %v", err)
	}
	// Before anything else: every bind and deny-glob mask must be what
	// the plan made (another sandbox could have moved a folder meanwhile).
	if err := CheckGuards(spec.Guards); err != nil {
		return fail(ExitSetup, "a mount is not what the plan made: %v (is another sandbox moving folders "+
			"in this tree?); nothing ran", err)
	}
	path, code, err := lookPath(spec)
	if err != nil {
		return fail(code, "%v", err)
	}
	// Every step runs on this one thread, which then execs: Go applies
	// capabilities, no_new_privs and seccomp per thread, and the relay is
	// forked from here so it inherits what this thread has by then.
	runtime.LockOSThread()
	if err := bwrap.PinSymlinks(spec.Pins); err != nil {
		return fail(ExitSetup, "sandbox setup: %v", err)
	}
	emptied, err := dropCapabilities()
	if err != nil {
		return fail(ExitSetup, "sandbox setup: dropping capabilities: %v", err)
	}
	// Under bwrap the bounding set is always empty by now; without it, an
	// unprivileged caller keeps one it cannot empty, and no_new_privs, set
	// next, makes it useless.
	if err := checkNoCapabilities(emptied || !spec.Direct); err != nil {
		return fail(ExitSetup, "sandbox setup: %v", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fail(ExitSetup, "sandbox setup: no_new_privs: %v", err)
	}
	if err := closeInherited(); err != nil {
		return fail(ExitSetup, "sandbox setup: %v", err)
	}
	// The broker's view of the sandbox's own unix sockets: made before any
	// filter, which would refuse it.
	diag := -1
	if spec.Broker {
		diag, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
		if err != nil {
			return fail(ExitSetup, "sandbox setup: sock_diag socket: %v", err)
		}
	}
	if spec.Relay != nil {
		if err := startRelay(spec.Relay); err != nil {
			return fail(ExitSetup, "sandbox setup: proxy relay: %v", err)
		}
	}
	if len(spec.Landlock) > 0 {
		if err := applyLandlock(spec.Landlock); err != nil {
			return fail(ExitSetup, "sandbox setup: landlock: %v", err)
		}
	}
	if len(spec.Seccomp) == 0 {
		return fail(ExitSetup, "sandbox setup: no seccomp filter for this architecture")
	}
	if spec.Broker {
		if err := handOverListener(spec.Seccomp, diag, status); err != nil {
			return fail(ExitSetup, "sandbox setup: seccomp: %v", err)
		}
	} else if err := seccomp.Load(spec.Seccomp); err != nil {
		return fail(ExitSetup, "sandbox setup: seccomp: %v", err)
	}
	status.Write([]byte("R\x00"))
	err = syscall.Exec(path, spec.Argv, spec.Env)
	code = ExitCannotExec
	if errors.Is(err, syscall.ENOENT) {
		code = ExitNotFound
	}
	return fail(code, "cannot execute %s: %v", spec.Argv[0], err)
}

// handOverListener loads the filter with a listener, tells the parent its
// descriptor and diag's (a sock_diag socket in the sandbox's network
// namespace), waits until the parent has taken copies, and closes its
// own: the command must never hold the listener, or it could answer for
// itself.
func handOverListener(filter []byte, diag int, status io.Writer) error {
	defer unix.Close(diag)
	fd, err := seccomp.LoadListener(filter)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, err := fmt.Fprintf(status, "L%d %d\x00", fd, diag); err != nil {
		return err
	}
	ack := os.NewFile(fdAck, "ack")
	defer ack.Close()
	var b [1]byte
	if _, err := io.ReadFull(ack, b[:]); err != nil {
		return errors.New("permc did not take the listener of its unix-socket broker")
	}
	return nil
}

// errNoSpec is readSpec's error when the parent closed the pipe without
// sending a Spec.
var errNoSpec = errors.New("no spec sent")

func readSpec() (*Spec, error) {
	f := os.NewFile(fdSpec, "spec")
	if f == nil {
		return nil, errors.New("no spec descriptor")
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, errNoSpec
	}
	var s Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("bad spec: %v", err)
	}
	if len(s.Argv) == 0 {
		return nil, errors.New("no command")
	}
	return &s, nil
}

// applyLandlock applies the resolved ruleset to this thread, which has
// no_new_privs by now and execs the command: the ruleset binds what it
// execs, and the other threads end with that execve.
func applyLandlock(raw json.RawMessage) error {
	var r landlock.Resolved
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	_, err := landlock.ApplyThread(&r)
	return err
}

// dropCapabilities empties this thread's bounding, ambient, effective,
// permitted and inheritable sets. Emptying the bounding set needs
// CAP_SETPCAP at that moment: root (in the sandbox's user namespace, or
// outside any) has it; an unprivileged caller without a user namespace
// does not, and then keeps its bounding set. It reports whether the
// bounding set was emptied (or was empty).
func dropCapabilities() (bool, error) {
	emptied := true
	if !hasEffective(unix.CAP_SETPCAP) {
		for c := 0; ; c++ {
			in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
			if err != nil {
				break
			}
			if in != 0 {
				emptied = false
				break
			}
		}
		return emptied, clearCapabilities()
	}
	for c := 0; ; c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err != nil {
			break // past the last capability this kernel knows
		}
		if in == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			if errors.Is(err, unix.EINVAL) {
				break // past the last capability this kernel knows
			}
			return false, err
		}
	}
	return true, clearCapabilities()
}

// clearCapabilities empties the ambient, effective, permitted and
// inheritable sets, which needs no capability.
func clearCapabilities() error {
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return err
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	return unix.Capset(&hdr, &data[0])
}

// hasEffective reports whether this thread holds capability c.
func hasEffective(c int) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[c/32].Effective&(1<<(uint(c)%32)) != 0
}

// checkNoCapabilities refuses to go on if this thread holds any
// capability, in its bounding set too when bounding is set.
func checkNoCapabilities(bounding bool) error {
	f, err := os.Open("/proc/thread-self/status")
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "CapEff" && k != "CapPrm" && k != "CapAmb" && k != "CapInh" && k != "CapBnd") ||
			(k == "CapBnd" && !bounding) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil || n != 0 {
			return fmt.Errorf("%s is %s, want none", k, strings.TrimSpace(v))
		}
	}
	return sc.Err()
}

// closeInherited marks every descriptor above 2 close-on-exec, so nothing
// the caller or bwrap left open reaches the relay or the command. They are
// closed by execve rather than here: the Go runtime holds descriptors of
// its own (the network poller's), and closing those under it crashes it.
func closeInherited() error {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 2 {
			unix.CloseOnExec(n)
		}
	}
	return nil
}

// lookPath finds the command as the sandbox sees it.
func lookPath(s *Spec) (string, int, error) {
	name := s.Argv[0]
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.Dir, p)
		}
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return "", ExitNotFound, fmt.Errorf("%s: not found", name)
		case err != nil:
			return "", ExitCannotExec, fmt.Errorf("%s: %v", name, err)
		case fi.IsDir() || fi.Mode()&0o111 == 0:
			return "", ExitCannotExec, fmt.Errorf("%s: permission denied", name)
		}
		return p, 0, nil
	}
	path := ""
	for _, kv := range s.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, 0, nil
		}
	}
	return "", ExitNotFound, fmt.Errorf("%s: %w", name, exec.ErrNotFound)
}

// CheckGuards checks every guard and describes the first that fails.
func CheckGuards(gs []Guard) error {
	for _, g := range gs {
		var st, pst syscall.Stat_t
		if g.Bind {
			if err := syscall.Lstat(g.Path, &st); err != nil {
				return fmt.Errorf("%s: %v", g.Path, err)
			}
			if st.Dev != g.Dev || st.Ino != g.Ino {
				return fmt.Errorf("%s is not the file or folder the plan bound there", g.Path)
			}
			continue
		}
		if err := syscall.Lstat(filepath.Dir(g.Path), &pst); err != nil {
			return fmt.Errorf("the folder of %s: %v", g.Path, err)
		}
		if g.ParentIno != 0 && (pst.Dev != g.ParentDev || pst.Ino != g.ParentIno) {
			return fmt.Errorf("the folder holding %s is not the one the scan read", g.Path)
		}
		if err := syscall.Lstat(g.Path, &st); err != nil {
			return fmt.Errorf("%s: %v", g.Path, err)
		}
		switch {
		case g.Ino != 0 && (st.Dev != g.Dev || st.Ino != g.Ino):
			return fmt.Errorf("a deny-glob match, %s, is not masked", g.Path)
		case g.Mount && (st.Mode&syscall.S_IFMT != syscall.S_IFDIR || st.Dev == pst.Dev):
			return fmt.Errorf("%s is not masked", g.Path)
		}
	}
	return nil
}
