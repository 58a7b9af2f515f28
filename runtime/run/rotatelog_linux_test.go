//go:build linux

package run

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// proxy.log is rotated while the proxy runs, not only when it starts: a
// sandbox making the proxy log as fast as it can fills at most about
// twice the limit.
func TestRotatingLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "proxy.log")
	os.WriteFile(path, bytes.Repeat([]byte("old\n"), 300), 0o600) // 1,200 bytes, past the limit
	l, err := openRotatingLog(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	line := bytes.Repeat([]byte("x"), 99)
	line = append(line, '\n')
	for range 1000 {
		if _, err := l.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	cur, _ := os.Stat(path)
	old, _ := os.Stat(path + ".1")
	if cur == nil || old == nil || cur.Size() > 1000 || old.Size() > 1000 {
		t.Fatalf("after 100,000 bytes: proxy.log %v, proxy.log.1 %v; want both at most 1,000 bytes", cur, old)
	}
	if data, _ := os.ReadFile(path + ".1"); bytes.Contains(data, []byte("old")) {
		t.Error("the log from before was kept past a rotation")
	}
	if _, err := l.Write(line); err == nil {
		t.Error("a write after Close succeeded")
	}
}
