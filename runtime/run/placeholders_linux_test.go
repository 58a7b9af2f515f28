package run

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

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
	if _, err := os.Stat(d.runFile(os.Getpid())); err != nil {
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
