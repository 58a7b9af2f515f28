//go:build linux

package escape

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// permc proxy, the command: it serves the profile's proxy_url, decides
// each request by the policy, logs one line per decision, and exits 0 on
// SIGTERM; a profile without a domains table, or a stray argument, is
// refused.
func TestProxyCommand(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	port := origin(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := l.Addr().String()
	l.Close()
	cfg := e.file(filepath.Join(e.state, "proxy.toml"), strings.Replace(proxiedProfile(e), "enabled = true\n",
		fmt.Sprintf("enabled = true\nproxy_url = \"http://%s\"\n", listen), 1))
	cmd := exec.Command(permcBin, "proxy", "--system-layers=false", "-c", cfg)
	var log bytes.Buffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var c net.Conn
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err = net.Dial("tcp", listen); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("permc proxy does not listen on %s: %v\n%s", listen, err, log.String())
		}
	}
	get := func(target string) string {
		c, err := net.Dial("tcp", listen)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET http://%s/ HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, target)
		out, _ := io.ReadAll(bufio.NewReader(c))
		return string(out)
	}
	allowed := fmt.Sprintf("127.0.0.1:%d", port)
	if got := get(allowed); !strings.HasPrefix(got, "HTTP/1.1 200") ||
		!strings.Contains(got, "ORIGIN-REACHED") {
		t.Errorf("allowed origin through permc proxy:\n%s", got)
	}
	for _, target := range []string{fmt.Sprintf("127.0.0.2:%d", port), fmt.Sprintf("denied.test:%d", port)} {
		if got := get(target); !strings.HasPrefix(got, "HTTP/1.1 403") ||
			strings.Contains(got, "ORIGIN-REACHED") {
			t.Errorf("%s through permc proxy:\n%s", target, got)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("permc proxy exited %d on SIGTERM (%v)\n%s", code, err, log.String())
	}
	for _, want := range []string{allowed, "denied.test", "127.0.0.2"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log has no decision for %s:\n%s", want, log.String())
		}
	}

	off := e.file(filepath.Join(e.state, "off.toml"),
		"default_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n")
	out, _ := exec.Command(permcBin, "proxy", "--system-layers=false", "-c", off).CombinedOutput()
	if !strings.Contains(string(out), "network.domains table") {
		t.Errorf("proxy for a profile without domains:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"proxy", "--system-layers=false", "-c", off}, 1},
		{[]string{"proxy", "--system-layers=false", "-c", cfg, "extra"}, 2},
		{[]string{"version"}, 0},
	} {
		cmd := exec.Command(permcBin, c.args...)
		out, _ := cmd.CombinedOutput()
		if got := cmd.ProcessState.ExitCode(); got != c.code {
			t.Errorf("permc %s: exit %d, want %d\n%s", strings.Join(c.args, " "), got, c.code, out)
		}
		if c.args[0] == "version" && !strings.HasPrefix(string(out), "permc ") {
			t.Errorf("permc version printed %q", out)
		}
	}
}
