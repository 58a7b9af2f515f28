//go:build linux

package escape

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// origin starts an HTTP server on the host's loopback that answers with a
// marker, and returns its port.
func origin(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ORIGIN-REACHED host=%s\n", r.Host)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func proxiedProfile(*env) string {
	return `default_permissions = "p"

[permissions.p]
extends = ":workspace"

[permissions.p.network]
enabled = true

[permissions.p.network.domains]
"127.0.0.1" = "allow"
"denied.test" = "deny"
`
}

// Under a domains table the only way out is permc's proxy, reached
// through the relay inside the sandbox.
func TestProxiedNetwork(t *testing.T) {
	port := origin(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	cases := []struct {
		name   string
		script string
		want   expectation
	}{
		{"allowed-literal-through-the-relay", "curl -s " + url,
			expectation{code: 0, has: []string{"ORIGIN-REACHED"}}},
		{"localhost-not-allowlisted-gets-403", fmt.Sprintf("curl -s -w '%%{http_code}' http://localhost:%d/", port),
			expectation{code: 0, has: []string{"403"}, hasNot: []string{"ORIGIN-REACHED"}}},
		{"other-loopback-address-refused", fmt.Sprintf("curl -s -w '%%{http_code}' http://127.0.0.2:%d/", port),
			expectation{code: 0, has: []string{"403"}, hasNot: []string{"ORIGIN-REACHED"}}},
		{"decimal-spelling-refused", fmt.Sprintf("curl -s -w '%%{http_code}' http://2130706434:%d/", port),
			expectation{code: 0, has: []string{"403"}, hasNot: []string{"ORIGIN-REACHED"}}},
		{"direct-connection-ignoring-proxy-fails", "curl -s --noproxy '*' --max-time 5 " + url,
			expectation{code: -1, hasNot: []string{"ORIGIN-REACHED"}}},
		{"socks5h-through-the-relay", "curl -s -x socks5h://127.0.0.1:8081 " + url,
			expectation{code: 0, has: []string{"ORIGIN-REACHED"}}},
		{"proxy-variables-set", "echo $HTTPS_PROXY $ALL_PROXY npm=$npm_config_proxy no=[$NO_PROXY]",
			expectation{code: 0, has: []string{"http://127.0.0.1:3128 socks5h://127.0.0.1:8081 npm=http://127.0.0.1:3128 no=[]"}}},
		{"relay-memory-and-descriptors-closed",
			`for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline | grep -q '^/proc/self/exe __permc-relay' || continue; ` +
				`head -c1 $p/mem >/dev/null 2>&1 && echo MEM-READ; readlink $p/fd/3 >/dev/null 2>&1 && echo FD-READ; echo relay-found; done`,
			expectation{code: 0, has: []string{"relay-found"}, hasNot: []string{"MEM-READ", "FD-READ"}}},
		{"io-uring-refused-when-proxied", py + `'import ctypes,os; l=ctypes.CDLL(None,use_errno=True); r=l.syscall(425,1,0); print("ret", r, os.strerror(ctypes.get_errno()))'`,
			expectation{code: 0, has: []string{"ret -1 Operation not permitted"}}},
		{"host-unix-socket-refused-when-proxied", py + `'import socket; socket.socket(socket.AF_UNIX); print("CREATED")'`,
			expectation{code: -1, hasNot: []string{"CREATED"}}},
	}
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					e := newEnv(t, uid)
					e.expect(e.run(proxiedProfile(e), c.script), c.want)
				})
			}
		})
	}
}

// Two proxied runs at once both work: each has its own socket directory.
func TestParallelProxiedRuns(t *testing.T) {
	port := origin(t)
	var wg sync.WaitGroup
	results := make([]result, 2)
	envs := []*env{newEnv(t, identities(t)[0]), newEnv(t, identities(t)[0])}
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e := envs[i]
			results[i] = e.run(proxiedProfile(e), fmt.Sprintf("sleep 0.3; curl -s http://127.0.0.1:%d/", port))
		}(i)
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 || !strings.Contains(r.out, "ORIGIN-REACHED") {
			t.Errorf("run %d: exit %d\n%s", i, r.code, r.out)
		}
		if m, _ := filepath.Glob(filepath.Join(envs[i].state, "proxy-*")); len(m) != 0 {
			t.Errorf("run %d left its proxy directory behind: %v", i, m)
		}
	}
}

// The proxy looks names up outside the sandbox: a profile that lets the
// sandbox write the hosts file or the resolver's settings could send an
// allowed name anywhere, so permc refuses it before anything runs.
func TestResolverFilesReadOnly(t *testing.T) {
	for _, rule := range []string{`"/etc/hosts" = "write"`, `"/etc/nsswitch.conf" = "write"`, `"/etc/resolv.conf" = "write"`} {
		t.Run(rule, func(t *testing.T) {
			e := newEnv(t, identities(t)[0])
			profile := proxiedProfile(e) + "\n[permissions.p.filesystem]\n" + rule + "\n"
			e.expect(e.run(profile, "echo RAN"), expectation{code: 125,
				has: []string{"looks names up with it"}, hasNot: []string{"RAN"}})
		})
	}
	// Without a domains table no proxy runs, and nothing is refused.
	e := newEnv(t, identities(t)[0])
	e.expect(e.run("default_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n"+
		"[permissions.p.filesystem]\n\"/etc/hosts\" = \"write\"\n", "echo RAN"), expectation{code: 0, has: []string{"RAN"}})
}

// A second name of the hosts file in a writable root is not a path the
// rules see: a resolver file with more than one link, on the file system
// of a writable root, is refused. The hosts file is a copy bound over
// /etc/hosts in a mount namespace of the test's own.
func TestResolverFileHardLinkRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test mounts over /etc/hosts in its own mount namespace: run the suite as root")
	}
	e := newEnv(t, 0)
	hosts := e.file(filepath.Join(e.outside, "hosts"), "127.0.0.1 localhost\n")
	cfg := e.file(filepath.Join(e.state, "profile.toml"), proxiedProfile(e))
	for _, c := range []struct {
		name, link string
		refused    bool
	}{{"link-in-the-workspace", "ln " + hosts + " " + filepath.Join(e.ws, "hl") + " && ", true}, {"one-name", "", false}} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(filepath.Join(e.ws, "hl"))
			os.Remove(filepath.Join(e.ws, "RAN"))
			script := c.link + "mount --bind " + hosts + " /etc/hosts && exec " + permcBin +
				" run --system-layers=false -c " + cfg + " -C " + e.ws + " -- touch " + filepath.Join(e.ws, "RAN")
			out, err := e.inMountNamespace(script)
			_, statErr := os.Stat(filepath.Join(e.ws, "RAN"))
			if c.refused && (err == nil || !strings.Contains(string(out), "/etc/hosts has 2 hard links") || statErr == nil) {
				t.Errorf("err %v, ran %v, output:\n%s", err, statErr == nil, out)
			}
			if !c.refused && (err != nil || statErr != nil) {
				t.Errorf("err %v, output:\n%s", err, out)
			}
		})
	}
}
