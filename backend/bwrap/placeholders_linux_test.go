//go:build linux

package bwrap

import (
	"os"
	"path/filepath"
	"testing"
)

// Placeholders are made and removed only through their real folders: a
// folder on the way swapped for a link (a sandbox may write the
// workspace) neither gets permc to create a folder where the link leads
// nor to remove one there, and a placeholder replaced by another folder
// of the same name stays.
func TestPlaceholdersThroughLinks(t *testing.T) {
	base, _ := filepath.EvalSymlinks(t.TempDir())
	ws, victim := filepath.Join(base, "ws"), filepath.Join(base, "victim")
	os.MkdirAll(ws, 0o755)
	os.MkdirAll(filepath.Join(victim, ".agents"), 0o755)
	ph := []Placeholder{{Path: filepath.Join(ws, ".agents")}}

	made, err := CreatePlaceholders(ph)
	if err != nil || len(made) != 1 || made[0].Ino == 0 {
		t.Fatalf("made %+v, %v", made, err)
	}
	// The workspace swapped for a link to the victim before the last run
	// ends: the victim's own empty folder of that name stays.
	os.Rename(ws, ws+".real")
	os.Symlink(victim, ws)
	if err := RemovePlaceholders(made); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(victim, ".agents")); err != nil {
		t.Errorf("removed through a link: %v", err)
	}
	// Creating through the link fails, and creates nothing there.
	os.Remove(filepath.Join(victim, ".agents"))
	if _, err := CreatePlaceholders(ph); err == nil {
		t.Error("created through a link")
	}
	if _, err := os.Stat(filepath.Join(victim, ".agents")); err == nil {
		t.Error("a folder appeared where the link leads")
	}
	// Back in place: the placeholder was replaced by another folder of
	// the same name, which is not permc's to remove.
	os.Remove(ws)
	os.Rename(ws+".real", ws)
	// (Renamed away, not removed, so the new folder cannot reuse its
	// inode number.)
	os.Rename(filepath.Join(ws, ".agents"), filepath.Join(ws, ".agents.old"))
	os.Mkdir(filepath.Join(ws, ".agents"), 0o755)
	if err := RemovePlaceholders(made); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ws, ".agents")); err != nil {
		t.Errorf("removed a folder permc did not make: %v", err)
	}
	// Its own placeholder, unchanged, is removed.
	os.Remove(filepath.Join(ws, ".agents"))
	again, err := CreatePlaceholders(ph)
	if err != nil || len(again) != 1 {
		t.Fatal(again, err)
	}
	if err := RemovePlaceholders(again); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ws, ".agents")); !os.IsNotExist(err) {
		t.Errorf("own placeholder left: %v", err)
	}
}
