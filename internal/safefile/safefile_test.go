//go:build unix

package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("12345"), 0o644)
	link := filepath.Join(dir, "l")
	os.Symlink(file, link)
	fifo := filepath.Join(dir, "p")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "z")
	os.Symlink("/dev/zero", zero)
	for _, c := range []struct {
		path     string
		max      int64
		noFollow bool
		want     string // error substring; "" reads "12345"
	}{
		{file, 5, true, ""},
		{file, 4, false, "more than the 4"},
		{link, 5, false, ""},
		{link, 5, true, "symbolic link"},
		{fifo, 5, false, "is a FIFO"},
		{zero, 1 << 20, false, "is a device"},
		{dir, 5, false, "is a directory"},
	} {
		data, err := ReadRegular(c.path, c.max, c.noFollow)
		switch {
		case c.want == "" && (err != nil || string(data) != "12345"):
			t.Errorf("%s: %q, %v", c.path, data, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s (max %d, noFollow %v): %v, want %q", c.path, c.max, c.noFollow, err, c.want)
		}
	}
}
