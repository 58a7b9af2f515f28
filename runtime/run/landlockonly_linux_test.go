//go:build linux

package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permc/permc/backend/landlock"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// TestLandlockOnlyDetection: the mode is chosen when bwrap is missing or
// user namespaces are off, from a stat and sysctl reads, and the cause
// says what to do.
func TestLandlockOnlyDetection(t *testing.T) {
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		bwrap    bool
		setuid   bool
		euid     int
		sysctls  map[string]string
		profiles string // "" for an unreadable list
		want     string // substring of the cause, "" for none
	}{
		{name: "all-there", bwrap: true, euid: 1000, want: ""},
		{name: "no-bwrap", bwrap: false, euid: 1000, want: "bubblewrap is not installed"},
		{name: "no-bwrap-root", bwrap: false, euid: 0, want: "apt-get install bubblewrap"},
		{name: "max-userns-0", bwrap: true, euid: 0, sysctls: map[string]string{"user/max_user_namespaces": "0\n"},
			want: "user.max_user_namespaces = 0"},
		{name: "debian-clone-0", bwrap: true, euid: 1000,
			sysctls: map[string]string{"kernel/unprivileged_userns_clone": "0\n"}, want: "unprivileged_userns_clone = 0"},
		{name: "debian-clone-0-root", bwrap: true, euid: 0,
			sysctls: map[string]string{"kernel/unprivileged_userns_clone": "0\n"}, want: ""},
		{name: "debian-clone-0-setuid-bwrap", bwrap: true, setuid: true, euid: 1000,
			sysctls: map[string]string{"kernel/unprivileged_userns_clone": "0\n"}, want: ""},
		{name: "apparmor-no-profile", bwrap: true, euid: 1000,
			sysctls:  map[string]string{"kernel/apparmor_restrict_unprivileged_userns": "1\n"},
			profiles: "firefox (enforce)\nunprivileged_userns (enforce)\n", want: "AppArmor restricts"},
		{name: "apparmor-bwrap-profile", bwrap: true, euid: 1000,
			sysctls:  map[string]string{"kernel/apparmor_restrict_unprivileged_userns": "1\n"},
			profiles: "bwrap (unconfined)\n", want: ""},
		{name: "apparmor-list-unreadable", bwrap: true, euid: 1000,
			sysctls: map[string]string{"kernel/apparmor_restrict_unprivileged_userns": "1\n"}, want: ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			h := hostPaths{bwrap: filepath.Join(d, "bwrap"), procSys: filepath.Join(d, "sys"),
				profiles: filepath.Join(d, "profiles"), euid: c.euid}
			if c.bwrap {
				write(h.bwrap, "")
				if c.setuid {
					os.Chmod(h.bwrap, 0o755|os.ModeSetuid)
				}
			}
			for k, v := range c.sysctls {
				write(filepath.Join(h.procSys, k), v)
			}
			if c.profiles != "" {
				write(h.profiles, c.profiles)
			}
			got := h.bwrapUnavailable()
			switch {
			case c.want == "" && got != nil:
				t.Errorf("chose the Landlock-only mode: %+v", got)
			case c.want != "" && got == nil:
				t.Errorf("kept bubblewrap, want a cause with %q", c.want)
			case got != nil && !strings.Contains(got.why+" "+got.fix, c.want):
				t.Errorf("cause %+v, want %q in it", got, c.want)
			case got != nil && got.fix == "":
				t.Errorf("cause %+v says nothing to do", got)
			}
		})
	}
}

// TestLandlockOnlyNetwork: proxied network, unix_sockets entries and all
// unix sockets with the network off need namespaces; off and full do not.
func TestLandlockOnlyNetwork(t *testing.T) {
	at := ir.Origin{Pos: diag.Pos{File: "cfg.toml", Line: 7}, Profile: "p"}
	base := func() ir.NetPolicy {
		n := ir.DefaultNetPolicy()
		n.Origins = map[string]ir.Origin{"domains": at, "dangerously_allow_all_unix_sockets": at}
		return n
	}
	off, full, proxied, sock, allOff, allFull := base(), base(), base(), base(), base(), base()
	full.Enabled = true
	proxied.Enabled, proxied.HasDomains = true, true
	sock.UnixSockets = []ir.UnixSocketRule{{Path: "/run/x.sock", Allow: true, Origin: at}}
	allOff.DangerouslyAllowAllUnixSockets = true
	allFull.Enabled, allFull.DangerouslyAllowAllUnixSockets = true, true
	for _, c := range []struct {
		name string
		n    ir.NetPolicy
		want string
	}{
		{"off", off, ""}, {"full", full, ""}, {"all-unix-full", allFull, ""},
		{"proxied", proxied, "cfg.toml:7 (p): the domains table"},
		{"unix-socket-entry", sock, `cfg.toml:7 (p): unix_sockets entry "/run/x.sock"`},
		{"all-unix-off", allOff, "cfg.toml:7 (p): dangerously_allow_all_unix_sockets"},
	} {
		got := landlockOnlyNetwork(&c.n)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestNarrowDev: /dev keeps directory rights only under a grant on /,
// the implicit device grants stay, and /dev/pts is narrowed to permc's
// own terminals.
func TestNarrowDev(t *testing.T) {
	read := landlock.Set(1<<0 | 1<<2 | 1<<3) // execute, read_file, read_dir
	write := read | 1<<1 | 1<<8              // write_file, make_reg
	lr := &landlock.Resolved{HandledFS: 0xffff, Paths: []landlock.ResolvedPath{
		{Path: "/", Rights: read}, {Path: "/dev/null", Rights: write}, {Path: "/dev/pts", Rights: write | 1<<15},
	}}
	if err := narrowDev(lr); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want bool
	}{{"/usr/bin/true", true}, {"/etc/hostname", true}, {"/dev/null", true},
		{"/dev/full", false}, {"/dev/pts/999999", false}, {"/dev/shm/x", false}} {
		if got := lr.CanRead(c.path, false); got != c.want {
			t.Errorf("CanRead(%s) = %v, want %v", c.path, got, c.want)
		}
	}
	if !lr.CanRead("/dev", true) {
		t.Error("/dev cannot be listed")
	}
}

func TestIsPtsPath(t *testing.T) {
	for p, want := range map[string]bool{"/dev/pts/0": true, "/dev/pts/17": true, "/dev/pts/": false,
		"/dev/pts/ptmx": false, "/dev/pts/1/x": false, "/dev/tty": false, "/dev/pts/1a": false} {
		if got := isPtsPath(p); got != want {
			t.Errorf("isPtsPath(%q) = %v, want %v", p, got, want)
		}
	}
}
