package run

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/permc/permc/backend/bwrap"
)

func none() ([]bwrap.Placeholder, error) { return nil, nil }

// The last run removes the workspace's folder in the state directory, so
// lock folders do not pile up; a set opened before the folder went starts
// over on a fresh one. (Runs of other processes keep it: see the escape
// suite's parallel runs.)
func TestPlaceholderSetRemovedByTheLastRun(t *testing.T) {
	state := t.TempDir()
	c, err := openPlaceholderSet(state)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := openPlaceholderSet(state)
	if err := c.acquire(none); err != nil {
		t.Fatal(err)
	}
	c.release()
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Fatalf("the last run left %s (%v)", c.dir, err)
	}
	if err := d.acquire(none); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.run.Name()); err != nil {
		t.Fatalf("a set opened before the removal did not register: %v", err)
	}
	d.release()
	if _, err := os.Stat(d.dir); !os.IsNotExist(err) {
		t.Fatalf("left %s (%v)", d.dir, err)
	}
}

// Runs that start and end at once never hold the lock together, however
// the folder comes and goes.
func TestPlaceholderSetLockSurvivesRemoval(t *testing.T) {
	state := t.TempDir()
	var inside, worst atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				s, err := openPlaceholderSet(state)
				if err != nil {
					t.Error(err)
					return
				}
				err = s.acquire(func() ([]bwrap.Placeholder, error) {
					n := inside.Add(1)
					if n > worst.Load() {
						worst.Store(n)
					}
					inside.Add(-1)
					return nil, nil
				})
				if err != nil {
					t.Error(err)
				}
				s.release()
			}
		}()
	}
	wg.Wait()
	if w := worst.Load(); w != 1 {
		t.Errorf("%d runs held the lock at once", w)
	}
	if ents, _ := os.ReadDir(filepath.Join(state, "placeholders")); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

// A run is alive while its record is locked, whatever its pid says: a run
// in another pid namespace (a container sharing the state directory) has
// a pid this one cannot see. Its placeholders stay until it ends; a
// record nobody holds is a run that ended, and is dropped.
func TestPlaceholderSetRunsAliveByLock(t *testing.T) {
	state := t.TempDir()
	a, err := openPlaceholderSet(state)
	if err != nil {
		t.Fatal(err)
	}
	hold := filepath.Join(state, "placeholders", "all", "placeholder")
	err = a.acquire(func() ([]bwrap.Placeholder, error) {
		return []bwrap.Placeholder{{Path: hold}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The other namespace's run: pid 999999 means nothing here, and its
	// lock is held by a descriptor of its own.
	other := filepath.Join(state, "placeholders", "all", "runs", "999999-0123456789abcdef")
	f := holdLock(t, other)
	a.release()
	if _, err := os.Stat(hold); err != nil {
		t.Fatalf("the placeholder went while another run held its record: %v", err)
	}
	// That run ends without removing its record: the next last run
	// cleans up.
	f.Close()
	b, _ := openPlaceholderSet(state)
	if err := b.acquire(none); err != nil {
		t.Fatal(err)
	}
	b.release()
	if _, err := os.Stat(hold); !os.IsNotExist(err) {
		t.Errorf("placeholder left after every run ended: %v", err)
	}
}

// A lock held by someone else (a command in a Landlock-only sandbox can
// open the state directory) is waited for only so long: the run is
// refused, not stalled.
func TestPlaceholderLockWaitIsBounded(t *testing.T) {
	state := t.TempDir()
	s, err := openPlaceholderSet(state)
	if err != nil {
		t.Fatal(err)
	}
	f := holdLock(t, filepath.Join(s.dir, "lock"))
	defer f.Close()
	defer func(w time.Duration) { lockWait = w }(lockWait)
	lockWait = 50 * time.Millisecond
	if err := s.acquire(none); err != errLockHeld {
		t.Fatalf("acquire under a held lock: %v", err)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	if err := s.acquire(none); err != nil {
		t.Fatalf("after the lock was let go: %v", err)
	}
	s.release()
}

// holdLock opens (creating) path and takes an exclusive flock on it, as
// another process would: the lock lasts until the file is closed.
func holdLock(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	return f
}
