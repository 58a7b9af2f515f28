//go:build linux

package bwrap

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/ir"
)

// The shared cases of ../shared/cases, run under /usr/bin/bwrap.

func TestCaseRestrictedRootWrite(t *testing.T) {
	forUIDs(t, func(t *testing.T, uid int) {
		ws := realTemp(t)
		opened(t, ws)
		res := resolveOK(t, restrictedPolicy(), Binding{WorkspaceRoots: []string{ws}}, Options{})
		r := sandbox(t, res, uid, fmt.Sprintf(`
			echo hi > /opt/report.txt; echo "opt=$?"
			echo hi > /report.txt; echo "root=$?"
			ls / >/dev/null 2>&1; echo "ls-root=$?"
			echo hi > %s/w.txt; echo "ws=$?"
			/usr/bin/env true; echo "env=$?"`, ws))
		got := lines(r.out, "")
		want := []string{"opt=2", "root=2", "ls-root=2", "ws=0", "env=0", ""}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s\nstderr: %s", diff, r.err)
		}
		if _, err := os.Stat("/opt/report.txt"); err == nil {
			t.Error("/opt/report.txt landed on the host")
		}
		if b, err := os.ReadFile(filepath.Join(ws, "w.txt")); err != nil || string(b) != "hi\n" {
			t.Errorf("workspace write did not land: %q %v", b, err)
		}
	})
}

func TestCaseDenyFileInReadableDir(t *testing.T) {
	for _, access := range []ir.Access{ir.Read, ir.Write} {
		t.Run(access.String(), func(t *testing.T) {
			forUIDs(t, func(t *testing.T, uid int) { denyFileInDir(t, uid, access) })
		})
	}
}

func denyFileInDir(t *testing.T, uid int, access ir.Access) {
	ws := realTemp(t)
	mkTree(t, ws, "notes/public.txt", "private/key.pem")
	must(t, os.WriteFile(filepath.Join(ws, "notes/secret.txt"), []byte("MARKER-7f3a\n"), 0o644))
	opened(t, ws)
	p := &ir.Policy{FS: ir.FSPolicy{Rules: []ir.FSRule{
		rule(ir.BaseMinimal, "", ir.Read, 4), rule(ir.BaseWorkspaceRoots, "", access, 7),
		rule(ir.BaseWorkspaceRoots, "notes/secret.txt", ir.Deny, 8),
		rule(ir.BaseWorkspaceRoots, "private", ir.Deny, 9)}}}
	res := resolveOK(t, p, Binding{WorkspaceRoots: []string{ws}}, Options{})
	r := sandbox(t, res, uid, fmt.Sprintf(`cd %s
		cat notes/public.txt >/dev/null; echo "public=$?"
		cat notes/secret.txt; echo "secret=$?"
		cat private/key.pem; echo "key=$?"
		ls private; echo "ls-private=$?"
		echo x > private/new; echo "write-private=$?"
		mkdir private/d; echo "mkdir-private=$?"
		echo x > notes/secret.txt; echo "write-secret=$?"
		rm -f notes/secret.txt; echo "rm-secret=$?"
		echo x > notes/new.txt; echo "write-notes=$?"`, ws))
	wantNotes := "write-notes=2"
	if access == ir.Write {
		wantNotes = "write-notes=0"
	}
	want := []string{"public=0", "secret=1", "key=1", "ls-private=2", "write-private=2",
		"mkdir-private=1", "write-secret=2", "rm-secret=1", wantNotes, ""}
	if diff := cmp.Diff(want, lines(r.out, "")); diff != "" {
		t.Errorf("(-want +got):\n%s\nstderr: %s", diff, r.err)
	}
	if strings.Contains(r.out, "MARKER") {
		t.Error("the secret's marker was printed")
	}
	if diff := cmp.Diff([]string{"key.pem"}, names(t, filepath.Join(ws, "private"))); diff != "" {
		t.Errorf("something landed in private on the host (-want +got):\n%s", diff)
	}
}

func names(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	must(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestCaseManyFileMasks(t *testing.T) {
	for _, n := range []int{0, 1, 2, 200} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ws := realTemp(t)
			var matched []string
			for i := range n {
				rel := fmt.Sprintf("d%d/s%d/k%03d.key", i%3, i%5, i)
				if i%10 == 1 {
					rel = fmt.Sprintf("d%d/.env.local", i)
				}
				matched = append(matched, rel)
			}
			mkTree(t, ws, append(matched, "src/main.go", "deep/a/b/c/d/e/x.key")...)
			res := resolveOK(t, caseProfiles()["many-file-masks"], Binding{WorkspaceRoots: []string{ws}}, Options{})
			if res.Mounts > DefaultMountCap {
				t.Errorf("%d mounts, over the cap", res.Mounts)
			}
			script := "true; echo start=$?\n"
			for _, m := range matched {
				script += fmt.Sprintf("cat %[1]s/%[2]s >/dev/null 2>&1 && echo read:%[2]s; "+
					"(echo x >> %[1]s/%[2]s) 2>/dev/null && echo wrote:%[2]s\n", ws, m)
			}
			script += fmt.Sprintf("cat %s/src/main.go >/dev/null && echo other=ok\n", ws)
			r := sandbox(t, res, os.Getuid(), script)
			if diff := cmp.Diff([]string{"start=0", "other=ok", ""}, lines(r.out, "")); diff != "" {
				t.Errorf("(-want +got):\n%s\nstderr: %s", diff, r.err)
			}
		})
	}
}

func TestCaseGlobManyMatches(t *testing.T) {
	ws := realTemp(t)
	errs := make(chan error, 2)
	for _, d := range []string{"x", "y"} {
		dir := filepath.Join(ws, "data", d, "cache")
		must(t, os.MkdirAll(dir, 0o755))
		go func() {
			for i := range 10000 {
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d", i)), nil, 0o644); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	must(t, <-errs)
	must(t, <-errs)
	mkTree(t, ws, "data/x/keep.txt")
	start := time.Now()
	res := resolveOK(t, caseProfiles()["glob-many-matches"], Binding{WorkspaceRoots: []string{ws}}, Options{})
	took := time.Since(start)
	var masks []string
	for _, o := range res.Ops {
		if o.Why == whyGlob {
			masks = append(masks, o.Op+" "+strings.TrimPrefix(o.Dest, ws))
		}
	}
	if diff := cmp.Diff([]string{"tmpfs /data/x/cache", "tmpfs /data/y/cache"}, masks); diff != "" {
		t.Errorf("the cache directories should be masked whole (-want +got):\n%s", diff)
	}
	if v := res.Globs[0].Visited; v > 10 {
		t.Errorf("glob walk visited %d entries; it should not enter matched directories", v)
	}
	t.Logf("resolve with the glob took %v, %d mounts", took, res.Mounts)
	r := sandbox(t, res, os.Getuid(), fmt.Sprintf(`echo hello
		cat %[1]s/data/x/cache/f00042; echo "cached=$?"
		ls %[1]s/data/y/cache >/dev/null; echo "ls-cache=$?"
		cat %[1]s/data/x/keep.txt >/dev/null; echo "keep=$?"`, ws))
	want := []string{"hello", "cached=1", "ls-cache=2", "keep=0", ""}
	if diff := cmp.Diff(want, lines(r.out, "")); diff != "" {
		t.Errorf("(-want +got):\n%s\nstderr: %s", diff, r.err)
	}
}

func TestCaseNonRepoWorkspace(t *testing.T) {
	forUIDs(t, func(t *testing.T, uid int) {
		ws := realTemp(t)
		mkTree(t, ws, "projects/a/.git/HEAD", "projects/b/.git/HEAD", "README")
		opened(t, ws)
		before := listTree(t, ws)
		res := resolveOK(t, workspacePolicy(), Binding{WorkspaceRoots: []string{ws}}, Options{})
		r := sandbox(t, res, uid, fmt.Sprintf(`cd %s
			mkdir .codex; echo "mkdir-codex=$?"
			mkdir .git; echo "mkdir-git=$?"
			touch .agents/x; echo "touch-agents=$?"
			rmdir .codex; echo "rmdir-codex=$?"
			echo x >> README; echo "readme=$?"`, ws))
		want := []string{"mkdir-codex=1", "mkdir-git=1", "touch-agents=1", "rmdir-codex=1", "readme=0", ""}
		if diff := cmp.Diff(want, lines(r.out, "")); diff != "" {
			t.Errorf("(-want +got):\n%s\nstderr: %s", diff, r.err)
		}
		if diff := cmp.Diff(before, listTree(t, ws)); diff != "" {
			t.Errorf("the workspace changed (-before +after):\n%s", diff)
		}
	})
}

func TestCaseSymlinkedMetadata(t *testing.T) {
	tests := []struct {
		name   string
		tree   []string
		link   string
		script string
		want   []string
	}{
		{"codex", []string{"settings/config.toml", ".codex -> settings"}, ".codex",
			`touch .codex/x; echo "through=$?"; touch settings/x; echo "target=$?"`,
			[]string{"through=1", "target=1"}},
		{"agents", []string{"tools/agents/a.md", ".agents -> tools/agents"}, ".agents",
			`touch .agents/y; echo "through=$?"; touch tools/agents/y; echo "target=$?"; touch tools/z; echo "tools=$?"`,
			[]string{"through=1", "target=1", "tools=0"}},
		{"git", []string{"src/a.go"}, ".git",
			`touch .git/x; echo "through=$?"
			git -c user.name=t -c user.email=t@t commit -q --allow-empty -m x 2>/dev/null; echo "commit=$?"`,
			[]string{"through=1", "commit=128"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forUIDs(t, func(t *testing.T, uid int) {
				ws, out := realTemp(t), realTemp(t)
				mkTree(t, ws, tc.tree...)
				if tc.name == "git" {
					gitInit(t, out)
					must(t, os.Symlink(filepath.Join(out, ".git"), filepath.Join(ws, ".git")))
				}
				exe, _ := os.Executable()
				opened(t, ws, out, filepath.Dir(exe))
				before := readlink(t, filepath.Join(ws, tc.link))
				res := resolveOK(t, workspacePolicy(), Binding{WorkspaceRoots: []string{ws}}, Options{PinLinks: true})
				if len(res.Pins) != 1 {
					t.Fatalf("pins = %v, want the link", res.Pins)
				}
				script := fmt.Sprintf(`cd %s
					%s
					rm %[3]s; echo "rm=$?"
					mv %[3]s moved; echo "mv=$?"
					ln -sfn /tmp %[3]s; echo "ln=$?"
					mv %[1]s %[1]s-moved; echo "ws=$?"`, ws, tc.script, tc.link)
				r := sandbox(t, res, uid, script)
				want := append(append([]string(nil), tc.want...), "rm=1", "mv=1", "ln=1", "ws=1", "")
				if diff := cmp.Diff(want, lines(r.out, "")); diff != "" {
					t.Errorf("(-want +got):\n%s\nstderr: %s", diff, r.err)
				}
				if after := readlink(t, filepath.Join(ws, tc.link)); after != before {
					t.Errorf("link now says %q, was %q", after, before)
				}
			})
		})
	}
}

func readlink(t *testing.T, p string) string {
	s, err := os.Readlink(p)
	must(t, err)
	return s
}

// gitInit makes dir a repository with one commit.
func gitInit(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{{"init", "-q", "-b", "main"},
		{"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "init"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

func TestCaseWorktreeExplicitWrite(t *testing.T) {
	tests := []struct {
		name   string
		policy func(main string) *ir.Policy
		commit string
	}{
		{"explicit write on the common dir", func(main string) *ir.Policy {
			return workspacePolicy(rule(ir.BaseAbs, main+"/.git", ir.Write, 7))
		}, "commit=0"},
		{"protected without the rule", func(string) *ir.Policy { return workspacePolicy() }, "commit=128"},
		{"restricted root without the rule", func(string) *ir.Policy {
			p := restrictedPolicy()
			p.FS.ProtectMetadata = true
			return p
		}, "commit=128"},
		{"restricted root with the rule", func(main string) *ir.Policy {
			p := restrictedPolicy(rule(ir.BaseAbs, main+"/.git", ir.Write, 7))
			p.FS.ProtectMetadata = true
			return p
		}, "commit=0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			main, parent := realTemp(t), realTemp(t)
			gitInit(t, main)
			ws := filepath.Join(parent, "feature")
			cmd := exec.Command("git", "worktree", "add", "-q", ws)
			cmd.Dir = main
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git worktree add: %v\n%s", err, out)
			}
			res := resolveOK(t, tc.policy(main), Binding{WorkspaceRoots: []string{ws}}, Options{})
			gitdir := filepath.Join(main, ".git", "worktrees", "feature")
			if got := res.LinkedGitDirs[ws]; got != gitdir {
				t.Fatalf("linked gitdir = %q, want %q", got, gitdir)
			}
			r := sandbox(t, res, os.Getuid(), fmt.Sprintf(`cd %s
				cat %s/HEAD >/dev/null; echo "head=$?"
				git -c user.name=t -c user.email=t@t commit -q --allow-empty -m x 2>/dev/null; echo "commit=$?"`,
				ws, gitdir))
			if diff := cmp.Diff([]string{"head=0", tc.commit, ""}, lines(r.out, "")); diff != "" {
				t.Errorf("(-want +got):\n%s\nstderr: %s\nops:\n%s", diff, r.err, opsText(res))
			}
		})
	}
}

// TestRandomPlansUnderBwrap runs a few generated plans for real and checks
// every probe against the simulator, so the simulator's model of
// bubblewrap is itself tested.
func TestRandomPlansUnderBwrap(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomPlanUnderBwrap(t, seed) })
	}
}

func randomPlanUnderBwrap(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	ws := realTemp(t)
	rels := genTree(t, rng, ws)
	p := genPolicy(rng, ws, rels)
	// The probes need a shell.
	p.FS.Rules = append(p.FS.Rules, rule(ir.BaseMinimal, "", ir.Read, 99))
	plan, _ := Compile(p)
	res, diags := Resolve(plan, Binding{WorkspaceRoots: []string{ws}},
		Options{MaskFile: maskFile(t), PinLinks: true})
	if diags.HasErrors() {
		t.Fatalf("resolve: %v", diags)
	}
	var paths []string
	for _, pr := range probes(t, ws) {
		if within(pr, ws) {
			paths = append(paths, pr)
		}
	}
	script := ""
	for i, pr := range paths {
		script += fmt.Sprintf(`p=%q; e=-; r=-; w=-
			if [ -e "$p" ]; then e=e; if [ -d "$p" ]; then ls "$p" >/dev/null 2>&1 && r=r
				touch "$p/.probe" 2>/dev/null && rm -f "$p/.probe" && w=w
			else cat "$p" >/dev/null 2>&1 && r=r; (: >> "$p") 2>/dev/null && w=w; fi
			else mkdir -p "$p" 2>/dev/null && w=w && rmdir "$p" 2>/dev/null; fi
			echo "%d $e$r$w"
`, pr, i)
	}
	r := sandbox(t, res, os.Getuid(), script)
	sim := Simulate(res)
	want := []string{}
	for i, pr := range paths {
		s := sim.Look(pr)
		v := map[bool]string{true: "e", false: "-"}[s.Exists] + map[bool]string{true: "r", false: "-"}[s.Read] +
			map[bool]string{true: "w", false: "-"}[s.Write]
		want = append(want, fmt.Sprintf("%d %s", i, v))
	}
	got := lines(r.out, "")
	got = got[:len(got)-1]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bwrap differs from the simulator (-sim +bwrap):\n%s\npaths: %q\nops:\n%s\nstderr: %s",
			diff, paths, opsText(res), r.err)
	}
}

// TestRuntimeMasksAsRoot shows why the runtime masks root-only secrets
// when permc runs as root: the kernel still sees root inside, the owner
// of /etc/shadow, so only a mask keeps it unreadable.
func TestRuntimeMasksAsRoot(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the case exists only when permc runs as root")
	}
	tests := []struct {
		name  string
		masks []Mask
		want  []string
	}{
		{"without a mask", nil, []string{"shadow=0", "passwd=0", ""}},
		{"with a runtime mask", []Mask{{Path: "/etc/shadow", Origin: ir.Origin{Profile: "root-secrets"}}},
			[]string{"shadow=1", "passwd=0", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := realTemp(t)
			res := resolveOK(t, workspacePolicy(), Binding{WorkspaceRoots: []string{ws}}, Options{Masks: tc.masks})
			r := sandbox(t, res, os.Getuid(), `cat /etc/shadow >/dev/null 2>&1; echo "shadow=$?"
				cat /etc/passwd >/dev/null; echo "passwd=$?"`)
			if diff := cmp.Diff(tc.want, lines(r.out, "")); diff != "" {
				t.Errorf("(-want +got):\n%s\nstderr: %s", diff, r.err)
			}
		})
	}
}

// TestRenameCannotCarryProtectionsAway renames the parents of protected
// paths: a mount moves with its directory, so without pinned parents the
// sandbox could recreate .git or a read-only path with its own content.
func TestRenameCannotCarryProtectionsAway(t *testing.T) {
	forUIDs(t, func(t *testing.T, uid int) {
		ws := realTemp(t)
		mkTree(t, ws, ".git/config", "docs/gen/f", "notes/a/secret")
		opened(t, filepath.Dir(ws))
		p := workspacePolicy(rule(ir.BaseWorkspaceRoots, "docs/gen", ir.Read, 5),
			rule(ir.BaseWorkspaceRoots, "notes/a/secret", ir.Deny, 6))
		res := resolveOK(t, p, Binding{WorkspaceRoots: []string{ws}}, Options{})
		r := sandbox(t, res, uid, fmt.Sprintf(`cd %s
			mv %[1]s %[1]s-moved; echo "ws=$?"
			mv docs docs-moved; echo "docs=$?"
			mv notes/a notes/b; echo "notes=$?"
			mv .git git-moved; echo "git=$?"
			mkdir src && mv src src2 && echo "plain=0"`, ws))
		want := []string{"ws=1", "docs=1", "notes=1", "git=1", "plain=0", ""}
		if diff := cmp.Diff(want, lines(r.out, "")); diff != "" {
			t.Errorf("(-want +got):\n%s\nstderr: %s\nops:\n%s", diff, r.err, opsText(res))
		}
	})
}
