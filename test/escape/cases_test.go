//go:build linux

package escape

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The secret every case tries to read; it must never appear in output.
const marker = "PERMC-SECRET-7f3a"

// workspaceProfile extends :workspace with carve-outs inside and outside.
func workspaceProfile(e *env) string {
	return fmt.Sprintf(`default_permissions = "p"

[permissions.p]
extends = ":workspace"

[permissions.p.filesystem]
glob_scan_max_depth = 3
%q = "deny"

[permissions.p.filesystem.":workspace_roots"]
"secret.txt" = "deny"
"private" = "deny"
"private/open" = "write"
"ro" = "read"
"**/*.env" = "deny"
`, filepath.Join(e.outside, "private"))
}

// restrictedProfile denies the root and reopens :minimal and the workspace.
func restrictedProfile(e *env) string {
	return fmt.Sprintf(`default_permissions = "p"

[permissions.p.filesystem]
":root" = "deny"
":minimal" = "read"
%q = "read"

[permissions.p.filesystem.":workspace_roots"]
"." = "write"
`, e.bin)
}

func readOnlyProfile(*env) string { return "default_permissions = \":read-only\"\n" }

// layout writes the files every filesystem case expects.
func layout(e *env) {
	e.file(filepath.Join(e.ws, "secret.txt"), marker)
	e.file(filepath.Join(e.ws, "public.txt"), "public")
	e.file(filepath.Join(e.ws, "private", "key.pem"), marker)
	e.mkdir(filepath.Join(e.ws, "private", "open"))
	e.file(filepath.Join(e.ws, "ro", "file"), "read-only")
	e.file(filepath.Join(e.ws, "a", ".env"), marker)
	e.file(filepath.Join(e.ws, "a", "b", "c", ".env"), "depth-four")
	e.file(filepath.Join(e.ws, "a", "b", ".env"), marker)
	e.file(filepath.Join(e.outside, "private", "x"), marker)
	e.file(filepath.Join(e.outside, "open.txt"), "outside-open")
	e.mkdir(filepath.Join(e.ws, ".git"))
	e.file(filepath.Join(e.ws, ".git", "config"), "[core]\n")
}

type escapeCase struct {
	name    string
	profile func(*env) string
	setup   func(*env)
	script  func(*env) string
	want    func(*env) expectation
}

func fail(hasNot ...string) func(*env) expectation {
	return func(*env) expectation { return expectation{code: -1, hasNot: append(hasNot, marker)} }
}

func succeed(has ...string) func(*env) expectation {
	return func(*env) expectation { return expectation{code: 0, has: has, hasNot: []string{marker}} }
}

func s(script string) func(*env) string { return func(*env) string { return script } }

const py = "/usr/bin/python3 -c "

var filesystemCases = []escapeCase{
	{"read-denied-file-in-writable-root", workspaceProfile, layout, s("cat secret.txt"), fail()},
	{"write-denied-file-in-writable-root", workspaceProfile, layout, s("echo overwritten > secret.txt"),
		func(e *env) expectation {
			return expectation{code: -1, hasNot: []string{marker}}
		}},
	{"list-denied-directory", workspaceProfile, layout, s("ls private"), fail("key.pem")},
	{"read-file-in-denied-directory", workspaceProfile, layout, s("cat private/key.pem"), fail()},
	{"write-into-denied-directory", workspaceProfile, layout, s("echo x > private/new"),
		func(e *env) expectation {
			return expectation{code: -1, hostNot: []string{filepath.Join(e.ws, "private", "new")}}
		}},
	{"reopened-path-under-denied-parent-works", workspaceProfile, layout,
		s("echo reopened > private/open/f && cat private/open/f"),
		func(e *env) expectation {
			return expectation{code: 0, has: []string{"reopened"}, hostHas: []string{filepath.Join(e.ws, "private", "open", "f")}}
		}},
	{"readable-neighbour-of-denied-file", workspaceProfile, layout, s("cat public.txt"), succeed("public")},
	{"dotdot-to-denied-outside", workspaceProfile, layout,
		func(e *env) string { return "cat ../../../.." + filepath.Join(e.outside, "private", "x") }, fail()},
	{"symlink-made-inside-to-denied-file", workspaceProfile, layout, s("ln -s private/key.pem l && cat l"), fail()},
	{"symlink-made-inside-to-denied-outside", workspaceProfile, layout,
		func(e *env) string { return "ln -s " + filepath.Join(e.outside, "private", "x") + " l && cat l" }, fail()},
	{"hardlink-to-denied-file", workspaceProfile, layout, s("ln private/key.pem h && cat h"), fail()},
	{"hardlink-to-read-only-file-then-write", workspaceProfile, layout, s("ln ro/file h; echo changed >> h; cat ro/file"),
		func(e *env) expectation {
			return expectation{code: 0, has: []string{"read-only"}, hasNot: []string{"changed"}}
		}},
	{"proc-self-root-to-denied-file", workspaceProfile, layout,
		func(e *env) string { return "cat /proc/self/root" + filepath.Join(e.ws, "secret.txt") }, fail()},
	{"proc-pid-cwd-to-denied-file", workspaceProfile, layout, s("cat /proc/1/cwd/secret.txt; cat /proc/$$/cwd/secret.txt"), fail()},
	{"rename-denied-directory", workspaceProfile, layout, s("mv private p2"),
		func(e *env) expectation {
			return expectation{code: -1, hostHas: []string{filepath.Join(e.ws, "private", "key.pem")},
				hostNot: []string{filepath.Join(e.ws, "p2")}}
		}},
	{"rename-denied-file", workspaceProfile, layout, s("mv secret.txt moved.txt; cat moved.txt"), fail()},
	{"write-read-only-carve-out", workspaceProfile, layout, s("echo changed > ro/file"), fail("changed")},
	{"read-read-only-carve-out", workspaceProfile, layout, s("cat ro/file"), succeed("read-only")},
	{"deny-glob-at-depth", workspaceProfile, layout, s("cat a/.env; cat a/b/.env"), fail()},
	{"deny-glob-below-depth-limit-is-a-snapshot-limit", workspaceProfile, layout, s("cat a/b/c/.env"), succeed("depth-four")},
	{"git-directory-read-only", workspaceProfile, layout, s("cat .git/config && echo x >> .git/config"),
		func(*env) expectation { return expectation{code: -1, has: []string{"[core]"}} }},
	{"rename-protected-git", workspaceProfile, layout, s("mv .git g2"),
		func(e *env) expectation {
			return expectation{code: -1, hostHas: []string{filepath.Join(e.ws, ".git", "config")}}
		}},
	{"create-missing-codex", workspaceProfile, layout, s("mkdir .codex"),
		func(e *env) expectation {
			return expectation{code: -1, hostNot: []string{filepath.Join(e.ws, ".codex")}}
		}},
	{"missing-metadata-leaves-nothing-behind", workspaceProfile, layout, s("true"),
		func(e *env) expectation {
			return expectation{code: 0, hostNot: []string{filepath.Join(e.ws, ".codex"), filepath.Join(e.ws, ".agents")}}
		}},
	{"renames-and-hardlinks-inside-writable-root", workspaceProfile, layout,
		s("mkdir d && echo v > d/f && mv d/f d/g && ln d/g d/h && cat d/h"),
		func(e *env) expectation {
			return expectation{code: 0, has: []string{"v"}, hostHas: []string{filepath.Join(e.ws, "d", "h")}}
		}},
	{"forged-git-file-does-not-widen", workspaceProfile,
		func(e *env) {
			layout(e)
			os.RemoveAll(filepath.Join(e.ws, ".git"))
			e.file(filepath.Join(e.ws, ".git"), "gitdir: "+filepath.Join(e.outside, "private")+"\n")
		},
		func(e *env) string { return "cat " + filepath.Join(e.outside, "private", "x") }, fail()},
	{"denied-outside-directory", workspaceProfile, layout,
		func(e *env) string { return "ls " + filepath.Join(e.outside, "private") }, fail("x")},
	{"read-only-profile-tmp-not-writable", readOnlyProfile, layout, s("echo x > /tmp/permc-escape-ro-probe"),
		func(*env) expectation {
			return expectation{code: -1, hostNot: []string{"/tmp/permc-escape-ro-probe"}}
		}},
	{"read-only-profile-workspace-not-writable", readOnlyProfile, layout, s("echo x > newfile"),
		func(e *env) expectation {
			return expectation{code: -1, hostNot: []string{filepath.Join(e.ws, "newfile")}}
		}},
	{"restricted-root-write-fails", restrictedProfile, layout, s("echo hi > /opt/report.txt"),
		func(*env) expectation { return expectation{code: -1, hostNot: []string{"/opt/report.txt"}} }},
	{"restricted-root-workspace-writable", restrictedProfile, layout, s("echo w > w.txt && /usr/bin/env true && cat w.txt"),
		succeed("w")},
	{"restricted-root-outside-unreadable", restrictedProfile, layout,
		func(e *env) string { return "cat " + filepath.Join(e.outside, "open.txt") }, fail("outside-open")},
}

// controlCases prove the suite can see a leak: without a sandbox the same
// reads succeed and the marker appears.
var controlCases = []escapeCase{
	{"control-unsandboxed-reads-the-secret", func(*env) string { return "default_permissions = \":danger-full-access\"\n" },
		layout, s("cat secret.txt private/key.pem"),
		func(*env) expectation { return expectation{code: 0, has: []string{marker}} }},
}

var processCases = []escapeCase{
	{"capabilities-none-and-filters-on", readOnlyProfile, layout,
		s("grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status"),
		succeed("CapEff:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2")},
	{"host-processes-invisible", readOnlyProfile, layout, s("ls /proc | grep -c '^[0-9]'"),
		func(*env) expectation { return expectation{code: 0} }},
	{"etc-shadow-unreadable", readOnlyProfile, layout, s("cat /etc/shadow"), fail("root:")},
	{"root-only-file-below-opt-unreadable", readOnlyProfile,
		func(e *env) {
			layout(e)
			d, err := os.MkdirTemp("/opt", "permc-escape-")
			if err != nil {
				e.t.Fatal(err)
			}
			e.t.Cleanup(func() { os.RemoveAll(d) })
			os.Chmod(d, 0o755)
			os.WriteFile(filepath.Join(d, "secret"), []byte(marker), 0o600)
			e.file(filepath.Join(e.ws, "where"), filepath.Join(d, "secret"))
		},
		s(`cat "$(cat where)"`), fail()},
	{"etc-shadow-unreadable-restricted", restrictedProfile, layout, s("cat /etc/shadow"), fail("root:")},
	// As root, permc walks only the folders the profile lets the sandbox
	// see into; a folder reopened below a denied one is still walked.
	{"root-only-file-in-a-folder-reopened-below-a-denied-one", func(e *env) string {
		return restrictedProfile(e) + fmt.Sprintf("\n[permissions.p.filesystem.%q]\n\".\" = \"read\"\n", reopenedDir(e))
	},
		secretPair(reopenedDir), readPair(reopenedDir),
		func(*env) expectation {
			return expectation{code: -1, has: []string{"public"}, hasNot: []string{marker}}
		}},
	// A folder granted below a root-only folder the sandbox cannot read
	// (/root is mode 0700) is still searched for root-only files.
	{"root-only-file-in-a-folder-granted-below-root-only-root", func(e *env) string {
		return restrictedProfile(e) + fmt.Sprintf("\n[permissions.p.filesystem.%q]\n\".\" = \"read\"\n", homeGrantDir(e))
	},
		secretPair(homeGrantDir), readPair(homeGrantDir), rootSeesPublic},
	// A rule naming a symlink makes its target readable under its own
	// name; root-only files there are masked all the same.
	{"root-only-file-behind-a-granted-symlink", func(e *env) string {
		return restrictedProfile(e) + fmt.Sprintf("\n[permissions.p.filesystem.%q]\n\".\" = \"read\"\n", linkedLink(e))
	},
		func(e *env) {
			secretPair(linkedDir)(e)
			os.Remove(linkedLink(e))
			if err := os.Symlink(linkedDir(e), linkedLink(e)); err != nil {
				e.t.Fatal(err)
			}
			e.t.Cleanup(func() { os.Remove(linkedLink(e)) })
		},
		readPair(linkedDir), rootSeesPublic},
	{"threads-start-under-the-filter", readOnlyProfile, layout,
		s(py + `'import threading; t=threading.Thread(target=print, args=("ok",)); t.start(); t.join()'`), succeed("ok")},
	{"clone3-returns-enosys", readOnlyProfile, layout,
		s(py + `'import ctypes,os; l=ctypes.CDLL(None,use_errno=True); r=l.syscall(435,0,0); print(r, os.strerror(ctypes.get_errno()))'`),
		succeed("-1 Function not implemented")},
	{"int80-call", restrictedProfile, layout, func(e *env) string { return filepath.Join(e.bin, "int80") },
		succeed("int80 getpid: -38")},
	{"setuid-binary-gains-nothing", readOnlyProfile, layout, s("/usr/bin/su -c id root </dev/null"),
		func(*env) expectation {
			return expectation{code: -1, hasNot: []string{"uid=0(root) gid=0(root) groups=0(root)\n"}}
		}},
}

// syscallCase refuses one syscall by number through ctypes.
func syscallCase(name string, nr int, args string) escapeCase {
	script := fmt.Sprintf(py+`'import ctypes,os; l=ctypes.CDLL(None,use_errno=True); r=l.syscall(%d%s); print("ret", r, os.strerror(ctypes.get_errno()))'`, nr, args)
	return escapeCase{name, readOnlyProfile, layout, s(script), succeed("ret -1 Operation not permitted")}
}

var kernelCases = []escapeCase{
	syscallCase("io-uring-setup", 425, ", 1, 0"),
	syscallCase("io-uring-enter", 426, ", 0, 0, 0, 0, 0, 0"),
	syscallCase("io-uring-register", 427, ", 0, 0, 0, 0"),
	syscallCase("open-tree", 428, ", -100, 0, 0"),
	syscallCase("move-mount", 429, ", 0, 0, 0, 0, 0"),
	syscallCase("fsopen", 430, ", 0, 0"),
	syscallCase("setns", 308, ", 0, 0"),
	syscallCase("unshare-user-namespace", 272, ", 0x10000000"),
	syscallCase("bpf", 321, ", 0, 0, 0"),
	syscallCase("keyctl", 250, ", 0, 0, 0, 0, 0"),
	syscallCase("ptrace-attach", 101, ", 16, 1, 0, 0"),
	syscallCase("userfaultfd", 323, ", 0"),
	syscallCase("perf-event-open", 298, ", 0, 0, 0, 0, 0"),
	{"mount-tmpfs", workspaceProfile, layout, s("mkdir m && mount -t tmpfs none m"), fail()},
	{"umount-a-mask", workspaceProfile, layout, s("umount private; umount -l private; cat private/key.pem"), fail()},
	{"nested-user-namespace", readOnlyProfile, layout, s("unshare -U -r id"), fail("uid=0(root)")},
	{"tiocsti-on-a-pty", readOnlyProfile, layout,
		s(py + `'import os,pty,fcntl,termios; m,s=pty.openpty()
try:
  fcntl.ioctl(s, termios.TIOCSTI, b"x"); print("injected")
except OSError as e: print("refused", e.errno)'`), succeed("refused 1")},
	{"host-sysv-shared-memory", readOnlyProfile,
		func(e *env) {
			layout(e)
			out, err := exec.Command("ipcmk", "-M", "4096").CombinedOutput()
			if err != nil {
				e.t.Fatalf("ipcmk: %v %s", err, out)
			}
			id := strings.TrimSpace(string(out[strings.LastIndex(string(out), ":")+1:]))
			e.t.Cleanup(func() { exec.Command("ipcrm", "-m", id).Run() })
			e.file(filepath.Join(e.ws, "shmid"), id)
		},
		s("ipcs -m | grep -c -w \"$(cat shmid)\""), func(*env) expectation { return expectation{code: -1} }},
}

// netCase runs a python snippet that tries one way out with the network off.
func netCase(name, code string) escapeCase {
	return escapeCase{name, workspaceProfile, layout, s(py + "'" + code + "'"), func(*env) expectation {
		return expectation{code: -1, hasNot: []string{"CONNECTED", "SENT"}}
	}}
}

var networkCases = []escapeCase{
	{"tcp-to-host-loopback-via-dev-tcp", workspaceProfile, withListener,
		s(`bash -c 'exec 3<>/dev/tcp/127.0.0.1/$(cat port) && echo CONNECTED'`),
		func(*env) expectation { return expectation{code: -1, hasNot: []string{"CONNECTED"}} }},
	netCase("tcp-socket", `import socket; s=socket.socket(); s.connect(("127.0.0.1",1)); print("CONNECTED")`),
	netCase("udp-socket", `import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.sendto(b"x",("127.0.0.1",9)); print("SENT")`),
	netCase("ipv6-socket", `import socket; s=socket.socket(socket.AF_INET6); s.connect(("::1",1)); print("CONNECTED")`),
	netCase("raw-socket", `import socket; s=socket.socket(socket.AF_INET,socket.SOCK_RAW,1); print("CONNECTED")`),
	netCase("packet-socket", `import socket; s=socket.socket(17,socket.SOCK_RAW,0); print("CONNECTED")`),
	netCase("netlink-socket", `import socket; s=socket.socket(16,socket.SOCK_RAW,0); print("CONNECTED")`),
	netCase("vsock-socket", `import socket; s=socket.socket(40,socket.SOCK_STREAM,0); print("CONNECTED")`),
	netCase("dns-lookup", `import socket; print("CONNECTED", socket.getaddrinfo("localhost.invalid", 80))`),
	{"unix-stream-host-socket-in-tmp", workspaceProfile, withUnixListener("/tmp"),
		s(py + `'import socket; s=socket.socket(socket.AF_UNIX); s.connect(open("sock").read()); print("CONNECTED")'`),
		func(*env) expectation { return expectation{code: -1, hasNot: []string{"CONNECTED"}} }},
	{"unix-stream-host-socket-in-run", workspaceProfile, withUnixListener("/run"),
		s(py + `'import socket; s=socket.socket(socket.AF_UNIX); s.connect(open("sock").read()); print("CONNECTED")'`),
		func(*env) expectation { return expectation{code: -1, hasNot: []string{"CONNECTED"}} }},
	{"unix-datagram-sendto", workspaceProfile, withUnixListener("/tmp"),
		s(py + `'import socket; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"x", open("sock").read()); print("SENT")'`),
		func(*env) expectation { return expectation{code: -1, hasNot: []string{"SENT"}} }},
	{"unix-socketpair-dgram", workspaceProfile, layout,
		s(py + `'import socket; a,b=socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM); print("SENT")'`),
		func(*env) expectation { return expectation{code: -1, hasNot: []string{"SENT"}} }},
	{"unix-socketpair-stream-allowed", workspaceProfile, layout,
		s(py + `'import socket; a,b=socket.socketpair(); a.send(b"pair"); print(b.recv(4).decode())'`), succeed("pair")},
}

// withListener starts a TCP listener on the host's loopback.
func withListener(e *env) {
	layout(e)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HOST-LISTENER\n"))
			c.Close()
		}
	}()
	e.file(filepath.Join(e.ws, "port"), fmt.Sprint(l.Addr().(*net.TCPAddr).Port))
}

// withUnixListener starts a Unix socket listener on the host, in dir, and
// writes its path to the workspace's "sock".
func withUnixListener(dir string) func(*env) {
	return func(e *env) {
		layout(e)
		p := e.unixServer(filepath.Join(dir, fmt.Sprintf("permc-escape-%d.sock", time.Now().UnixNano())), "HOST-SOCKET")
		e.file(filepath.Join(e.ws, "sock"), p)
	}
}

func allCases() []escapeCase {
	var all []escapeCase
	for _, group := range [][]escapeCase{controlCases, filesystemCases, processCases, kernelCases, networkCases} {
		all = append(all, group...)
	}
	return all
}

func TestEscape(t *testing.T) {
	cases := allCases()
	if len(cases) < 50 {
		t.Fatalf("the suite has %d cases, want at least 50", len(cases))
	}
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					e := newEnv(t, uid)
					c.setup(e)
					r := e.run(c.profile(e), c.script(e))
					e.expect(r, c.want(e))
				})
			}
		})
	}
}

// reopenedDir is a folder below /opt for one identity's run.
func reopenedDir(e *env) string { return fmt.Sprintf("/opt/permc-escape-reopened-%d", e.as) }

// homeGrantDir is a folder below /root (mode 0700) for one identity's run.
func homeGrantDir(e *env) string { return fmt.Sprintf("/root/permc-escape-granted-%d", e.as) }

// linkedDir is a folder below /var/lib reached through linkedLink.
func linkedDir(e *env) string  { return fmt.Sprintf("/var/lib/permc-escape-linked-%d", e.as) }
func linkedLink(e *env) string { return fmt.Sprintf("/opt/permc-escape-link-%d", e.as) }

// secretPair makes the folder dir(e) with a root-only secret and a public
// file in it.
func secretPair(dir func(*env) string) func(*env) {
	return func(e *env) {
		layout(e)
		d := dir(e)
		if err := os.MkdirAll(d, 0o755); err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(func() { os.RemoveAll(d) })
		os.WriteFile(filepath.Join(d, "secret"), []byte(marker), 0o600)
		os.WriteFile(filepath.Join(d, "public"), []byte("public"), 0o644)
	}
}

func readPair(dir func(*env) string) func(*env) string {
	return func(e *env) string {
		return "cat " + filepath.Join(dir(e), "public") + "; cat " + filepath.Join(dir(e), "secret")
	}
}

// rootSeesPublic wants the secret hidden, and as root the public file
// shown (another user cannot pass /root or read a root-only file anyway).
func rootSeesPublic(e *env) expectation {
	x := expectation{code: -1, hasNot: []string{marker}}
	if e.as == 0 {
		x.has = []string{"public"}
	}
	return x
}
