package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/verify"
)

const folderConfig = `default_permissions = "p"

[permissions.p.filesystem]
":root" = "read"
"/srv/secret" = "deny"

[permissions.q.filesystem]
":minimal" = "read"
`

// build writes the folder permc build would write for doc.
func build(t *testing.T, doc string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if err := compileDoc(doc)(driver.Manifest{Targets: ir.Targets}).Write(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func compileDoc(doc string) func(driver.Manifest) *driver.Build {
	return func(m driver.Manifest) *driver.Build {
		targets, b := m.Targets, passes.Bindings{}
		if m.Bound != nil {
			b = *m.Bound
		}
		read := func(string) ([]byte, error) { return []byte(doc), nil }
		cfg, diags := frontend.Load(frontend.Options{Files: []string{"c.toml"}, ReadFile: read})
		if cfg == nil {
			return &driver.Build{Diags: diags}
		}
		res := passes.Run(cfg, passes.Options{})
		return driver.Compile(res.Policies, res.Selected, driver.Options{Targets: targets, Bindings: b,
			Inputs: []driver.Input{{Path: "c.toml", Data: []byte(doc)}}})
	}
}

// statuses renders every check as "folder/name=status".
func statuses(r *verify.Report) string {
	var out []string
	for _, c := range r.Checks {
		out = append(out, "/"+c.Name+"="+string(c.Status))
	}
	for _, p := range r.Profiles {
		for _, c := range p.Checks {
			out = append(out, filepath.Base(p.Folder)+"/"+c.Name+"="+string(c.Status))
		}
	}
	return strings.Join(out, " ")
}

func TestDir(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, out string) string // returns the path to verify
		opts   verify.Options
		ok     bool
		want   []string // checks that must appear, as folder/name=status
	}{
		{"a build folder", nil, verify.Options{}, true,
			[]string{"p/hashes=ok", "p/macos=ok", "p/linux=ok", "p/seccomp x86_64=ok", "p/windows elevated=ok", "q/macos=ok"}},
		{"one profile folder, linux only", func(t *testing.T, out string) string { return filepath.Join(out, "q") },
			verify.Options{Targets: []ir.Target{ir.Linux}}, true, []string{"q/hashes=ok", "q/linux=ok"}},
		{"against its config", nil, verify.Options{Against: compileDoc(folderConfig)}, true,
			[]string{"/against=ok", "p/against=ok", "q/against=ok"}},
		{"against a config without q", nil,
			verify.Options{Against: compileDoc(strings.Split(folderConfig, "[permissions.q")[0])}, false,
			[]string{"/against=ok", "p/against=FAILED", "q/against=FAILED"}},
		{"an artifact and its manifest entry removed", func(t *testing.T, out string) string {
			removeArtifact(t, filepath.Join(out, "p"), "windows.json")
			return out
		}, verify.Options{}, false, []string{"p/hashes=ok", "p/windows=FAILED", "q/windows elevated=ok"}},
		{"a file the manifest does not list", func(t *testing.T, out string) string {
			os.WriteFile(filepath.Join(out, "q", "extra"), nil, 0o644)
			return out
		}, verify.Options{}, false, []string{"q/hashes=FAILED", "q/decisions=skipped", "p/macos=ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := build(t, folderConfig)
			dir := out
			if tc.change != nil {
				dir = tc.change(t, out)
			}
			r, err := verify.Dir(dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := statuses(r)
			for _, w := range tc.want {
				if !strings.Contains(" "+got+" ", " "+w+" ") {
					t.Errorf("no %s in %s", w, got)
				}
			}
			if r.OK != tc.ok {
				t.Errorf("ok = %v, want %v: %s", r.OK, tc.ok, got)
			}
		})
	}
}

// removeArtifact deletes an artifact and its manifest entry, as someone
// who rewrites the manifest would.
func removeArtifact(t *testing.T, dir, name string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, driver.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	lines := strings.Split(string(raw), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.Contains(lines[i], `"path": "`+name+`"`) {
			kept = kept[:len(kept)-1] // the "{" line
			i += 2                    // the sha256 and "}" lines
			continue
		}
		kept = append(kept, lines[i])
	}
	doc := strings.Join(kept, "\n")
	doc = strings.Replace(doc, "},\n  ]", "}\n  ]", 1)
	if err := os.WriteFile(filepath.Join(dir, driver.ManifestFile), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func TestDirNotArtifact(t *testing.T) {
	if _, err := verify.Dir(t.TempDir(), verify.Options{}); err == nil || !strings.Contains(err.Error(), "not a folder written by permc build") {
		t.Errorf("err = %v", err)
	}
	if _, err := verify.Dir(filepath.Join(t.TempDir(), "missing"), verify.Options{}); !os.IsNotExist(err) {
		t.Errorf("err = %v", err)
	}
}

// TestGoldenFolders verifies every folder of golden/: the checked-in
// output of the bundled examples.
func TestGoldenFolders(t *testing.T) {
	dirs, err := filepath.Glob("../golden/*")
	if err != nil || len(dirs) == 0 {
		t.Fatal("no golden folders")
	}
	for _, dir := range dirs {
		r, err := verify.Dir(dir, verify.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK {
			var b strings.Builder
			verify.WriteText(&b, r)
			t.Errorf("%s:\n%s", dir, b.String())
		}
	}
}
