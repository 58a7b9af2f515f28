//go:build unix

package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The state directory's path must be one only the caller and root can
// change: a folder on the way others may write to without the sticky bit,
// or a symlink of another user's, lets them point the next run elsewhere.
func TestInsecurePath(t *testing.T) {
	// Not t.TempDir: $TMPDIR, or /tmp, may be open to everyone itself.
	base, err := os.MkdirTemp("/var/tmp", "permc-securepath-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	if why := insecurePath("/var/tmp"); why != "" {
		t.Fatalf("this test needs /var/tmp as usual (root's, sticky if open): %s", why)
	}
	mine := filepath.Join(base, "mine", "state")
	os.MkdirAll(mine, 0o700)
	if why := insecurePath(mine); why != "" {
		t.Errorf("%s: %s", mine, why)
	}
	if why := insecurePath(filepath.Join(base, "mine", "not-yet")); why != "" {
		t.Errorf("a state directory not made yet: %s", why)
	}
	shared := filepath.Join(base, "shared")
	os.Mkdir(shared, 0o775)
	os.Chmod(shared, 0o775)
	os.MkdirAll(filepath.Join(shared, "state"), 0o700)
	if why := insecurePath(filepath.Join(shared, "state")); !strings.Contains(why, "can be written by others") {
		t.Errorf("state below a group-writable folder: %q", why)
	}
	os.Chmod(shared, 0o775|os.ModeSticky)
	if why := insecurePath(filepath.Join(shared, "state")); why != "" {
		t.Errorf("state below a sticky folder: %s", why)
	}
	link := filepath.Join(base, "link")
	os.Symlink(mine, link)
	if why := insecurePath(link); why != "" {
		t.Errorf("the caller's own symlink: %s", why)
	}
	if os.Geteuid() == 0 {
		// Another user's symlink (CI runs the tests as root).
		if err := os.Lchown(link, 1234, 1234); err != nil {
			t.Fatal(err)
		}
		if why := insecurePath(link); !strings.Contains(why, "belongs to uid 1234") {
			t.Errorf("another user's symlink: %q", why)
		}
		os.Lchown(link, 0, 0)
		other := filepath.Join(base, "other")
		os.MkdirAll(filepath.Join(other, "state"), 0o700)
		os.Chown(other, 1234, 1234)
		if why := insecurePath(filepath.Join(other, "state")); !strings.Contains(why, "belongs to uid 1234") {
			t.Errorf("a folder of another user's on the way: %q", why)
		}
	}
}
