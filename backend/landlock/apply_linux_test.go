//go:build linux

package landlock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"

	"github.com/permc/permc/ir"
)

// childEnv makes the test binary apply a ruleset to itself, try the
// probes and print what worked, as JSON.
const childEnv = "PERMC_LANDLOCK_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(child(spec))
	}
	os.Exit(m.Run())
}

type childSpec struct {
	Ruleset *Resolved
	Probes  []probe
	// Thread applies the ruleset with ApplyThread, to the thread that
	// then runs every probe.
	Thread bool `json:",omitempty"`
}

// probe is one operation: "read", "write", "rename" (Path to Dest),
// "connect", "bind" (Port), "signal" (the parent), "abstract" (connect to
// Path as an abstract Unix socket).
type probe struct {
	Op   string
	Path string `json:",omitempty"`
	Dest string `json:",omitempty"`
	Port uint16 `json:",omitempty"`
}

func (p probe) String() string {
	parts := []string{p.Op, p.Path, p.Dest}
	if p.Port != 0 {
		parts = append(parts, strconv.Itoa(int(p.Port)))
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

func child(spec string) int {
	var s childSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	apply := func() error { _, err := Apply(s.Ruleset, ApplyOptions{}); return err }
	if s.Thread {
		runtime.LockOSThread()
		apply = func() error {
			if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
				return err
			}
			_, err := ApplyThread(s.Ruleset)
			return err
		}
	}
	if err := apply(); err != nil {
		fmt.Fprintln(os.Stderr, "apply:", err)
		return 3
	}
	got := map[string]bool{}
	for _, p := range s.Probes {
		got[p.String()] = try(p)
	}
	_ = json.NewEncoder(os.Stdout).Encode(got)
	return 0
}

// try performs a probe and reports whether the kernel allowed it.
func try(p probe) bool {
	switch p.Op {
	case "read":
		return tryRead(p.Path)
	case "write":
		return tryWrite(p.Path)
	case "rename":
		if os.Rename(p.Path, p.Dest) != nil {
			return false
		}
		return os.Rename(p.Dest, p.Path) == nil
	case "connect", "bind":
		return tryTCP(p.Op, p.Port)
	case "signal":
		return syscall.Kill(os.Getppid(), 0) == nil
	case "abstract":
		c, err := net.Dial("unix", "@"+p.Path)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	return false
}

// tryTCP connects or binds an IPPROTO_TCP socket on loopback. (Go's
// net.Listen picks IPPROTO_MPTCP, which Landlock's TCP rules do not
// cover: see the package's limitations.)
func tryTCP(op string, port uint16) bool {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, syscall.IPPROTO_TCP)
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	sa := &syscall.SockaddrInet4{Port: int(port), Addr: [4]byte{127, 0, 0, 1}}
	if op == "bind" {
		err = syscall.Bind(fd, sa)
	} else {
		err = syscall.Connect(fd, sa)
	}
	return !errors.Is(err, syscall.EACCES)
}

func tryRead(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	if fi.IsDir() {
		_, err = os.ReadDir(path)
		return err == nil
	}
	f, err := os.Open(path)
	if err == nil {
		f.Close()
	}
	return err == nil
}

// tryWrite appends nothing to a file, creates and removes an entry in a
// directory, or creates and removes a missing path.
func tryWrite(path string) bool {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return false
		}
		f.Close()
		return os.Remove(path) == nil
	case fi.IsDir():
		return tryWrite(filepath.Join(path, ".probe"))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		f.Close()
	}
	return err == nil
}

// expect is what the evaluator says about a probe.
func (r *Resolved) expect(p probe) bool {
	switch p.Op {
	case "read":
		fi, err := os.Stat(p.Path)
		return err == nil && r.CanRead(real(p.Path), fi.IsDir())
	case "write":
		if fi, err := os.Stat(p.Path); err == nil {
			return r.CanWrite(real(p.Path), fi.IsDir())
		}
		return r.CanWrite(real(filepath.Dir(p.Path)), true)
	case "rename":
		return r.Has(real(filepath.Dir(p.Path)), "remove_file", "refer") &&
			r.Has(real(filepath.Dir(p.Dest)), "make_reg", "refer")
	case "connect":
		return r.CanConnect(p.Port)
	case "bind":
		return r.CanBind(p.Port)
	case "signal":
		return !r.IsScoped("signal")
	case "abstract":
		return !r.IsScoped("abstract_unix_socket")
	}
	return false
}

func real(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// applyInChild runs the test binary with the ruleset applied and returns
// what each probe managed.
func applyInChild(t *testing.T, res *Resolved, probes []probe, thread bool) map[string]bool {
	t.Helper()
	spec, err := json.Marshal(childSpec{Ruleset: res, Probes: probes, Thread: thread})
	must(t, err)
	exe, err := os.Executable()
	must(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	got := map[string]bool{}
	must(t, json.Unmarshal(stdout.Bytes(), &got))
	return got
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// needABI skips only when the kernel lacks the ABI the ruleset needs.
func needABI(t *testing.T, abi int) {
	got, err := llsys.LandlockGetABIVersion()
	if err != nil || got < abi {
		t.Skipf("the kernel's Landlock ABI is %d (%v); these rules need %d", got, err, abi)
	}
}

func TestApplyInChild(t *testing.T) {
	tests := []struct {
		name   string
		policy *ir.Policy
		net    ir.NetPolicy
	}{
		{"restricted root", restrictedPolicy(rule(ir.BaseWorkspaceRoots, "ro", ir.Read, 5)), netPolicy(false, false, false)},
		{"workspace proxied", workspacePolicy(), netPolicy(true, true, false)},
		{"workspace full network", workspacePolicy(), netPolicy(true, false, false)},
		{"read-only everything", &ir.Policy{FS: ir.FSPolicy{Rules: []ir.FSRule{rule(ir.BaseRoot, "", ir.Read, 1)}}},
			netPolicy(false, false, true)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws, other := realTempDir(t), realTempDir(t)
			mkFiles(t, ws, "src/a.go", "ro/conf", "b/x")
			mkFiles(t, other, "secret")
			tc.policy.Net = tc.net
			rs, diags := Compile(tc.policy)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			needABI(t, rs.MinABI)
			res, _ := Resolve(rs, ir.Binding{WorkspaceRoots: []string{ws}, SlashTmp: true})
			probes := fsProbes(ws, other)
			sock := listenAbstract(t)
			probes = append(probes, probe{Op: "connect", Port: 3128}, probe{Op: "connect", Port: 443},
				probe{Op: "bind", Port: 38123}, probe{Op: "signal"}, probe{Op: "abstract", Path: sock})
			want := map[string]bool{}
			for _, p := range probes {
				want[p.String()] = res.expect(p)
			}
			for _, thread := range []bool{false, true} {
				got := applyInChild(t, res, probes, thread)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("thread only %v: kernel differs from the evaluator (-evaluator +kernel):\n%s", thread, diff)
				}
				checkDecide(t, tc.policy, res, ws, got, probes)
			}
		})
	}
}

// fsProbes reads and writes around the workspace, another directory and
// the host.
func fsProbes(ws, other string) []probe {
	var out []probe
	for _, p := range []string{ws, ws + "/src/a.go", ws + "/ro/conf", ws + "/ro", ws + "/new.txt", other,
		other + "/secret", other + "/new", "/etc/passwd", "/usr/bin/env", "/opt", "/proc/self/status",
		"/dev/null", "/tmp"} {
		out = append(out, probe{Op: "read", Path: p}, probe{Op: "write", Path: p})
	}
	return append(out, probe{Op: "rename", Path: ws + "/src/a.go", Dest: ws + "/b/a.go"})
}

// checkDecide holds the kernel to the rule that Landlock never denies
// what ir.Decide allows.
func checkDecide(t *testing.T, p *ir.Policy, res *Resolved, ws string, got map[string]bool, probes []probe) {
	b := ir.Binding{WorkspaceRoots: []string{ws}, SlashTmp: true}
	for _, pr := range probes {
		if pr.Op != "read" && pr.Op != "write" {
			continue
		}
		d := ir.Decide(p, ir.Linux, b, pr.Path)
		_, err := os.Stat(pr.Path)
		allowed := pr.Op == "read" && d.Read && err == nil || pr.Op == "write" && d.Write
		if allowed && !got[pr.String()] {
			t.Errorf("%s: ir.Decide allows it, the kernel refused", pr)
		}
	}
}

func listenAbstract(t *testing.T) string {
	name := fmt.Sprintf("permc-landlock-test-%d", os.Getpid())
	l, err := net.Listen("unix", "@"+name)
	must(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return name
}

func realTempDir(t *testing.T) string {
	d, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	return d
}

func mkFiles(t *testing.T, root string, rels ...string) {
	for _, rel := range rels {
		p := filepath.Join(root, rel)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(rel), 0o644))
	}
}

func TestApplyRefusesAnOlderABI(t *testing.T) {
	abi, err := llsys.LandlockGetABIVersion()
	must(t, err)
	res := &Resolved{MinABI: abi + 1, HandledFS: setOf(FS, groupRights(GroupRead))}
	// Apply refuses before it restricts anything, so it is safe to call
	// in the test process itself.
	if _, err := Apply(res, ApplyOptions{}); !errors.Is(err, ErrABI) {
		t.Errorf("Apply = %v, want ErrABI", err)
	}
}
