//go:build linux

// Package escape runs real commands under `permc run` and asserts what the
// sandboxed process could and could not do, as root and as uid 65534. Each
// case is named for what it attacks; a failing case prints everything the
// process printed, so the report shows what it managed to do.
package escape

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobody is the unprivileged identity the suite also runs as.
const nobody = 65534

// env is one case's world: a workspace, a directory outside it, the
// identity permc runs as.
type env struct {
	t       *testing.T
	as      int    // uid permc runs as
	ws      string // the workspace (-C)
	outside string // a directory outside every writable root
	state   string // PERMC_STATE_DIR
	bin     string // directory with permc and the helpers
	extra   []string
	fds     []*os.File // descriptors the caller leaves open (3, 4, ...)
}

// result is what a run produced.
type result struct {
	code int
	out  string
}

var (
	binDir   string // permc and the C helpers, readable by everyone, outside every writable root
	permcBin string
)

func TestMain(m *testing.M) {
	code, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "escape suite setup:", err)
		os.Exit(1)
	}
	if code == 0 {
		code = m.Run()
	}
	os.RemoveAll(binDir)
	os.Exit(code)
}

// setup builds permc and the C helpers into a directory under /var/tmp,
// which no profile of the suite makes writable.
func setup() (int, error) {
	if _, err := os.Stat("/usr/bin/bwrap"); err != nil {
		return 1, fmt.Errorf("bubblewrap is required: %v", err)
	}
	d, err := os.MkdirTemp("/var/tmp", "permc-escape-bin-")
	if err != nil {
		return 1, err
	}
	binDir = d
	os.Chmod(d, 0o755)
	permcBin = filepath.Join(d, "permc")
	build := exec.Command("go", "build", "-o", permcBin, "github.com/permc/permc/cmd/permc")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as the Makefile builds it
	if out, err := build.CombinedOutput(); err != nil {
		return 1, fmt.Errorf("go build: %v\n%s", err, out)
	}
	for _, helper := range []string{"int80", "chain", "flip"} {
		cc := exec.Command("gcc", "-O1", "-pthread", "-o", filepath.Join(d, helper), "testdata/"+helper+".c")
		if out, err := cc.CombinedOutput(); err != nil {
			return 1, fmt.Errorf("gcc: %v\n%s", err, out)
		}
	}
	return 0, nil
}

// identities are who permc runs as: root, and uid 65534 when the suite
// itself runs as root (in CI it does).
func identities(t *testing.T) []int {
	if os.Geteuid() != 0 {
		return []int{os.Geteuid()}
	}
	return []int{0, nobody}
}

func idName(uid int) string {
	if uid == 0 {
		return "root"
	}
	return fmt.Sprintf("uid%d", uid)
}

// newEnv makes a workspace and an outside directory owned by uid.
func newEnv(t *testing.T, uid int) *env {
	t.Helper()
	base, err := os.MkdirTemp("/tmp", "permc-escape-")
	if err != nil {
		t.Fatal(err)
	}
	state, err := os.MkdirTemp("/var/tmp", "permc-escape-state-")
	if err != nil {
		t.Fatal(err)
	}
	outside, err := os.MkdirTemp("/var/tmp", "permc-escape-outside-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(base)
		os.RemoveAll(state)
		os.RemoveAll(outside)
	})
	e := &env{t: t, as: uid, ws: filepath.Join(base, "ws"), outside: outside, state: state, bin: binDir}
	e.mkdir(e.ws)
	e.mkdir(filepath.Join(base, "tmp"))
	for _, d := range []string{base, state, outside} {
		os.Chmod(d, 0o755)
		os.Chown(d, uid, uid)
	}
	os.Chown(e.ws, uid, uid)
	return e
}

func (e *env) mkdir(p string) {
	if err := os.MkdirAll(p, 0o755); err != nil {
		e.t.Fatal(err)
	}
	os.Chown(p, e.as, e.as)
}

// file writes a file (and its parents) owned by the run's identity.
func (e *env) file(p, content string) string {
	e.mkdir(filepath.Dir(p))
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	os.Chown(p, e.as, e.as)
	return p
}

// run runs script with sh -c under permc run with the given profile TOML.
func (e *env) run(profile, script string) result {
	return e.runArgv(profile, "/bin/sh", "-c", script)
}

func (e *env) runArgv(profile string, argv ...string) result {
	e.t.Helper()
	cfg := e.file(filepath.Join(e.state, "profile.toml"), profile)
	args := append([]string{"run", "--system-layers=false", "-c", cfg, "-C", e.ws}, e.extra...)
	args = append(append(args, "--"), argv...)
	cmd := exec.Command(permcBin, args...)
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "PERMC_STATE_DIR=" + e.state,
		"HOME=" + filepath.Dir(e.ws), "TMPDIR=" + filepath.Join(filepath.Dir(e.ws), "tmp"), "LANG=C"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.ExtraFiles = e.fds
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if e.as != os.Geteuid() {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(e.as), Gid: uint32(e.as)}
	}
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		e.t.Fatalf("timed out; output so far:\n%s", out.String())
	}
	return result{code: cmd.ProcessState.ExitCode(), out: out.String()}
}

// expectation checks a result and the host afterwards.
type expectation struct {
	code    int      // the exit status wanted; -1 means any failure
	has     []string // substrings the output must contain
	hasNot  []string // substrings it must not contain (markers of a leak)
	hostNot []string // paths that must not exist on the host afterwards
	hostHas []string // paths that must exist on the host afterwards
	// links maps a host path to what it must still point at afterwards.
	links map[string]string
}

func (e *env) expect(r result, x expectation) {
	e.t.Helper()
	ok := true
	switch {
	case x.code == -1 && r.code == 0:
		ok = false
	case x.code >= 0 && r.code != x.code:
		ok = false
	}
	for _, s := range x.has {
		if !strings.Contains(r.out, s) {
			ok = false
		}
	}
	for _, s := range x.hasNot {
		if strings.Contains(r.out, s) {
			ok = false
		}
	}
	var host []string
	for _, p := range x.hostNot {
		if _, err := os.Lstat(p); err == nil {
			host = append(host, p+" exists on the host")
		}
	}
	for _, p := range x.hostHas {
		if _, err := os.Lstat(p); err != nil {
			host = append(host, p+" is missing on the host")
		}
	}
	for p, want := range x.links {
		if got, err := os.Readlink(p); err != nil || got != want {
			host = append(host, fmt.Sprintf("%s points at %q (%v), want %q", p, got, err, want))
		}
	}
	if !ok || len(host) > 0 {
		e.t.Errorf("exit %d (want %s); host: %v\nthe sandboxed process printed:\n%s", r.code, wantCode(x.code), host, r.out)
	}
}

func wantCode(c int) string {
	if c == -1 {
		return "a failure"
	}
	return fmt.Sprint(c)
}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
