//go:build linux

package seccomp

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel tests re-execute the test binary as a child that sets
// no_new_privs, loads a filter on its locked main thread exactly as the
// runtime does, and then either execs a program (the C probe, python3) or
// times syscalls. The child is chosen by these variables.
const (
	childEnv  = "PERMC_SECCOMP_TEST_CHILD"  // "exec" or "bench"
	filterEnv = "PERMC_SECCOMP_TEST_FILTER" // path of the raw program; empty for none
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(childMain(mode, os.Args[1:]))
	}
	if os.Getenv(goNetEnv) != "" {
		// The "exec" child ran this binary again under its filter.
		os.Exit(goNetChild())
	}
	code := m.Run()
	if probeDir != "" {
		os.RemoveAll(probeDir)
	}
	os.Exit(code)
}

// childMain runs in the re-executed child. Exit 125 means the setup
// failed, as in permc run.
func childMain(mode string, args []string) int {
	runtime.LockOSThread()
	var raw []byte
	if f := os.Getenv(filterEnv); f != "" {
		var err error
		if raw, err = os.ReadFile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 125
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "no_new_privs:", err)
		return 125
	}
	if raw != nil {
		if err := Load(raw); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 125
		}
	}
	switch mode {
	case "exec":
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, childEnv+"=") && !strings.HasPrefix(kv, filterEnv+"=") {
				env = append(env, kv)
			}
		}
		err := syscall.Exec(args[0], args, env)
		fmt.Fprintln(os.Stderr, "exec:", err)
		return 126
	case "bench":
		return benchChild(args)
	}
	fmt.Fprintln(os.Stderr, "unknown child mode", mode)
	return 125
}

// benchChild makes N calls of one kind on the filtered thread and prints
// the nanoseconds they took.
func benchChild(args []string) int {
	n, err := strconv.Atoi(args[1])
	if err != nil {
		return 125
	}
	var call func()
	switch args[0] {
	case "getppid":
		call = func() { unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0) }
	case "ioctl":
		// A bad descriptor: the kernel's own work is tiny, the filter's
		// argument check is not skipped.
		call = func() { unix.RawSyscall(unix.SYS_IOCTL, ^uintptr(0), unix.TCGETS, 0) }
	default:
		return 125
	}
	for i := 0; i < 10000; i++ {
		call()
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		call()
	}
	fmt.Println(time.Since(start).Nanoseconds())
	return 0
}

// writeFilter stores a program where the child can read it; nil means no
// filter.
func writeFilter(t testing.TB, prog *Program) string {
	t.Helper()
	if prog == nil {
		return ""
	}
	f := filepath.Join(t.TempDir(), string(prog.Arch)+".bpf")
	if err := os.WriteFile(f, prog.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// runChild runs the child with a filter (or none) and returns its stdout.
func runChild(t testing.TB, mode string, prog *Program, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"="+mode, filterEnv+"="+writeFilter(t, prog))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child %s %v: %v\n%s", mode, args, err, stderr.String())
	}
	return string(out)
}

var (
	probeDir  string
	probeOnce sync.Once
	probeBin  string
	probeErr  error
)

// buildProbe compiles testdata/probe.c with gcc, once per test binary.
func buildProbe(t testing.TB) string {
	t.Helper()
	probeOnce.Do(func() {
		if probeDir, probeErr = os.MkdirTemp("", "permc-seccomp-probe"); probeErr != nil {
			return
		}
		probeBin = filepath.Join(probeDir, "probe")
		out, err := exec.Command("gcc", "-O2", "-Wall", "-pthread", "-o", probeBin, "testdata/probe.c").CombinedOutput()
		if err != nil {
			probeErr = fmt.Errorf("gcc: %v\n%s", err, out)
		}
	})
	if probeErr != nil {
		t.Fatalf("building the probe (gcc is needed for the kernel tests): %v", probeErr)
	}
	return probeBin
}
