//go:build linux

package escape

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The Landlock-only mode (--no-bwrap): no namespace at all, Landlock,
// seccomp, no capabilities, no_new_privs. It runs only profiles that need
// no carve-out, with the network off or open, and never as root.

const notice = "permc: Landlock-only mode (--no-bwrap)"

func landlockOnlyEnv(t *testing.T, uid int) *env {
	e := newEnv(t, uid)
	e.extra = []string{"--no-bwrap"}
	return e
}

// denyInWorkspaceProfile carves a denied file out of a writable root: the
// deny is on line 8.
func denyInWorkspaceProfile(*env) string {
	return `default_permissions = "p"

[permissions.p.filesystem]
":root" = "read"

[permissions.p.filesystem.":workspace_roots"]
"." = "write"
"secret.txt" = "deny"
`
}

// proxiedReadOnlyProfile has a domains table (line 9) and no carve-out.
func proxiedReadOnlyProfile(*env) string {
	return `default_permissions = "p"

[permissions.p]
extends = ":read-only"

[permissions.p.network]
enabled = true

[permissions.p.network.domains]
"127.0.0.1" = "allow"
`
}

// fullNetworkProfile reads everything, writes nothing, and opens the
// network.
func fullNetworkProfile(*env) string {
	return `default_permissions = "p"

[permissions.p]
extends = ":read-only"

[permissions.p.network]
enabled = true
`
}

func workspaceBuiltinProfile(*env) string { return "default_permissions = \":workspace\"\n" }

var (
	gonetOnce sync.Once
	gonetBin  string
	gonetErr  error
)

// buildGonet builds testdata/gonet.go (a Go HTTP server and client) into
// the suite's binary directory, once.
func buildGonet(t *testing.T) string {
	t.Helper()
	gonetOnce.Do(func() {
		gonetBin = filepath.Join(binDir, "gonet")
		cmd := exec.Command("go", "build", "-o", gonetBin, "testdata/gonet.go")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			gonetErr = fmt.Errorf("go build gonet: %v\n%s", err, out)
		}
	})
	if gonetErr != nil {
		t.Fatal(gonetErr)
	}
	return gonetBin
}

// udpSink listens on the host's loopback and counts the datagrams it gets.
type udpSink struct {
	port int
	mu   sync.Mutex
	got  []string
}

func newUDPSink(t *testing.T) *udpSink {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := &udpSink{port: c.LocalAddr().(*net.UDPAddr).Port}
	go func() {
		buf := make([]byte, 512)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.got = append(s.got, string(buf[:n]))
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *udpSink) received() []string {
	time.Sleep(100 * time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func udpSend(port int, what string) string {
	return py + fmt.Sprintf(`'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"%s", ("127.0.0.1", %d)); print("UDP-SENT")'`, what, port)
}

// hostPty opens a pseudo-terminal on the host's devpts owned by uid, with
// a line of input waiting on it, and returns the slave's path.
func hostPty(t *testing.T, uid int) string {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(m) })
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(m, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	p := fmt.Sprintf("/dev/pts/%d", n)
	if err := os.Chown(p, uid, uid); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(m, []byte("TYPED-"+marker+"\n")); err != nil {
		t.Fatal(err)
	}
	return p
}

// hostProcess starts a process of uid outside any sandbox, with the
// marker in its environment, and returns it.
func hostProcess(t *testing.T, uid int) *os.Process {
	cmd := exec.Command("/bin/sleep", "60")
	cmd.Env = []string{"PERMC_HOST_SECRET=" + marker}
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if uid != os.Geteuid() {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process
}

// TestLandlockOnly runs the mode's cases as each identity: as root every
// run is refused, as uid 65534 the profiles without carve-outs run.
func TestLandlockOnly(t *testing.T) {
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			if uid == 0 {
				landlockOnlyAsRoot(t)
				return
			}
			landlockOnlyCases(t, uid)
		})
	}
}

// landlockOnlyAsRoot: without a user namespace root would keep its
// ownership of the host's secrets; the mode refuses, and nothing runs.
func landlockOnlyAsRoot(t *testing.T) {
	for name, profile := range map[string]func(*env) string{
		"read-only-refused": readOnlyProfile, "restricted-refused": restrictedProfile,
	} {
		t.Run(name, func(t *testing.T) {
			e := landlockOnlyEnv(t, 0)
			layout(e)
			e.expect(e.run(profile(e), "touch RAN"), expectation{code: 125,
				has:     []string{"does not run as root", "Run permc as an unprivileged user, or drop --no-bwrap"},
				hasNot:  []string{notice},
				hostNot: []string{filepath.Join(e.ws, "RAN")}})
		})
	}
}

func landlockOnlyCases(t *testing.T, uid int) {
	// Landlock does not govern modes: the filter keeps the command from
	// opening a file it may only read (permc's state, a dotfile) to the
	// other users of the machine, by a write bit or an ACL.
	t.Run("chmod-cannot-open-files-to-others", func(t *testing.T) {
		e := landlockOnlyEnv(t, uid)
		layout(e)
		open := filepath.Join(e.outside, "open.txt")
		before, err := os.Stat(open)
		if err != nil {
			t.Fatal(err)
		}
		script := fmt.Sprintf("chmod 666 %[1]s || echo CHMOD-OW-REFUSED; chmod g+w %[1]s || echo CHMOD-GW-REFUSED; "+
			"echo x > w.sh && chmod 700 w.sh && chmod 755 w.sh && echo CHMOD-PLAIN-OK; "+
			"chgrp $(id -g) w.sh || echo CHGRP-REFUSED; chmod 4700 w.sh || echo SETUID-REFUSED; "+
			"python3 -c 'import os; os.setxattr(\"w.sh\", \"user.x\", b\"1\")' 2>&1 | grep -q 'not supported' && echo XATTR-REFUSED",
			open)
		e.expect(e.run(restrictedProfile(e), script), expectation{code: 0,
			has: []string{"CHMOD-OW-REFUSED", "CHMOD-GW-REFUSED", "CHMOD-PLAIN-OK", "CHGRP-REFUSED", "SETUID-REFUSED",
				"XATTR-REFUSED"}})
		after, err := os.Stat(open)
		if err != nil || after.Mode() != before.Mode() {
			t.Errorf("%s: mode %v before the run, %v after (%v)", open, before.Mode(), after.Mode(), err)
		}
	})
	t.Run("read-only-runs-writes-fail", func(t *testing.T) {
		e := landlockOnlyEnv(t, uid)
		layout(e)
		script := fmt.Sprintf("cat public.txt; echo x > new.txt || echo WS-WRITE-REFUSED; "+
			"echo x > %s/x || echo OUTSIDE-WRITE-REFUSED; echo x > /dev/shm/permc-ll-x || echo SHM-REFUSED; "+
			"grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status", e.outside)
		e.expect(e.run(readOnlyProfile(e), script), expectation{code: 0,
			has: []string{notice, "host processes are visible in /proc", "public", "WS-WRITE-REFUSED",
				"OUTSIDE-WRITE-REFUSED", "SHM-REFUSED", "NoNewPrivs:\t1", "Seccomp:\t2", "CapEff:\t0000000000000000"},
			hostNot: []string{filepath.Join(e.ws, "new.txt"), filepath.Join(e.outside, "x"), "/dev/shm/permc-ll-x"}})
	})
	t.Run("restricted-workspace-writable-elsewhere-not", func(t *testing.T) {
		e := landlockOnlyEnv(t, uid)
		layout(e)
		script := fmt.Sprintf("echo written > w.txt && cat w.txt; mv w.txt w2.txt && ln w2.txt w3.txt && echo RENAME-LINK-OK; "+
			"echo o > %[1]s/x || echo OUTSIDE-WRITE-REFUSED; cat %[1]s/open.txt || echo OUTSIDE-READ-REFUSED; "+
			"echo o > /opt/permc-ll-report || echo ROOT-WRITE-REFUSED", e.outside)
		e.expect(e.run(restrictedProfile(e), script), expectation{code: 0,
			has:     []string{notice, "written", "RENAME-LINK-OK", "OUTSIDE-WRITE-REFUSED", "OUTSIDE-READ-REFUSED", "ROOT-WRITE-REFUSED"},
			hasNot:  []string{"outside-open"},
			hostHas: []string{filepath.Join(e.ws, "w3.txt")},
			hostNot: []string{filepath.Join(e.outside, "x"), "/opt/permc-ll-report"}})
	})
	refused := []struct {
		name    string
		profile func(*env) string
		has     []string
	}{
		{"deny-carve-out-refused", denyInWorkspaceProfile,
			[]string{"profile.toml:8 (p):", "secret.txt is denied inside the granted /", "needs the mount namespace", "drop --no-bwrap"}},
		{"workspace-protected-metadata-refused", workspaceBuiltinProfile,
			[]string{"(:workspace)", ".git is protected metadata inside a writable workspace root", "needs the mount namespace"}},
		{"workspace-carve-outs-refused-at-the-first-written-rule", workspaceProfile,
			[]string{"profile.toml:8 (p):", "is denied inside the granted", "needs the mount namespace"}},
		{"proxied-network-refused", proxiedReadOnlyProfile,
			[]string{"profile.toml:9 (p): the domains table", "needs the network namespace"}},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			e := landlockOnlyEnv(t, uid)
			layout(e)
			e.expect(e.run(c.profile(e), "touch RAN; cat secret.txt"), expectation{code: 125,
				has:     append([]string{"cannot enforce this profile", "nothing ran"}, c.has...),
				hasNot:  []string{marker, notice},
				hostNot: []string{filepath.Join(e.ws, "RAN")}})
		})
	}
	t.Run("grant-through-planted-symlink-refused", func(t *testing.T) {
		// A previous run replaced a granted path inside the writable
		// workspace with a symlink to a directory outside: Landlock would
		// follow it and grant the outside directory.
		e := landlockOnlyEnv(t, uid)
		layout(e)
		if err := os.Symlink(e.outside, filepath.Join(e.ws, "sub")); err != nil {
			t.Fatal(err)
		}
		os.Lchown(filepath.Join(e.ws, "sub"), uid, uid)
		profile := restrictedProfile(e) + "\"sub\" = \"write\"\n"
		e.expect(e.run(profile, fmt.Sprintf("echo x > %s/x; touch RAN", e.outside)), expectation{code: 125,
			has:     []string{"profile.toml:", "sub is a symlink to " + e.outside + " in a writable directory"},
			hasNot:  []string{notice},
			hostNot: []string{filepath.Join(e.outside, "x"), filepath.Join(e.ws, "RAN")}})
	})
	t.Run("network-off-blocks-host-loopback", func(t *testing.T) {
		port := origin(t)
		sink := newUDPSink(t)
		e := landlockOnlyEnv(t, uid)
		layout(e)
		script := fmt.Sprintf("curl -s --max-time 3 http://127.0.0.1:%[1]d/; curl -s --max-time 3 'http://[::1]:%[1]d/'; "+
			"bash -c 'echo GET / > /dev/tcp/127.0.0.1/%[1]d' && echo DEVTCP-OPENED; %[2]s; "+
			py+`'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); print("MPTCP-CREATED")'; `+
			py+`'import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); print("NETLINK-CREATED")'; echo done`,
			port, udpSend(sink.port, "LEAKED"))
		e.expect(e.run(readOnlyProfile(e), script), expectation{code: 0, has: []string{notice, "done"},
			hasNot: []string{"ORIGIN-REACHED", "DEVTCP-OPENED", "UDP-SENT", "MPTCP-CREATED", "NETLINK-CREATED"}})
		if got := sink.received(); len(got) > 0 {
			t.Errorf("the host's UDP listener received %q", got)
		}
	})
	t.Run("full-network-works-without-mptcp", func(t *testing.T) {
		port := origin(t)
		sink := newUDPSink(t)
		gonet := buildGonet(t)
		e := landlockOnlyEnv(t, uid)
		layout(e)
		script := fmt.Sprintf("curl -s --max-time 3 http://127.0.0.1:%d/; %s; %s", port, udpSend(sink.port, "SENT-OPENLY"), gonet)
		e.expect(e.run(fullNetworkProfile(e), script), expectation{code: 0,
			has: []string{notice, "ORIGIN-REACHED", "UDP-SENT",
				"GO-HTTP-SERVED listener-protocol=6 mptcp: protocol not supported"}})
		if got := sink.received(); len(got) != 1 || got[0] != "SENT-OPENLY" {
			t.Errorf("control: the host's UDP listener received %q, want the datagram sent with the network open", got)
		}
	})
	t.Run("io-uring-refused", func(t *testing.T) {
		e := landlockOnlyEnv(t, uid)
		e.expect(e.run(fullNetworkProfile(e), py+`'import ctypes,os; l=ctypes.CDLL(None,use_errno=True); r=l.syscall(425,1,0); print("ret", r, os.strerror(ctypes.get_errno()))'`),
			expectation{code: 0, has: []string{"ret -1 Operation not permitted"}})
	})
	t.Run("callers-other-terminal-unreadable", func(t *testing.T) {
		pts := hostPty(t, uid)
		e := landlockOnlyEnv(t, uid)
		script := fmt.Sprintf("ls /dev/pts >/dev/null && echo LISTED; timeout 5 head -n1 %[1]s || echo PTY-READ-REFUSED; "+
			"echo injected > %[1]s || echo PTY-WRITE-REFUSED; head -c1 /dev/full || echo DEV-REFUSED", pts)
		e.expect(e.run(readOnlyProfile(e), script), expectation{code: 0,
			has:    []string{"LISTED", "PTY-READ-REFUSED", "PTY-WRITE-REFUSED", "DEV-REFUSED"},
			hasNot: []string{marker}})
	})
	t.Run("host-process-visible-not-reachable", func(t *testing.T) {
		p := hostProcess(t, uid)
		e := landlockOnlyEnv(t, uid)
		script := fmt.Sprintf("tr '\\0' ' ' < /proc/%[1]d/cmdline; echo; cat /proc/%[1]d/environ && echo ENVIRON-READ; "+
			"readlink /proc/%[1]d/fd/0 && echo FD-READ; head -c1 /proc/%[1]d/mem >/dev/null && echo MEM-READ; "+
			"ls /proc/%[1]d/root/ >/dev/null && echo ROOT-LISTED; "+
			"kill -TERM %[1]d && echo SIGNALLED; echo done", p.Pid)
		e.expect(e.run(readOnlyProfile(e), script), expectation{code: 0,
			has:    []string{"/bin/sleep 60", "done"},
			hasNot: []string{marker, "ENVIRON-READ", "FD-READ", "MEM-READ", "ROOT-LISTED", "SIGNALLED"}})
		if err := p.Signal(syscall.Signal(0)); err != nil {
			t.Errorf("the host process is gone: %v", err)
		}
	})
	t.Run("daemonised-child-dies-with-the-run", func(t *testing.T) {
		e := landlockOnlyEnv(t, uid)
		// A unique argument finds the daemon among the host's processes.
		arg := fmt.Sprint(300 + time.Now().UnixNano()%600)
		e.expect(e.run(readOnlyProfile(e), "(setsid /bin/sleep "+arg+" >/dev/null 2>&1 &); echo started"),
			expectation{code: 0, has: []string{"started"}})
		if pids := processesWith("/bin/sleep\x00" + arg + "\x00"); len(pids) > 0 {
			for _, p := range pids {
				syscall.Kill(p, syscall.SIGKILL)
			}
			t.Errorf("the daemonised child outlived the run: pids %v", pids)
		}
	})
	t.Run("a-world-writable-state-dir-stops-the-next-run", func(t *testing.T) {
		// Landlock does not govern chmod; the filter refuses the command
		// a write bit for others on permc's state. A state folder opened
		// to every user all the same (by hand, say) stops the next run.
		e := landlockOnlyEnv(t, uid)
		os.Chown(e.state, uid, uid)
		e.expect(e.run(readOnlyProfile(e), "chmod 777 "+e.state+" || echo CHMOD-REFUSED"),
			expectation{code: 0, has: []string{"CHMOD-REFUSED"}})
		for _, mode := range []os.FileMode{0o777, 0o777 | os.ModeSticky, 0o770} {
			if err := os.Chmod(e.state, mode); err != nil {
				t.Fatal(err)
			}
			e.expect(e.run(readOnlyProfile(e), "echo RAN"),
				expectation{code: 125, has: []string{"must be yours and writable by you alone"}, hasNot: []string{"RAN\n"}})
		}
	})
	t.Run("a-chain-over-1000-deep-dies-with-the-run", func(t *testing.T) {
		// Each process forks one child and waits; the first exits once
		// the deepest is up. Orphans reach permc one level per round of
		// killing.
		e := landlockOnlyEnv(t, uid)
		tag := fmt.Sprint("permc-chain-", time.Now().UnixNano())
		script := fmt.Sprintf("exec %s 1010 %s", filepath.Join(binDir, "chain"), tag)
		e.expect(e.run(readOnlyProfile(e), script), expectation{code: 0})
		var ours []int
		ents, _ := os.ReadDir("/proc")
		for _, ent := range ents {
			pid, err := strconv.Atoi(ent.Name())
			if err != nil {
				continue
			}
			if b, _ := os.ReadFile("/proc/" + ent.Name() + "/cmdline"); strings.Contains(string(b), tag) {
				ours = append(ours, pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if len(ours) > 0 {
			t.Errorf("%d processes of the chain outlived the run", len(ours))
		}
	})
	t.Run("exit-status-and-not-found", func(t *testing.T) {
		e := landlockOnlyEnv(t, uid)
		e.expect(e.run(readOnlyProfile(e), "exit 7"), expectation{code: 7})
		e.expect(e.runArgv(readOnlyProfile(e), "permc-no-such-command"), expectation{code: 127})
	})
}

// processesWith lists the host's processes whose command line is cmdline.
func processesWith(cmdline string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && string(b) == cmdline {
			out = append(out, pid)
		}
	}
	return out
}

// TestMPTCPRefused: under permc run with bubblewrap, in every mode that
// allows IP sockets, IPPROTO_MPTCP sockets (which Landlock's TCP port
// rules do not cover) fail with EPROTONOSUPPORT, and a Go HTTP server and
// client, which ask for MPTCP first, fall back to TCP and work.
func TestMPTCPRefused(t *testing.T) {
	gonet := buildGonet(t)
	mptcp := py + `'import socket
for f in (socket.AF_INET, socket.AF_INET6):
    try:
        socket.socket(f, socket.SOCK_STREAM, 262); print("MPTCP-CREATED")
    except OSError as e:
        print("mptcp", e.errno)
socket.socket(socket.AF_INET, socket.SOCK_STREAM, 6); print("TCP-CREATED")'`
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			t.Run("full-network", func(t *testing.T) {
				e := newEnv(t, uid)
				e.expect(e.run(fullNetworkProfile(e), mptcp+"; "+gonet), expectation{code: 0,
					has: []string{"mptcp 93\nmptcp 93\nTCP-CREATED",
						"GO-HTTP-SERVED listener-protocol=6 mptcp: protocol not supported"},
					hasNot: []string{"MPTCP-CREATED"}})
			})
			t.Run("proxied", func(t *testing.T) {
				e := newEnv(t, uid)
				e.expect(e.run(proxiedProfile(e), mptcp), expectation{code: 0,
					has: []string{"mptcp 93\nmptcp 93\nTCP-CREATED"}, hasNot: []string{"MPTCP-CREATED"}})
			})
		})
	}
}

// The notice names the mode and the weakness in one line.
func TestLandlockOnlyNoticeIsOneLine(t *testing.T) {
	uid := identities(t)[len(identities(t))-1]
	if uid == 0 {
		t.Skip("the mode refuses root")
	}
	e := landlockOnlyEnv(t, uid)
	r := e.run(readOnlyProfile(e), "true")
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], notice) {
		t.Errorf("exit %d, output %q: want exactly the one-line notice", r.code, r.out)
	}
}
