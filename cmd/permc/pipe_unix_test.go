//go:build unix

package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A -c file may be a pipe (-c <(generate-config)), which can be read only
// once: a second open finds it empty. Each command reads each file once,
// so it compiles what the pipe held, and build hashes those same bytes.
func TestConfigFromPipe(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string { return writeTestFile(t, dir, name, data) }
	profile := "default_permissions = \"p\"\n\n[permissions.p.filesystem]\n\":root\" = \"read\"\n\"/srv/from-the-pipe\" = \"write\"\n"
	legacy := "sandbox_mode = \"workspace-write\"\n\n[sandbox_workspace_write]\nwritable_roots = [\"/srv/from-the-pipe\"]\n"
	for _, tc := range []struct {
		args   []string
		config string
	}{
		{[]string{"build", "-o", filepath.Join(dir, "out"), "--target", "linux"}, profile},
		{[]string{"check"}, profile},
		{[]string{"explain", "/srv/from-the-pipe"}, profile},
		{[]string{"migrate"}, legacy},
		// The -c layers lie below both sides: each side sees them.
		{[]string{"diff", write("old.toml", "[permissions.p.filesystem]\n\"/srv/from-the-pipe\" = \"write\"\n"),
			write("new.toml", "[permissions.p.filesystem]\n\"/srv/from-the-pipe\" = \"read\"\n")}, profile},
	} {
		args, config := tc.args, tc.config
		t.Run(args[0], func(t *testing.T) {
			fifo, stop := servePipe(t, config)
			var stdout, stderr bytes.Buffer
			argv := append([]string{args[0], "-c", fifo}, args[1:]...)
			code := realMain(argv, &stdout, &stderr)
			stop()
			out := stdout.String() + stderr.String()
			if code != 0 || strings.Contains(out, "no-profile-selected") || strings.Contains(out, ":read-only") {
				t.Fatalf("permc %s: exit %d\n%s", strings.Join(argv, " "), code, out)
			}
			if args[0] == "build" {
				data, err := os.ReadFile(filepath.Join(dir, "out", "p", "linux.json"))
				if err != nil || !bytes.Contains(data, []byte("/srv/from-the-pipe")) {
					t.Fatalf("the plan does not hold the pipe's rule (%v)", err)
				}
				man, err := os.ReadFile(filepath.Join(dir, "out", "p", "manifest.json"))
				if err != nil || !bytes.Contains(man, []byte(fmt.Sprintf("%x", sha256.Sum256([]byte(config))))) {
					t.Fatalf("the manifest does not hash the bytes compiled (%v)", err)
				}
			} else if !strings.Contains(out, "from-the-pipe") && args[0] != "check" {
				t.Fatalf("permc %s did not read the pipe's config:\n%s", args[0], out)
			}
		})
	}
}

// servePipe makes a FIFO that gives config to its first reader and
// nothing to any later one, as a shell's pipe does. stop ends its writer.
func servePipe(t *testing.T, config string) (string, func()) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "config.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// The writer opens without blocking (a FIFO with no reader refuses),
	// so it always sees done.
	var done atomic.Bool
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for n := 0; !done.Load(); {
			f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				time.Sleep(time.Millisecond)
				continue
			}
			if n == 0 {
				f.WriteString(config)
			}
			n++
			f.Close()
		}
	}()
	return fifo, func() { done.Store(true); <-finished }
}

// verify --against reads each file once too: a pipe holding the config a
// folder was built from verifies it.
func TestVerifyAgainstPipe(t *testing.T) {
	dir := t.TempDir()
	config := "default_permissions = \"p\"\n[permissions.p.filesystem]\n\":root\" = \"read\"\n"
	cfg := writeTestFile(t, dir, "p.toml", config)
	var out bytes.Buffer
	if code := realMain([]string{"build", "-c", cfg, "-o", filepath.Join(dir, "out")}, &out, &out); code != 0 {
		t.Fatalf("build: %d\n%s", code, out.String())
	}
	fifo, stop := servePipe(t, config)
	out.Reset()
	code := realMain([]string{"verify", filepath.Join(dir, "out", "p"), "--against", fifo}, &out, &out)
	stop()
	if code != 0 || !strings.Contains(out.String(), "passed") {
		t.Fatalf("verify --against a pipe: %d\n%s", code, out.String())
	}
}
