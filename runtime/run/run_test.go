package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/ir"
)

func TestCheckWorkspaces(t *testing.T) {
	tests := []struct {
		dir, home string
		ok        bool
	}{
		{"/home/dev/proj", "/home/dev", true},
		{"/", "/home/dev", false},
		{"/home/dev", "/home/dev", false},
		{"/home", "/home/dev", false},
		{"/home/devx", "/home/dev", true},
		{"relative", "/home/dev", false},
		{"/sys", "/home/dev", false},
		{"/sys/kernel/mm", "/home/dev", false},
		{"/proc/sys", "/home/dev", false},
		{"/dev/shm", "/home/dev", false},
		{"/system", "/home/dev", true},
	}
	for _, tc := range tests {
		o := &Options{Dir: tc.dir, Home: tc.home}
		if err := o.checkWorkspaces(); (err == nil) != tc.ok {
			t.Errorf("workspace %s with home %s: err %v, want ok=%v", tc.dir, tc.home, err, tc.ok)
		}
	}
}

// A writable root from the environment or the command line is never a
// kernel file system: TMPDIR=/sys as root would let the sandbox write the
// host kernel's settings. Reached through a symlink, or mounted elsewhere,
// it is refused the same.
func TestCheckWorkspacesRefusesKernelFileSystems(t *testing.T) {
	link := filepath.Join(t.TempDir(), "tmp")
	if err := os.Symlink("/sys/kernel", link); err != nil {
		t.Fatal(err)
	}
	for _, tmpdir := range []string{"/sys", "/sys/kernel/mm", "/proc/sys", "/dev/shm", link} {
		o := &Options{Dir: "/home/dev/proj", Home: "/home/dev", Tmpdir: tmpdir}
		err := o.checkWorkspaces()
		if err == nil || !strings.Contains(err.Error(), "kernel's settings") {
			t.Errorf("TMPDIR=%s: err %v, want a refusal", tmpdir, err)
		}
	}
	o := &Options{Dir: "/home/dev/proj", Home: "/home/dev", Tmpdir: t.TempDir()}
	if err := o.checkWorkspaces(); err != nil {
		t.Errorf("a plain TMPDIR: %v", err)
	}
}

func TestProxyEnv(t *testing.T) {
	n := ir.DefaultNetPolicy()
	env := proxyEnv([]string{"PATH=/bin", "HTTP_PROXY=http://evil:1", "no_proxy=localhost", "KEEP=1"}, &n)
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s set twice", k)
		}
		got[k] = v
	}
	want := map[string]string{
		"HTTP_PROXY": "http://127.0.0.1:3128", "https_proxy": "http://127.0.0.1:3128",
		"ALL_PROXY": "socks5h://127.0.0.1:8081", "FTP_PROXY": "socks5h://127.0.0.1:8081",
		"npm_config_https_proxy": "http://127.0.0.1:3128", "PIP_PROXY": "http://127.0.0.1:3128",
		"NO_PROXY": "", "no_proxy": "", "PATH": "/bin", "KEEP": "1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	n.EnableSOCKS5 = false
	env = proxyEnv(nil, &n)
	if !cmp.Equal(true, strings.Contains(strings.Join(env, "\n"), "ALL_PROXY=http://127.0.0.1:3128")) {
		t.Errorf("without SOCKS5, ALL_PROXY must point at the HTTP proxy: %v", env)
	}
}
