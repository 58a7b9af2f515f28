//go:build linux

package run

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/permc/permc/backend/bwrap"
)

// placeholderSet guards placeholders across runs: they are created under
// a lock, removed only by the last live run, and leftovers of a crashed
// run are cleaned at the next start. Removing a placeholder from the host
// would detach the mask inside a running sandbox, so one run must never
// remove another's.
//
// There is one set per state directory, not one per workspace: runs
// started in different workspaces can share a folder that holds
// placeholders (a workspace root that both profiles list, a writable root
// with a read-only path inside), and a count per workspace let the last
// run of one remove what a run of another still had mounted. So parallel
// runs of one user take turns planning their mounts.
type placeholderSet struct {
	dir  string // state/placeholders/all
	lock *os.File
	// run is this run's record, runs/<pid>-<random>, which it holds an
	// exclusive flock on while it lives: a run is alive while its record
	// cannot be locked. (A pid means nothing in another pid namespace,
	// where a container sharing the state directory runs, and pids are
	// reused; a lock held on a shared file is seen from everywhere.)
	run *os.File
}

func openPlaceholderSet(state string) (*placeholderSet, error) {
	s := &placeholderSet{dir: filepath.Join(state, "placeholders", "all")}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

// open (re)creates the set's folder and opens its lock file. The last
// run of another process may be removing the folder meanwhile: a step
// that fails is tried again.
func (s *placeholderSet) open() error {
	var err error
	for range 20 {
		if err = os.MkdirAll(filepath.Join(s.dir, "runs"), 0o700); err != nil {
			continue
		}
		var f *os.File
		if f, err = os.OpenFile(filepath.Join(s.dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600); err != nil {
			continue
		}
		s.lock = f
		return nil
	}
	return err
}

// locked runs f holding the set's lock. The last run removes the set's
// folder, lock file included, while it holds the lock: a run that was
// waiting then holds a lock on a file no longer there, sees it, and
// starts over with a fresh folder.
//
// The lock is waited for at most lockWait: in the Landlock-only mode the
// state directory stays readable, and a sandboxed command could hold the
// lock to stall every other run of the user.
func (s *placeholderSet) locked(f func() error) error {
	for {
		fd := int(s.lock.Fd())
		if err := flockWait(fd, lockWait); err != nil {
			return err
		}
		var held, named syscall.Stat_t
		if syscall.Fstat(fd, &held) == nil && syscall.Stat(filepath.Join(s.dir, "lock"), &named) == nil &&
			held.Dev == named.Dev && held.Ino == named.Ino {
			break
		}
		syscall.Flock(fd, syscall.LOCK_UN)
		s.lock.Close()
		if err := s.open(); err != nil {
			return err
		}
	}
	defer syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
	return f()
}

// lockWait bounds the wait for the placeholder lock; runs hold it for
// the planning of their mounts, a deny-glob scan at most.
var lockWait = time.Minute

var errLockHeld = errors.New("the placeholder lock of permc's state directory has been held for too long " +
	"(a command in a Landlock-only sandbox of this user can hold it); nothing ran")

// flockWait takes an exclusive flock on fd, trying again until wait has
// passed.
func flockWait(fd int, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			return err
		}
		if time.Now().After(deadline) {
			return errLockHeld
		}
		time.Sleep(delay)
	}
}

// removeIfUnused removes the set's folder when no run is registered and
// no placeholder is recorded; the caller holds the lock.
func (s *placeholderSet) removeIfUnused() {
	if _, err := os.Lstat(s.manifest()); err == nil {
		return
	}
	if os.Remove(filepath.Join(s.dir, "runs")) != nil {
		return // a run's record is still there
	}
	os.Remove(filepath.Join(s.dir, "lock"))
	os.Remove(s.dir)
}

// acquire registers this run and creates the placeholders it needs; plan
// runs under the lock and says which.
func (s *placeholderSet) acquire(plan func() ([]bwrap.Placeholder, error)) error {
	return s.locked(func() error {
		if len(s.liveRuns()) == 0 {
			s.cleanLeftovers()
		}
		ps, err := plan()
		if err != nil {
			return err
		}
		made, err := bwrap.CreatePlaceholders(ps)
		if err != nil {
			return err
		}
		s.record(made)
		// The folder may have been emptied by a last run that held the
		// lock file before this one's was made.
		if err := os.MkdirAll(filepath.Join(s.dir, "runs"), 0o700); err != nil {
			return err
		}
		return s.register()
	})
}

// register makes this run's record and locks it for as long as the run
// lives.
func (s *placeholderSet) register() error {
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return err
	}
	name := filepath.Join(s.dir, "runs", fmt.Sprintf("%d-%x", os.Getpid(), id))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	s.run = f
	return nil
}

// release unregisters this run; the last one removes the placeholders.
func (s *placeholderSet) release() {
	s.unregister()
	s.lock.Close()
}

// unregister is release that keeps the set usable: acquire may follow.
func (s *placeholderSet) unregister() {
	s.locked(func() error {
		if s.run != nil {
			os.Remove(s.run.Name())
			s.run.Close()
			s.run = nil
		}
		if len(s.liveRuns()) == 0 {
			s.cleanLeftovers()
			s.removeIfUnused()
		}
		return nil
	})
}

// liveRuns lists the records of other runs still alive (their lock is
// held), removing those of runs that ended without removing theirs.
func (s *placeholderSet) liveRuns() []string {
	ents, _ := os.ReadDir(filepath.Join(s.dir, "runs"))
	var live []string
	for _, e := range ents {
		name := filepath.Join(s.dir, "runs", e.Name())
		if s.run != nil && name == s.run.Name() {
			live = append(live, name)
			continue
		}
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.Remove(name) // its run ended: nothing holds it
		} else {
			live = append(live, name)
		}
		f.Close()
	}
	return live
}

func (s *placeholderSet) manifest() string { return filepath.Join(s.dir, "created.json") }

// record adds placeholders to the list of what permc created.
func (s *placeholderSet) record(made []bwrap.Placeholder) {
	if len(made) == 0 {
		return
	}
	// A path made again replaces its old record: its identity is new.
	all := s.recorded()
	at := map[string]int{}
	for i, p := range all {
		at[p.Path] = i
	}
	for _, p := range made {
		if i, ok := at[p.Path]; ok {
			all[i] = p
			continue
		}
		at[p.Path] = len(all)
		all = append(all, p)
	}
	data, _ := json.Marshal(all)
	os.WriteFile(s.manifest(), data, 0o600)
}

func (s *placeholderSet) recorded() []bwrap.Placeholder {
	var ps []bwrap.Placeholder
	if data, err := os.ReadFile(s.manifest()); err == nil {
		json.Unmarshal(data, &ps)
	}
	return ps
}

// cleanLeftovers removes every placeholder permc recorded; a placeholder
// that is no longer empty holds what someone put there and stays.
func (s *placeholderSet) cleanLeftovers() {
	if _, err := os.Lstat(s.manifest()); errors.Is(err, os.ErrNotExist) {
		return // nothing recorded
	}
	if err := bwrap.RemovePlaceholders(s.recorded()); err != nil {
		fmt.Fprintf(os.Stderr, "permc: %v\n", err)
	}
	os.Remove(s.manifest())
}
