package ir

import (
	"testing"
)

func rule(base BaseKind, path string, a Access) FSRule {
	return FSRule{Base: base, Path: path, Access: a, Glob: HasGlobMeta(path)}
}

func TestDecide(t *testing.T) {
	b := Binding{Home: "/home/dev", Tmpdir: "/tmp/t", SlashTmp: true, WorkspaceRoots: []string{"/home/dev/ws"}}
	workspace := &Policy{Name: ":workspace", FS: FSPolicy{ProtectMetadata: true, Rules: []FSRule{
		rule(BaseRoot, "", Read), rule(BaseWorkspaceRoots, "", Write),
		rule(BaseTmpdir, "", Write), rule(BaseSlashTmp, "", Write),
	}}}
	docs := &Policy{FS: FSPolicy{Rules: []FSRule{
		rule(BaseHome, "Documents", Deny), rule(BaseHome, "Documents/codex", Write),
		rule(BaseMinimal, "", Read),
	}}}
	edit := &Policy{FS: FSPolicy{GlobScanMaxDepth: 2, Rules: []FSRule{
		rule(BaseMinimal, "", Read),
		rule(BaseWorkspaceRoots, "", Write), rule(BaseWorkspaceRoots, ".devcontainer", Read),
		rule(BaseWorkspaceRoots, "**/*.env", Deny), rule(BaseWorkspaceRoots, "notes/secret.txt", Deny),
		rule(BaseAbs, "/home/dev/ws/notes/secret.txt", Read),
	}}}
	etcDeny := &Policy{FS: FSPolicy{Rules: []FSRule{
		rule(BaseRoot, "", Read), rule(BaseAbs, "/etc/secret", Deny), rule(BaseAbs, "/tmp/x", Deny),
	}}}
	tests := []struct {
		name string
		p    *Policy
		t    Target
		path string
		want Access
	}{
		{"workspace root readable", workspace, Linux, "/etc/passwd", Read},
		{"workspace writable", workspace, Linux, "/home/dev/ws/a/b", Write},
		{"git read-only", workspace, Linux, "/home/dev/ws/.git/config", Read},
		{"codex read-only even missing", workspace, Linux, "/home/dev/ws/.codex", Read},
		{"tmp writable", workspace, Linux, "/tmp/x", Write},
		{"documents denied", docs, Linux, "/home/dev/Documents/x", Deny},
		{"documents reopened", docs, Linux, "/home/dev/Documents/codex/y", Write},
		{"minimal usr", docs, Linux, "/usr/lib/x", Read},
		{"no rule", docs, Linux, "/opt/x", Deny},
		{"dev null implicit", docs, Linux, "/dev/null", Write},
		{"devcontainer read", edit, Linux, "/home/dev/ws/.devcontainer/x", Read},
		{"env glob", edit, Linux, "/home/dev/ws/a/.env", Deny},
		{"env glob beyond depth", edit, Linux, "/home/dev/ws/a/b/c.env", Write},
		{"env glob macos unlimited", edit, MacOS, "/home/dev/ws/a/b/c.env", Deny},
		{"deny beats read at equal depth", edit, Linux, "/home/dev/ws/notes/secret.txt", Deny},
		{"macos deny folds case", docs, MacOS, "/home/dev/DOCUMENTS/x", Deny},
		{"macos tmp alias", workspace, MacOS, "/private/tmp/x", Write},
		{"macos etc link in another case", etcDeny, MacOS, "/ETC/Secret", Deny},
		{"macos tmp link in another case", etcDeny, MacOS, "/Tmp/x", Deny},
		{"linux etc in another case is another file", etcDeny, Linux, "/ETC/secret", Read},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.p, tc.t, b, tc.path)
			if got.Access() != tc.want {
				t.Errorf("Decide(%s) = %v, want %v (by %+v)", tc.path, got.Access(), tc.want, got.By)
			}
		})
	}
}

func TestDecideWorktree(t *testing.T) {
	b := Binding{Home: "/home/dev", WorkspaceRoots: []string{"/home/dev/src/feature"},
		LinkedGitDirs: map[string]string{"/home/dev/src/feature": "/home/dev/src/app/.git/worktrees/feature"}}
	base := []FSRule{rule(BaseRoot, "", Deny), rule(BaseMinimal, "", Read), rule(BaseWorkspaceRoots, "", Write)}
	p := &Policy{FS: FSPolicy{ProtectMetadata: true, Rules: base}}
	if got := Decide(p, Linux, b, "/home/dev/src/app/.git/worktrees/feature/HEAD"); got.Access() != Read {
		t.Errorf("gitdir without rule = %v, want read", got.Access())
	}
	p2 := &Policy{FS: FSPolicy{ProtectMetadata: true, Rules: append(base, rule(BaseAbs, "/home/dev/src/app/.git", Write))}}
	if got := Decide(p2, Linux, b, "/home/dev/src/app/.git/worktrees/feature/HEAD"); got.Access() != Write {
		t.Errorf("gitdir with explicit rule = %v, want write", got.Access())
	}
	p3 := &Policy{FS: FSPolicy{ProtectMetadata: true, Rules: append(base, rule(BaseAbs, "/home/dev", Write))}}
	if got := Decide(p3, Linux, b, "/home/dev/src/feature/.git"); got.Access() != Read {
		t.Errorf("ancestor containing the root must not unprotect: %v", got.Access())
	}
}

func TestDecideGitDirCaps(t *testing.T) {
	b := Binding{Home: "/home/dev", SlashTmp: true, WorkspaceRoots: []string{"/tmp/ws"},
		GitDirCaps: map[string][]string{"/tmp/ws": {"/tmp/main/.git", "/srv/denied/.git"}}}
	p := &Policy{FS: FSPolicy{ProtectMetadata: true, Rules: []FSRule{
		rule(BaseRoot, "", Read), rule(BaseWorkspaceRoots, "", Write), rule(BaseSlashTmp, "", Write),
		rule(BaseAbs, "/srv/denied", Deny),
	}}}
	tests := []struct {
		path string
		want Access
	}{
		{"/tmp/main/.git/hooks/pre-commit", Read}, // capped: /tmp would make it writable
		{"/tmp/main/src", Write},                  // outside the capped directory
		{"/srv/denied/.git/config", Deny},         // a cap never makes anything readable
	}
	for _, tc := range tests {
		if got := Decide(p, Linux, b, tc.path).Access(); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.path, got, tc.want)
		}
	}
	explicit := &Policy{FS: FSPolicy{ProtectMetadata: true, Rules: append(p.FS.Rules, rule(BaseAbs, "/tmp/main/.git", Write))}}
	if got := Decide(explicit, Linux, b, "/tmp/main/.git/hooks/x").Access(); got != Write {
		t.Errorf("an explicit rule on the common directory must win: %v", got)
	}
}

// ReadsBelow never says no where some path below is readable: checked over
// many profiles and paths, with what it must answer in plain cases.
func TestReadsBelow(t *testing.T) {
	b := Binding{Home: "/home/dev", Tmpdir: "/tmp/t", SlashTmp: true, WorkspaceRoots: []string{"/home/dev/ws"}}
	restricted := []FSRule{rule(BaseRoot, "", Deny), rule(BaseMinimal, "", Read), rule(BaseWorkspaceRoots, "", Write)}
	profiles := map[string][]FSRule{
		"restricted":      restricted,
		"workspace":       {rule(BaseRoot, "", Read), rule(BaseWorkspaceRoots, "", Write)},
		"reopened below":  append(restricted[:3:3], rule(BaseAbs, "/var/lib/app/data", Read)),
		"deny below read": append(restricted[:3:3], rule(BaseAbs, "/var", Read), rule(BaseAbs, "/var/lib", Deny)),
		"read glob above": append(restricted[:3:3], rule(BaseAbs, "/var/**/public", Read)),
		"deny glob one char": {rule(BaseRoot, "", Read), rule(BaseAbs, "/var/lib/?", Deny),
			rule(BaseAbs, "/var/lib/*.db", Deny)},
		"deny then minimal": {rule(BaseMinimal, "", Read), rule(BaseAbs, "/opt", Deny)},
	}
	dirs := []string{"/etc", "/root", "/var/lib", "/var/log", "/opt", "/srv", "/boot", "/home/dev", "/usr"}
	names := []string{"a", "x", "app", "data", "public", "shadow", "db.db", "lib", "ws", "ssl", "private"}
	for name, rules := range profiles {
		p := &Policy{Name: name, FS: FSPolicy{ProtectMetadata: true, GlobScanMaxDepth: 4, Rules: rules}}
		for _, target := range []Target{Linux, MacOS} {
			d := NewDecider(p, target, b)
			for _, dir := range dirs {
				if d.ReadsBelow(dir) {
					continue
				}
				// No path below may be readable, to three levels.
				var walk func(q string, depth int)
				walk = func(q string, depth int) {
					if depth == 0 {
						return
					}
					for _, n := range names {
						c := q + "/" + n
						if d.Decide(c).Read {
							t.Errorf("%s on %v: ReadsBelow(%s) is false, but %s is readable", name, target, dir, c)
						}
						walk(c, depth-1)
					}
				}
				walk(dir, 3)
			}
		}
	}
	plain := NewDecider(&Policy{FS: FSPolicy{ProtectMetadata: true, Rules: restricted}}, Linux, b)
	for dir, want := range map[string]bool{"/etc": true, "/usr": true, "/var/lib": false, "/root": false, "/opt": false, "/home/dev": true} {
		if got := plain.ReadsBelow(dir); got != want {
			t.Errorf("restricted profile: ReadsBelow(%s) = %v, want %v", dir, got, want)
		}
	}
	reopened := NewDecider(&Policy{FS: FSPolicy{Rules: profiles["reopened below"]}}, Linux, b)
	if !reopened.ReadsBelow("/var/lib") || !reopened.ReadsBelow("/var") {
		t.Error("a read rule below /var/lib does not count as reading below it")
	}
	denied := NewDecider(&Policy{FS: FSPolicy{Rules: profiles["deny below read"]}}, Linux, b)
	if denied.ReadsBelow("/var/lib") || !denied.ReadsBelow("/var") {
		t.Error("a deny of /var/lib under a read /var: want nothing read below /var/lib, something below /var")
	}
}

// A glob never overrides protected metadata, at any depth; a glob whose
// literal part reaches into the protected folder names it, as a literal
// rule there would.
func TestDecideGlobNeverOverridesProtection(t *testing.T) {
	b := Binding{Home: "/Users/dev", WorkspaceRoots: []string{"/Users/dev/mono", "/Users/dev/mono/libs/x"}}
	base := []FSRule{rule(BaseRoot, "", Read), rule(BaseWorkspaceRoots, "", Write)}
	for _, tc := range []struct {
		glob, path string
		want       Access
	}{
		{"*", "/Users/dev/mono/.git/config", Read},
		{"libs/x/*", "/Users/dev/mono/libs/x/.git/hooks/pre-commit", Read},
		{"**/*.sh", "/Users/dev/mono/libs/x/.git/hooks/a.sh", Read},
		{"libs/X/*", "/Users/dev/mono/libs/X/.git/config", Read},
		{".codex/notes/*", "/Users/dev/mono/.codex/notes/a", Write},
		{"src/*", "/Users/dev/mono/src/a", Write},
	} {
		p := &Policy{FS: FSPolicy{ProtectMetadata: true,
			Rules: append(append([]FSRule(nil), base...), rule(BaseWorkspaceRoots, tc.glob, Write))}}
		if got := Decide(p, MacOS, b, tc.path); got.Access() != tc.want {
			t.Errorf("%q: Decide(%s) = %v, want %v (by %+v)", tc.glob, tc.path, got.Access(), tc.want, got.By)
		}
	}
}
