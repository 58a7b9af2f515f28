//go:build linux

package escape

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func plainWorkspace(*env) string { return "default_permissions = \":workspace\"\n" }

// The case symlinked-metadata: .codex, .agents and .git as symlinks.
var symlinkCases = []escapeCase{
	{"codex-symlink-to-inside-dir", plainWorkspace,
		func(e *env) {
			e.file(filepath.Join(e.ws, "settings", "s.toml"), "x")
			os.Symlink("settings", filepath.Join(e.ws, ".codex"))
		},
		s("touch .codex/x; touch settings/x; rm .codex; ln -sfn /tmp .codex; cat settings/s.toml"),
		func(e *env) expectation {
			return expectation{code: 0, has: []string{"x"}, hostNot: []string{
				filepath.Join(e.ws, "settings", "x")}, links: map[string]string{filepath.Join(e.ws, ".codex"): "settings"}}
		}},
	{"agents-symlink-to-directory", plainWorkspace,
		func(e *env) {
			e.mkdir(filepath.Join(e.ws, "tools", "agents"))
			os.Symlink("tools/agents", filepath.Join(e.ws, ".agents"))
		},
		s("touch .agents/y; touch tools/agents/y; mv .agents a2; rm -f .agents; echo done"),
		func(e *env) expectation {
			return expectation{code: 0, has: []string{"done"}, hostNot: []string{filepath.Join(e.ws, "tools", "agents", "y")},
				links: map[string]string{filepath.Join(e.ws, ".agents"): "tools/agents"}}
		}},
	{"git-symlink-to-outside-gitdir", plainWorkspace,
		func(e *env) {
			e.file(filepath.Join(e.outside, "repo.git", "HEAD"), "ref: refs/heads/main\n")
			os.Symlink(filepath.Join(e.outside, "repo.git"), filepath.Join(e.ws, ".git"))
		},
		s("touch .git/x; ln -sfn /tmp .git; cat .git/HEAD"),
		func(e *env) expectation {
			return expectation{code: 0, has: []string{"ref: refs/heads/main"},
				hostNot: []string{filepath.Join(e.outside, "repo.git", "x")},
				links:   map[string]string{filepath.Join(e.ws, ".git"): filepath.Join(e.outside, "repo.git")}}
		}},
}

// worktree lays out a linked worktree whose gitdir lies outside.
func worktree(e *env) {
	common := filepath.Join(e.outside, "app", ".git")
	gitdir := filepath.Join(common, "worktrees", "feature")
	e.file(filepath.Join(gitdir, "HEAD"), "ref: refs/heads/feature\n")
	e.file(filepath.Join(gitdir, "gitdir"), filepath.Join(e.ws, ".git")+"\n")
	e.file(filepath.Join(gitdir, "commondir"), "../..\n")
	e.file(filepath.Join(e.ws, ".git"), "gitdir: "+gitdir+"\n")
}

var worktreeCases = []escapeCase{
	{"worktree-explicit-write-wins",
		func(e *env) string {
			return fmt.Sprintf("default_permissions = \"dev\"\n[permissions.dev]\nextends = \":workspace\"\n"+
				"[permissions.dev.filesystem]\n%q = \"write\"\n", filepath.Join(e.outside, "app", ".git"))
		},
		worktree,
		func(e *env) string {
			return "touch " + filepath.Join(e.outside, "app", ".git", "worktrees", "feature", "index") + " && echo COMMITTED"
		},
		succeed("COMMITTED")},
	{"worktree-gitdir-read-only-without-rule",
		func(e *env) string {
			return "default_permissions = \"dev\"\n[permissions.dev]\nextends = \":workspace\"\n" +
				"[permissions.dev.filesystem]\n\":root\" = \"deny\"\n\":minimal\" = \"read\"\n"
		},
		worktree,
		func(e *env) string {
			gd := filepath.Join(e.outside, "app", ".git", "worktrees", "feature")
			return "cat " + filepath.Join(gd, "HEAD") + " && touch " + filepath.Join(gd, "index")
		},
		func(e *env) expectation {
			return expectation{code: -1, has: []string{"refs/heads/feature"},
				hostNot: []string{filepath.Join(e.outside, "app", ".git", "worktrees", "feature", "index")}}
		}},
}

// The case non-repo-workspace: several repositories below the workspace.
var nonRepoCase = escapeCase{"non-repo-workspace", plainWorkspace,
	func(e *env) {
		e.file(filepath.Join(e.ws, "projects", "a", ".git", "HEAD"), "x")
		e.file(filepath.Join(e.ws, "projects", "b", ".git", "HEAD"), "x")
		e.file(filepath.Join(e.ws, "projects", "a", "src.txt"), "src")
	},
	s("echo edit >> projects/a/src.txt && mkdir .codex 2>/dev/null; echo started"),
	func(e *env) expectation {
		return expectation{code: 0, has: []string{"started"},
			hostNot: []string{filepath.Join(e.ws, ".git"), filepath.Join(e.ws, ".codex"), filepath.Join(e.ws, ".agents")}}
	}}

// The cases glob-many-matches and many-file-masks.
func manyFiles(dirs []string, n int) func(*env) {
	return func(e *env) {
		for _, d := range dirs {
			e.mkdir(filepath.Join(e.ws, d))
			for i := 0; i < n; i++ {
				p := filepath.Join(e.ws, d, fmt.Sprintf("f%d", i))
				if err := os.WriteFile(p, []byte(marker), 0o644); err != nil {
					e.t.Fatal(err)
				}
				os.Chown(p, e.as, e.as)
			}
		}
	}
}

func globProfile(glob string, depth int) func(*env) string {
	return func(*env) string {
		return fmt.Sprintf("default_permissions = \"p\"\n[permissions.p]\nextends = \":workspace\"\n"+
			"[permissions.p.filesystem]\nglob_scan_max_depth = %d\n"+
			"[permissions.p.filesystem.\":workspace_roots\"]\n%q = \"deny\"\n", depth, glob)
	}
}

var globCases = []escapeCase{
	{"glob-many-matches", globProfile("data/*/cache/**", 6), manyFiles([]string{"data/x/cache", "data/y/cache"}, 10000),
		s("echo hello; cat data/x/cache/f9999 data/y/cache/f1; echo x > data/x/cache/f2"),
		func(*env) expectation { return expectation{code: -1, has: []string{"hello"}, hasNot: []string{marker}} }},
}

func init() {
	for _, n := range []int{0, 1, 2, 200} {
		n := n
		globCases = append(globCases, escapeCase{fmt.Sprintf("many-file-masks-%d", n), globProfile("**/*.key", 4),
			func(e *env) {
				for i := 0; i < n; i++ {
					e.file(filepath.Join(e.ws, fmt.Sprintf("d%d", i%7), fmt.Sprintf("k%d.key", i)), marker)
				}
			},
			s("true && cat d*/k*.key; for f in d*/k*.key; do [ -e \"$f\" ] && { echo w >> \"$f\" && echo WROTE; }; done; echo started"),
			func(*env) expectation {
				return expectation{code: 0, has: []string{"started"}, hasNot: []string{marker, "WROTE"}}
			}})
	}
}

func TestEscapeLayouts(t *testing.T) {
	var cases []escapeCase
	for _, g := range [][]escapeCase{symlinkCases, worktreeCases, {nonRepoCase}, globCases} {
		cases = append(cases, g...)
	}
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					e := newEnv(t, uid)
					c.setup(e)
					e.expect(e.run(c.profile(e), c.script(e)), c.want(e))
				})
			}
		})
	}
}

// The case inherited-descriptors: what the caller left open stays out.
func TestInheritedDescriptors(t *testing.T) {
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			e := newEnv(t, uid)
			layout(e)
			dir, err := os.Open(filepath.Join(e.outside, "private"))
			if err != nil {
				t.Fatal(err)
			}
			file, _ := os.Open(filepath.Join(e.outside, "private", "x"))
			rw, _ := os.OpenFile(filepath.Join(e.ws, "secret.txt"), os.O_RDWR, 0)
			defer dir.Close()
			defer file.Close()
			defer rw.Close()
			e.fds = []*os.File{nil, nil, nil, nil, dir, file, rw} // descriptors 7, 8, 9
			r := e.run(workspaceProfile(e), "ls /proc/self/fd; ls /proc/self/fd/7/; cat <&8; echo x >&9; cd /proc/self/fd/7/.. && ls; echo done")
			e.expect(r, expectation{code: 0, has: []string{"done"}, hasNot: []string{marker, "\n7\n", "\n8\n", "\n9\n"}})
			if data, _ := os.ReadFile(filepath.Join(e.ws, "secret.txt")); string(data) != marker {
				t.Errorf("secret.txt changed on the host: %q", data)
			}
		})
	}
}

// Two runs on one workspace, one killed midway: the other stays protected
// and nothing is left behind when it ends.
func TestConcurrentRunsKeepProtection(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	long := make(chan result, 1)
	go func() {
		long <- e.run(plainWorkspace(e), "sleep 2; mkdir .codex/x 2>/dev/null && echo BREACH || echo PROTECTED")
	}()
	time.Sleep(300 * time.Millisecond)
	cfg := e.file(filepath.Join(e.state, "p2.toml"), plainWorkspace(e))
	short := exec.Command(permcBin, "run", "--system-layers=false", "-c", cfg, "-C", e.ws, "--", "sleep", "30")
	short.Env = []string{"PATH=/usr/bin:/bin", "PERMC_STATE_DIR=" + e.state, "HOME=" + filepath.Dir(e.ws)}
	if err := short.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	short.Process.Signal(syscall.SIGKILL)
	short.Wait()
	r := <-long
	e.expect(r, expectation{code: 0, has: []string{"PROTECTED"}, hasNot: []string{"BREACH"},
		hostNot: []string{filepath.Join(e.ws, ".codex"), filepath.Join(e.ws, ".agents")}})
	if _, err := os.Lstat(filepath.Join(e.ws, ".git", "config")); err != nil {
		t.Errorf("the workspace's real .git was removed: %v", err)
	}
}

// A child that daemonises stays confined and dies with the sandbox.
func TestDaemonDiesWithSandbox(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	r := e.run(readOnlyProfile(e), "setsid sleep 301.777 </dev/null >/dev/null 2>&1 & echo started")
	e.expect(r, expectation{code: 0, has: []string{"started"}})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("pgrep", "-f", "sleep 301.777").Output()
		if strings.TrimSpace(string(out)) == "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Error("a daemonised child outlived the sandbox")
}

// A deny glob's cache cannot be poisoned by resetting directory times
// from inside the sandbox: a file created and hidden that way is still
// masked on the next run.
func TestGlobCachePoisoning(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	prof := globProfile("**/*.env", 3)(e)
	e.expect(e.run(prof, "true"), expectation{code: 0})
	fi, err := os.Stat(e.ws)
	if err != nil {
		t.Fatal(err)
	}
	old := fi.ModTime().Format("200601021504.05")
	r := e.run(prof, "echo "+marker+" > new.env && touch -m -t "+old+" . && echo planted")
	e.expect(r, expectation{code: 0, has: []string{"planted"}})
	if fi2, _ := os.Stat(e.ws); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Logf("mtime not fully reset (%v vs %v); the attack is weaker but the check stands", fi2.ModTime(), fi.ModTime())
	}
	e.expect(e.run(prof, "cat new.env"), expectation{code: -1, hasNot: []string{marker}})
}

// A deny glob's cache entry is used before its directories are checked,
// and checked once the mounts are made. A match added since the entry
// was made is caught there: the sandbox is started again with a fresh
// scan, and the new file is masked. A match removed since is seen before
// anything is mounted: no placeholder is made for it, and the sandbox
// starts once.
func TestGlobCacheOutOfDate(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	prof := globProfile("**/*.env", 3)(e)
	e.expect(e.run(prof, "true"), expectation{code: 0})
	e.extra = []string{"-v"}
	defer func() { e.extra = nil }()

	e.file(filepath.Join(e.ws, "a", "b", "added.env"), marker)
	r := e.run(prof, "cat a/b/added.env; echo done")
	e.expect(r, expectation{code: 0, has: []string{"done", "out of date; scanning again"}, hasNot: []string{marker, "inner stage"}})
	if n := strings.Count(r.out, "mount plan:"); n != 2 {
		t.Errorf("the sandbox was planned %d times, want 2 (once from the cache, once after a fresh scan):\n%s", n, r.out)
	}
	r = e.run(prof, "cat a/b/added.env; echo done")
	e.expect(r, expectation{code: 0, has: []string{"done", "3 deny-glob masks\n"},
		hasNot: []string{marker, "out of date"}})

	gone := filepath.Join(e.ws, "a", "b", "added.env")
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	r = e.run(prof, "ls -d a/b/added.env 2>&1; echo done")
	e.expect(r, expectation{code: 0, has: []string{"done", "No such file"}, hasNot: []string{"out of date"}, hostNot: []string{gone}})
	if n := strings.Count(r.out, "mount plan:"); n != 1 {
		t.Errorf("the sandbox was planned %d times, want 1:\n%s", n, r.out)
	}
}
