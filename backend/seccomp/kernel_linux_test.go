//go:build linux

package seccomp

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/permc/permc/ir"
)

// Expected probe outcomes: a refusal with an errno, or "pass": the same
// result as without a filter.
const (
	kEPERM   = "errno=1"
	kENOSYS  = "errno=38"
	kENOPROT = "errno=93" // EPROTONOSUPPORT
	kPass    = "pass"
)

type kwant [3]string // off, proxied, full

func kall(s string) kwant { return kwant{s, s, s} }

// probeWants are the outcomes of testdata/probe.c's probes per network
// mode. Every probe the program runs must be here and every entry must run.
func probeWants() map[string]kwant {
	w := map[string]kwant{}
	for _, n := range []string{
		"io_uring_setup", "io_uring_enter", "io_uring_register",
		"ptrace", "process_vm_readv", "process_vm_writev",
		"mount", "umount2", "pivot_root", "open_tree", "open_tree_attr", "move_mount",
		"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
		"unshare_newuser", "unshare_files", "setns",
		"kexec_load", "kexec_file_load", "bpf", "perf_event_open",
		"keyctl", "add_key", "request_key", "userfaultfd", "open_by_handle_at",
		"clone_newns", "clone_newuts", "clone_newipc", "clone_newuser",
		"clone_newpid", "clone_newnet", "clone_newcgroup", "clone_newtime",
		"socket_unix", "socket_unix_dgram", "socket_unix_high_bits", "socket_vsock",
		"socketpair_unix_dgram", "socketpair_unix_dgram_cloexec",
		"socketpair_unix_dgram_high_bits", "socketpair_unix_raw",
		"tiocsti", "tiocsti_high_bits", "tioclinux",
	} {
		w[n] = kall(kEPERM)
	}
	for _, n := range []string{"clone3", "x32_getpid", "nr_max_plus_1"} {
		w[n] = kall(kENOSYS)
	}
	// int $0x80 exists only on x86; elsewhere the probe reports the same
	// placeholder with or without a filter.
	int80 := kall(kPass)
	if runtime.GOARCH == "amd64" {
		int80 = kall(kENOSYS)
	}
	w["int80_getpid"], w["int80_socketcall"] = int80, int80
	for _, n := range []string{
		"getppid", "fork", "thread", "clone_ns_in_high_bits",
		"socketpair_unix_stream", "socketpair_unix_stream_flags",
		"socketpair_unix_stream_high_bits", "socketpair_unix_seqpacket",
		"sendto_null", "sendmsg", "tiocgwinsz", "nr_max",
	} {
		w[n] = kall(kPass)
	}
	for _, n := range []string{
		"socket_inet", "socket_inet_high_bits", "socket_inet6", "socket_inet_tcp", "socket_netlink_route",
		"connect", "bind", "listen", "accept", "accept4", "sendto_addr",
	} {
		w[n] = kwant{kEPERM, kPass, kPass}
	}
	// IPPROTO_MPTCP, which Landlock's TCP port rules do not cover.
	for _, n := range []string{"socket_mptcp", "socket_mptcp6", "socket_mptcp_high_bits"} {
		w[n] = kwant{kEPERM, kENOPROT, kENOPROT}
	}
	for _, n := range []string{"socket_netlink_audit", "socket_packet", "socket_alg", "socket_family_0x10001"} {
		w[n] = kwant{kEPERM, kEPERM, kPass}
	}
	return w
}

func parseProbe(t *testing.T, out string) map[string]string {
	t.Helper()
	res := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		name, r, ok := strings.Cut(l, " ")
		if !ok {
			t.Fatalf("probe output %q", l)
		}
		res[name] = r
	}
	return res
}

func nativeArch(t testing.TB) Arch {
	a, ok := NativeArch()
	if !ok {
		t.Fatalf("no filter for GOARCH %s", runtime.GOARCH)
	}
	return a
}

// TestKernelProbes installs each mode's filter for real and runs the C
// probe under it: io_uring, the mount API, namespaces, clone3, sockets of
// every kind, TIOCSTI on a real pty, int $0x80, threads, and numbers past
// the table.
func TestKernelProbes(t *testing.T) {
	probe := buildProbe(t)
	arch := nativeArch(t)
	maxnr := fmt.Sprint(arch.ABI().MaxSyscall)
	wants := probeWants()

	base := parseProbe(t, runChild(t, "exec", nil, probe, maxnr))
	if len(base) != len(wants) {
		t.Errorf("probe ran %d probes, the test expects %d", len(base), len(wants))
	}
	var blind []string
	for name, w := range wants {
		b, ok := base[name]
		switch {
		case !ok:
			t.Errorf("probe %s did not run", name)
		case strings.HasPrefix(b, "signal") || b == "lost":
			t.Errorf("probe %s without a filter: %s", name, b)
		case b == w[0] || b == w[1] || b == w[2]:
			blind = append(blind, name+"="+b)
		}
	}
	sort.Strings(blind)
	t.Logf("probes whose result without a filter equals a filtered one (cannot tell the filter apart here): %v", blind)

	for mi, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			prog := mustCompile(t, policyFor(mode, false), arch)
			got := parseProbe(t, runChild(t, "exec", prog, probe, maxnr))
			for name, w := range wants {
				want := w[mi]
				if want == kPass {
					want = base[name]
				}
				if got[name] != want {
					t.Errorf("%s: %s under the filter, want %s (without: %s)", name, got[name], want, base[name])
				}
			}
		})
	}
}

// TestKernelAllowAllUnix checks dangerously_allow_all_unix_sockets for
// real: host-style unix sockets work, everything else stays refused.
func TestKernelAllowAllUnix(t *testing.T) {
	probe := buildProbe(t)
	arch := nativeArch(t)
	maxnr := fmt.Sprint(arch.ABI().MaxSyscall)
	names := []string{"socket_unix", "socket_unix_dgram", "socketpair_unix_dgram", "connect", "bind",
		"sendto_addr", "socket_inet", "socket_vsock", "io_uring_setup", "tiocsti"}
	base := parseProbe(t, runChild(t, "exec", nil, append([]string{probe, maxnr}, names...)...))
	prog := mustCompile(t, policyFor(ir.NetOff, true), arch)
	got := parseProbe(t, runChild(t, "exec", prog, append([]string{probe, maxnr}, names...)...))
	for _, n := range names {
		want := base[n]
		if n == "socket_inet" || n == "socket_vsock" || n == "io_uring_setup" || n == "tiocsti" {
			want = kEPERM
		}
		if got[n] != want {
			t.Errorf("%s: %s, want %s", n, got[n], want)
		}
	}
}

// TestKernelPythonThreads is the case new-syscall-errno.md: python3
// starting a thread under glibc, which tries clone3 first.
func TestKernelPythonThreads(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		if py, err = exec.LookPath("python3"); err != nil {
			t.Fatal("python3 is required (make test installs it): no python3 on this machine")
		}
	}
	arch := nativeArch(t)
	for _, mode := range modes {
		prog := mustCompile(t, policyFor(mode, false), arch)
		out := runChild(t, "exec", prog, py, "-c",
			`import threading; t=threading.Thread(target=print, args=("ok",)); t.start(); t.join()`)
		if out != "ok\n" {
			t.Errorf("%s: python3 printed %q, want %q", mode, out, "ok\n")
		}
	}
}

// goNetEnv makes the test binary, executed under a filter by the "exec"
// child, run goNetChild: an HTTP server and client with Go's defaults,
// which try IPPROTO_MPTCP first.
const goNetEnv = "PERMC_SECCOMP_TEST_GONET"

// goNetChild serves and fetches one page over loopback TCP, and prints the
// listener's protocol (6 TCP, 262 MPTCP), whether the accepted connection
// uses MPTCP, and what a raw MPTCP socket gives.
func goNetChild() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	accepted := make(chan bool, 1)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "served") }),
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateNew {
				mp, _ := c.(*net.TCPConn).MultipathTCP()
				accepted <- mp
			}
		},
	}
	go srv.Serve(ln)
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		fmt.Println("get:", err)
		return 1
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mp := <-accepted
	proto := 0
	if rc, err := ln.(*net.TCPListener).SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { proto, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PROTOCOL) })
	}
	raw := "ok"
	if fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP); err != nil {
		raw = err.Error()
	} else {
		unix.Close(fd)
	}
	fmt.Printf("%s listener-protocol=%d mptcp=%v raw=%s\n", body, proto, mp, raw)
	return 0
}

// TestKernelGoNetMPTCP checks that a Go HTTP server and client work under
// every filter that allows IP sockets: Go asks for IPPROTO_MPTCP first
// (net.Listen by default), gets EPROTONOSUPPORT and uses plain TCP, which
// Landlock's port rules cover.
func TestKernelGoNetMPTCP(t *testing.T) {
	t.Setenv(goNetEnv, "1")
	arch := nativeArch(t)
	base := runChild(t, "exec", nil, os.Args[0])
	t.Logf("without a filter: %s", strings.TrimSpace(base))
	for _, mode := range []ir.NetMode{ir.NetProxied, ir.NetFull} {
		prog := mustCompile(t, policyFor(mode, false), arch)
		out := runChild(t, "exec", prog, os.Args[0])
		if want := "served listener-protocol=6 mptcp=false raw=protocol not supported\n"; out != want {
			t.Errorf("%s: the Go program printed %q, want %q", mode, out, want)
		}
	}
}

// TestKernelShell runs a shell pipeline with a subshell and a background
// job under the strictest filter, as a smoke test of ordinary commands.
func TestKernelShell(t *testing.T) {
	prog := mustCompile(t, policyFor(ir.NetOff, false), nativeArch(t))
	out := runChild(t, "exec", prog, "/bin/sh", "-c", `(echo a; echo b) | sort -r | tr -d '\n'; sleep 0 & wait; echo`)
	if out != "ba\n" {
		t.Errorf("shell printed %q", out)
	}
}

func TestInstallFilterForeignArch(t *testing.T) {
	for _, a := range Arches() {
		if a == nativeArch(t) {
			continue
		}
		prog := mustCompile(t, policyFor(ir.NetOff, false), a)
		if err := InstallFilter(prog); err == nil {
			t.Errorf("InstallFilter accepted a %s program", a)
		}
	}
}
