package driver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every golden folder's Linux artifacts are what this permc compiles from
// its policy.json: permc run --artifact accepts them, and runs exactly
// what was reviewed.
func TestCheckLinuxGolden(t *testing.T) {
	dirs, _ := filepath.Glob("../golden/*/*/manifest.json")
	if len(dirs) == 0 {
		t.Fatal("no golden folders")
	}
	for _, m := range dirs {
		f, err := LoadFolder(filepath.Dir(m))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		_, hasLinux := f.Files["linux.json"]
		err = f.CheckLinux()
		switch {
		case hasLinux && err != nil:
			t.Errorf("%s: %v", f.Dir, err)
		case !hasLinux && !f.Manifest.Unrestricted && err == nil:
			t.Errorf("%s has no linux.json, yet CheckLinux accepts it", f.Dir)
		}
	}
}

// A folder whose linux.json says something its policy.json does not is
// refused, even when the manifest's hashes agree with it.
func TestCheckLinuxRefusesADifferentPlan(t *testing.T) {
	src := "../golden/spec-project-edit/project-edit"
	dir := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, _ := os.ReadFile(filepath.Join(src, e.Name()))
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	}
	lj := filepath.Join(dir, "linux.json")
	old, _ := os.ReadFile(lj)
	// One more Landlock right than the policy grants.
	changed := strings.Replace(string(old), `"access": "read",
        "rights": [`, `"access": "read",
        "rights": [
          "write_file",`, 1)
	if changed == string(old) {
		t.Fatal("no read rule in the golden linux.json to widen")
	}
	os.WriteFile(lj, []byte(changed), 0o644)
	man, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	os.WriteFile(filepath.Join(dir, ManifestFile),
		[]byte(strings.Replace(string(man), Hash(old), Hash([]byte(changed)), 1)), 0o644)
	f, err := LoadFolder(dir)
	if err != nil {
		t.Fatalf("the re-hashed folder should load: %v", err)
	}
	if err := f.CheckLinux(); err == nil || !strings.Contains(err.Error(), "linux.json is not what this permc") {
		t.Errorf("CheckLinux = %v, want a refusal naming linux.json", err)
	}
}
