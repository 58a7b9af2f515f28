//go:build unix

package driver_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/ir"
)

// forge rewrites a folder's policy.json and puts its new hash in the
// manifest, as someone editing a folder by hand would; the manifest is
// then edited by editManifest, if given.
func forge(t *testing.T, dir string, policy func([]byte) []byte, editManifest func([]byte) []byte) {
	t.Helper()
	pp, mp := filepath.Join(dir, "policy.json"), filepath.Join(dir, driver.ManifestFile)
	old, _ := os.ReadFile(pp)
	m, _ := os.ReadFile(mp)
	if policy != nil {
		nw := policy(old)
		os.WriteFile(pp, nw, 0o644)
		m = []byte(strings.Replace(string(m), driver.Hash(old), driver.Hash(nw), 1))
	}
	if editManifest != nil {
		m = editManifest(m)
	}
	os.WriteFile(mp, m, 0o644)
}

func loadErr(t *testing.T, dir, want string) {
	t.Helper()
	if _, err := driver.LoadFolder(dir); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("LoadFolder: %v, want an error containing %q", err, want)
	}
}

// A folder whose hashes agree but whose JSON is not what permc writes is
// refused: keys in another case (Go's decoder folds "unreſtricted" into
// "unrestricted"), trailing data, a manifest that disagrees with its
// policy.
func TestLoadFolderStrictJSON(t *testing.T) {
	cases := []struct {
		name          string
		policy, manif func([]byte) []byte
		want          string
	}{
		{"folded key in policy.json", func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "{", `{"unreſtricted": true, `, 1))
		}, nil, "policy.json is not as permc writes it"},
		{"trailing data in policy.json", func(b []byte) []byte { return append(b, "{}\n"...) }, nil,
			"policy.json is not as permc writes it"},
		{"trailing data in manifest.json", nil, func(b []byte) []byte { return append(b, ' ') },
			"manifest.json is not as permc writes it"},
		{"manifest names another profile", nil, func(b []byte) []byte {
			var m driver.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			m.Profile, m.Unrestricted = ":danger-full-access", true
			out, err := ir.EncodeJSON(&m, false)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}, "disagree"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws := filepath.Join(buildBuiltins(t), driver.FolderName(":workspace"))
			forge(t, ws, c.policy, c.manif)
			loadErr(t, ws, c.want)
		})
	}
}

// Files are read only if regular and not links: a link to /dev/zero
// would be read until memory runs out, a FIFO would block forever, and a
// link into a workspace would let a sandbox change the next run's folder.
func TestLoadFolderRegularFilesOnly(t *testing.T) {
	ws := filepath.Join(buildBuiltins(t), driver.FolderName(":workspace"))
	pp := filepath.Join(ws, "policy.json")
	data, _ := os.ReadFile(pp)
	elsewhere := filepath.Join(t.TempDir(), "policy.json")
	os.WriteFile(elsewhere, data, 0o644)
	os.Remove(pp)
	os.Symlink(elsewhere, pp)
	loadErr(t, ws, "symbolic link")

	os.Remove(pp)
	if err := syscall.Mkfifo(pp, 0o644); err != nil {
		t.Fatal(err)
	}
	loadErr(t, ws, "not a regular file")

	os.Remove(pp)
	os.Symlink("/dev/zero", pp)
	loadErr(t, ws, "symbolic link")
	mp := filepath.Join(ws, driver.ManifestFile)
	os.Remove(mp)
	os.Symlink("/dev/zero", mp)
	loadErr(t, ws, "symbolic link")
}

// A folder that says its profile is unrestricted is refused unless the
// profile is :danger-full-access (or the older danger-full-access mode),
// however consistent its hashes and JSON: no config can make another one.
func TestLoadFolderUnrestrictedOnlyFullAccess(t *testing.T) {
	ws := filepath.Join(buildBuiltins(t), driver.FolderName(":workspace"))
	forge(t, ws, func(b []byte) []byte {
		p, err := ir.ReadPolicy(b)
		if err != nil {
			t.Fatal(err)
		}
		p.Unrestricted = true
		out, err := ir.EncodeJSON(p, false)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}, func(b []byte) []byte {
		var m driver.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		m.Unrestricted = true
		out, _ := ir.EncodeJSON(&m, false)
		return out
	})
	loadErr(t, ws, `profile ":workspace" says it is unrestricted`)
}
