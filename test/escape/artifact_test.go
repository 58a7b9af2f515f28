//go:build linux

package escape

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// permc run --artifact: hashes, the reviewed manifest hash, and managed
// requirements are all checked before anything runs.
func TestRunArtifact(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	art := filepath.Join(e.state, "art")
	if out, err := exec.Command(permcBin, "build", "-o", art).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	folder := filepath.Join(art, "@read-only")
	probe := filepath.Join(e.ws, "ran")
	runArt := func(extra ...string) result {
		e.extra = append([]string{"--artifact", folder}, extra...)
		defer func() { e.extra = nil }()
		return e.runArgv("", "/bin/sh", "-c", "echo ran > /dev/null; : > "+probe)
	}
	if r := runArt(); r.code == 0 || !strings.Contains(r.out, "Read-only file system") {
		t.Errorf("the read-only artifact let the command write: exit %d\n%s", r.code, r.out)
	}
	raw, _ := os.ReadFile(filepath.Join(folder, "manifest.json"))
	sum := hashOf(raw)
	r := runArt("--expect-sha256", "00"+sum[2:])
	e.expect(r, expectation{code: 125, has: []string{"expected 00"}, hostNot: []string{probe}})

	req := e.file(filepath.Join(e.state, "req.toml"), "allowed_permission_profiles = [\":workspace\"]\n")
	r = runArt("--requirements", req)
	e.expect(r, expectation{code: 125, has: []string{"not allowed by managed requirements"}, hostNot: []string{probe}})

	p := filepath.Join(folder, "policy.json")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(data), `"access": "read"`, `"access": "write"`, 1)), 0o644)
	r = runArt()
	e.expect(r, expectation{code: 125, has: []string{"policy.json has SHA-256"}, hostNot: []string{probe}})
}
