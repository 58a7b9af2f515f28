package linux

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func ident(t *testing.T, p string) (dev, ino uint64) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Dev, st.Ino
}

// A guard holds only while the match is the mask and its folder is the
// one the scan read; each way it can fail names what is wrong.
func TestCheckGuards(t *testing.T) {
	root := t.TempDir()
	d, match, mask := filepath.Join(root, "d"), filepath.Join(root, "d", "s.env"), filepath.Join(root, "mask")
	os.Mkdir(d, 0o755)
	os.WriteFile(match, []byte("secret"), 0o600)
	os.WriteFile(mask, nil, 0)
	pdev, pino := ident(t, d)
	mdev, mino := ident(t, mask)
	sdev, sino := ident(t, match)

	masked := Guard{Path: match, Dev: sdev, Ino: sino, ParentDev: pdev, ParentIno: pino}
	bound := Guard{Path: d, Dev: pdev, Ino: pino, Bind: true}
	if err := CheckGuards([]Guard{masked, bound}); err != nil {
		t.Fatalf("the file is what the guard names: %v", err)
	}
	for _, tc := range []struct {
		name string
		g    Guard
		want string
	}{
		{"not the mask", Guard{Path: match, Dev: mdev, Ino: mino}, "is not masked"},
		{"no mount", Guard{Path: d, Mount: true}, "is not masked"},
		{"missing", Guard{Path: filepath.Join(d, "gone.env"), Dev: mdev, Ino: mino}, "no such file"},
		{"another bind", Guard{Path: d, Dev: mdev, Ino: mino, Bind: true}, "is not the file or folder the plan bound there"},
	} {
		err := CheckGuards([]Guard{masked, tc.g})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}

	// The folder moved away and a stand-in made at its name.
	os.Rename(d, d+".moved")
	os.Mkdir(d, 0o755)
	os.WriteFile(match, nil, 0o644)
	err := CheckGuards([]Guard{{Path: match, ParentDev: pdev, ParentIno: pino}})
	if err == nil || !strings.Contains(err.Error(), "not the one the scan read") {
		t.Errorf("a stand-in folder: %v, want it refused", err)
	}
}
