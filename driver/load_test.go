package driver_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

func buildBuiltins(t *testing.T) string {
	t.Helper()
	b := driver.Compile(passes.BuiltinPolicies(), "", driver.Options{Targets: ir.Targets})
	if b.Diags.HasErrors() {
		t.Fatal(b.Diags)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadFolder(t *testing.T) {
	dir := buildBuiltins(t)
	ws := filepath.Join(dir, driver.FolderName(":workspace"))
	f, err := driver.LoadFolder(ws)
	if err != nil {
		t.Fatal(err)
	}
	if f.Policy.Name != ":workspace" || !f.Policy.FS.ProtectMetadata || len(f.ManifestSHA256) != 64 {
		t.Errorf("loaded %+v", f.Policy)
	}

	// A changed artifact is refused, naming the file.
	p := filepath.Join(ws, "policy.json")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(data), `"read"`, `"write"`, 1)), 0o644)
	if _, err := driver.LoadFolder(ws); err == nil || !strings.Contains(err.Error(), "policy.json has SHA-256") {
		t.Errorf("tampered policy.json: %v", err)
	}
	os.WriteFile(p, data, 0o644)

	// An extra file is refused.
	os.WriteFile(filepath.Join(ws, "extra.sb"), nil, 0o644)
	if _, err := driver.LoadFolder(ws); err == nil || !strings.Contains(err.Error(), "does not list") {
		t.Errorf("extra file: %v", err)
	}
}
