package run

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/permc/permc/ir"
)

// A denied socket stays denied when the allow names it through a symlink,
// or the deny does: the broker would resolve the allowed path to the
// denied socket.
func TestAllowedSocketsHoldDeniesThroughLinks(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "real"), 0o755)
	os.WriteFile(filepath.Join(dir, "real", "a.sock"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "real", "b.sock"), nil, 0o644)
	if err := os.Symlink("real", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	real, link := filepath.Join(dir, "real"), filepath.Join(dir, "link")
	if err := os.Link(filepath.Join(real, "a.sock"), filepath.Join(dir, "hl.sock")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		rules []ir.UnixSocketRule
		want  []string
	}{
		{"allowed through a link, denied by its real path", []ir.UnixSocketRule{
			{Path: link + "/a.sock", Allow: true}, {Path: real + "/a.sock"}}, nil},
		{"allowed by its real path, denied through a link", []ir.UnixSocketRule{
			{Path: real + "/a.sock", Allow: true}, {Path: link + "/a.sock"}}, nil},
		{"not yet there, denied through a link", []ir.UnixSocketRule{
			{Path: real + "/new.sock", Allow: true}, {Path: link + "/new.sock"}}, nil},
		{"allowed under a hard link of the denied socket", []ir.UnixSocketRule{
			{Path: dir + "/hl.sock", Allow: true}, {Path: real + "/a.sock"}}, nil},
		{"another socket in the folder stays allowed", []ir.UnixSocketRule{
			{Path: link + "/b.sock", Allow: true}, {Path: real + "/a.sock"}}, []string{link + "/b.sock"}},
	} {
		n := ir.DefaultNetPolicy()
		n.UnixSockets = tc.rules
		var logged []string
		got := allowedSockets(&n, func(f string, a ...any) { logged = append(logged, f) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: allowed %v, want %v", tc.name, got, tc.want)
		}
		if len(tc.want) == 0 && len(logged) == 0 {
			t.Errorf("%s: the left-out socket was not logged", tc.name)
		}
	}
}
