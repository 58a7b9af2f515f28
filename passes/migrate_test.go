package passes_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/permc/permc/driver" // registers the backends' own target checks
	"github.com/permc/permc/examples"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// Every example checks without errors on every target, except where the
// spec's example asks for something a target cannot do yet.
func TestExamplesCheckClean(t *testing.T) {
	limits := examples.Limits()
	files, _ := filepath.Glob("../examples/*/*.toml")
	legacy, _ := filepath.Glob("../examples/*.toml")
	files = append(files, legacy...)
	if len(files) < 20 {
		t.Fatalf("found only %d examples", len(files))
	}
	for _, f := range files {
		if strings.Contains(f, "/org/") {
			continue // a multi-layer set, checked below
		}
		rel := strings.TrimPrefix(f, "../examples/")
		if rel == "layered/user.toml" || rel == "layered/system.toml" {
			rel = "layered"
		}
		allowed := ir.Targets
		if ts, ok := limits[rel]; ok {
			allowed = nil
			for _, t := range strings.Split(ts, ",") {
				allowed = append(allowed, ir.Target(t))
			}
		}
		for _, tg := range ir.Targets {
			errs := check(f, []ir.Target{tg}).Errors()
			if slices.Contains(allowed, tg) {
				for _, d := range errs {
					t.Errorf("%s: %s", f, d)
				}
				continue
			}
			// A listed limit must be real: the target refuses it.
			if len(errs) == 0 {
				t.Errorf("%s: examples/limits.txt says %s cannot build it, but it checks clean", f, tg)
			}
			for _, d := range errs {
				if d.Code != diag.Unenforceable {
					t.Errorf("%s: %s", f, d)
				}
			}
		}
	}
}

func TestOrgExampleChecksClean(t *testing.T) {
	res := resolve(t, frontend.Options{Files: []string{"../examples/org/system.toml", "../examples/org/user.toml"},
		Requirements: []string{"../examples/org/requirements.toml"}}, passes.Options{})
	if res.Selected != "dev" {
		t.Errorf("selected %s, want dev", res.Selected)
	}
	for _, p := range res.Policies {
		for _, tg := range ir.Targets {
			for _, d := range passes.Enforceability(p, tg).Errors() {
				t.Errorf("%s", d)
			}
		}
	}
	if res.Policy("audit") == nil {
		t.Error("the managed audit profile was not compiled")
	}
}

// migrate's output, loaded without the older settings, decides like them.
func TestMigrateEquivalent(t *testing.T) {
	cases := map[string]string{
		"workspace-write": `sandbox_mode = "workspace-write"
[sandbox_workspace_write]
writable_roots = ["/srv/cache", "~/.cargo"]
network_access = true
exclude_slash_tmp = true
exclude_tmpdir_env_var = true
`,
		"roots that clean to one path": `sandbox_mode = "workspace-write"
[sandbox_workspace_write]
writable_roots = ["/srv/cache", "/srv/cache/", "/srv//cache", "~/.cargo", "~/.cargo/"]
`,
		"read-only":   `sandbox_mode = "read-only"` + "\n",
		"full-access": `sandbox_mode = "danger-full-access"` + "\n",
	}
	b := ir.Binding{Home: "/home/u", Tmpdir: "/var/tmp/t", SlashTmp: true, WorkspaceRoots: []string{"/work/ws"}}
	probes := []string{"/etc/passwd", "/srv/cache/x", "/home/u/.cargo/bin", "/home/u/other", "/tmp/x",
		"/var/tmp/t/y", "/work/ws/src", "/work/ws/.git/config", "/work/ws/.codex", "/opt/z"}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			fs := files{"old.toml": src}
			old, _ := run(t, fs, frontend.Options{Files: []string{"old.toml"}}, passes.Options{})
			cfg, _ := frontend.Load(frontend.Options{Files: []string{"old.toml"}, ReadFile: fs.read})
			out, diags := passes.Migrate(cfg, passes.Options{})
			if diags.HasErrors() {
				t.Fatal(render(diags))
			}
			fs["new.toml"] = out
			res, diags := run(t, fs, frontend.Options{Files: []string{"new.toml"}}, passes.Options{})
			if diags.HasErrors() {
				t.Fatalf("migrated TOML does not check clean:\n%s\n%s", out, render(diags))
			}
			op, np := old.SelectedPolicy(), res.SelectedPolicy()
			if op == nil || np == nil {
				t.Fatalf("no policy: old %v new %v", op, np)
			}
			for _, tg := range []ir.Target{ir.Linux, ir.MacOS} {
				for _, path := range probes {
					od, nd := ir.Decide(op, tg, b, path), ir.Decide(np, tg, b, path)
					if od.Access() != nd.Access() {
						t.Errorf("%s %s: older settings %v, migrated %v\n%s", tg, path, od.Access(), nd.Access(), out)
					}
				}
			}
			if op.Net.Mode() != np.Net.Mode() || op.FS.ProtectMetadata != np.FS.ProtectMetadata {
				t.Errorf("network %v/%v protect %v/%v", op.Net.Mode(), np.Net.Mode(), op.FS.ProtectMetadata, np.FS.ProtectMetadata)
			}
		})
	}
}

// A writable root that check would refuse in the output (a .. component,
// white space at the end, a Windows alias) is an error at its line, not
// a migrated file that does not check.
func TestMigrateRefusesRootsCheckWouldRefuse(t *testing.T) {
	src := `sandbox_mode = "workspace-write"
[sandbox_workspace_write]
writable_roots = ["/a/c/../b", "/srv/x ", 'C:\w.', "/ok"]
`
	fs := files{"old.toml": src}
	cfg, _ := frontend.Load(frontend.Options{Files: []string{"old.toml"}, ReadFile: fs.read})
	_, diags := passes.Migrate(cfg, passes.Options{})
	got := render(diags)
	for _, want := range []string{`"/a/c/../b" must not contain ".."`, `"/srv/x " has white space`,
		`"C:\\w." has a component ending in a dot`} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}
