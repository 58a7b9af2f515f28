//go:build linux

package run

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
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

// Runs sharing a state directory share proxy.log: each measures the file
// itself and follows a rotation another made, so the two files stay
// within the limit however many runs log at once (here four, each with
// its own descriptor as a separate process has, in turn and then all at
// once).
func TestRotatingLogShared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "proxy.log")
	var logs []*rotatingLog
	for range 4 {
		l, err := openRotatingLog(path, 1000)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		logs = append(logs, l)
	}
	line := append(bytes.Repeat([]byte("x"), 149), '\n') // 150 bytes: does not divide the limit
	check := func(when string, slack int64) {
		t.Helper()
		for _, p := range []string{path, path + ".1"} {
			fi, err := os.Stat(p)
			if os.IsNotExist(err) && p != path {
				continue // not rotated yet
			}
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() > 1000+slack {
				t.Fatalf("%s: %s is %d bytes; want at most %d", when, p, fi.Size(), 1000+slack)
			}
		}
	}
	for i := range 1000 {
		if _, err := logs[i%4].Write(line); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("in turn, after write %d", i), 0)
	}
	var wg sync.WaitGroup
	for _, l := range logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 250 {
				l.Write(line)
			}
		}()
	}
	wg.Wait()
	// A write measures the file and then appends: at once, the other
	// three may each have appended a line in between.
	check("at once", 3*int64(len(line)))
}
