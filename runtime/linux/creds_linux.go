//go:build linux

package linux

import (
	"bufio"
	"errors"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// callerCreds are what the kernel checks a path lookup and a connect
// against: the filesystem ids, the supplementary groups and the effective
// capabilities, as /proc shows them in permc's user namespace.
type callerCreds struct {
	fsuid, fsgid int
	groups       []int
	capEff       uint64
}

// readCreds reads thread tid's credentials.
func readCreds(tid int) (*callerCreds, error) {
	return parseCreds("/proc/" + strconv.Itoa(tid) + "/status")
}

func parseCreds(path string) (*callerCreds, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &callerCreds{fsuid: -1, fsgid: -1}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		switch k {
		case "Uid", "Gid":
			if len(fields) != 4 {
				return nil, errors.New("bad " + k + " line in " + path)
			}
			n, err := strconv.Atoi(fields[3]) // real, effective, saved, filesystem
			if err != nil {
				return nil, err
			}
			if k == "Uid" {
				c.fsuid = n
			} else {
				c.fsgid = n
			}
		case "Groups":
			for _, g := range fields {
				n, err := strconv.Atoi(g)
				if err != nil {
					return nil, err
				}
				c.groups = append(c.groups, n)
			}
		case "CapEff":
			if len(fields) == 1 {
				if c.capEff, err = strconv.ParseUint(fields[0], 16, 64); err != nil {
					return nil, err
				}
			}
		}
	}
	if c.fsuid < 0 || c.fsgid < 0 {
		return nil, errors.New("no credentials in " + path)
	}
	return c, sc.Err()
}

// permcCreds are permc's own credentials, read once: they do not change,
// and the threads that take a caller's give them back before they run
// anything else.
var permcCreds = sync.OnceValues(func() (*callerCreds, error) {
	return parseCreds("/proc/thread-self/status")
})

// same reports whether the kernel would judge c and d alike.
func (c *callerCreds) same(d *callerCreds) bool {
	return c.fsuid == d.fsuid && c.fsgid == d.fsgid && c.capEff == d.capEff &&
		slices.Equal(c.groups, d.groups)
}

// asCaller runs f with the caller's credentials c. When permc's own
// would be judged alike (permc unprivileged, as the sandbox's user), f
// runs as it is; otherwise on an OS thread locked for the purpose, which
// takes c's filesystem ids, groups and effective capabilities for f and
// then gets permc's back: credentials are per thread, so no other
// goroutine ever runs with c's. The thread must not end instead: it may
// be the one that started bubblewrap, whose parent-death signal would
// then kill the sandbox.
func asCaller(c *callerCreds, f func() unix.Errno) unix.Errno {
	self, err := permcCreds()
	if err != nil {
		return unix.EACCES
	}
	if c.same(self) {
		return f()
	}
	res := make(chan unix.Errno, 1)
	go func() {
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var caps [2]unix.CapUserData
		if err := unix.Capget(&hdr, &caps[0]); err != nil {
			runtime.UnlockOSThread()
			res <- unix.EACCES
			return
		}
		err := c.assume()
		if err == nil {
			res <- f()
		} else {
			res <- unix.EACCES
		}
		if err := self.restore(caps); err != nil {
			select {} // keep this thread, with what it has, out of use
		}
		runtime.UnlockOSThread()
	}()
	return <-res
}

// restore gives the calling thread back permc's credentials c, with the
// capability sets caps.
func (c *callerCreds) restore(caps [2]unix.CapUserData) error {
	if err := capsetThread(&caps); err != nil {
		return err
	}
	return c.setIDs()
}

// assume gives the calling thread c's credentials.
func (c *callerCreds) assume() error {
	if err := c.setIDs(); err != nil {
		return err
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[0].Effective = data[0].Permitted & uint32(c.capEff)
	data[1].Effective = data[1].Permitted & uint32(c.capEff>>32)
	return capsetThread(&data)
}

// capsetThread sets the calling thread's capability sets with a raw call
// (pid 0 in the header: this thread alone).
func capsetThread(data *[2]unix.CapUserData) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	_, _, e := unix.RawSyscall(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)),
		uintptr(unsafe.Pointer(&data[0])), 0)
	if e != 0 {
		return e
	}
	return nil
}

// setIDs sets the calling thread's groups and filesystem ids to c's, with
// raw calls: Go's wrappers apply them to every thread.
func (c *callerCreds) setIDs() error {
	gs := make([]uint32, len(c.groups))
	for i, g := range c.groups {
		gs[i] = uint32(g)
	}
	var gp unsafe.Pointer
	if len(gs) > 0 {
		gp = unsafe.Pointer(&gs[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gs)), uintptr(gp), 0); e != 0 {
		return e
	}
	unix.RawSyscall(unix.SYS_SETFSGID, uintptr(c.fsgid), 0, 0)
	unix.RawSyscall(unix.SYS_SETFSUID, uintptr(c.fsuid), 0, 0)
	// setfs*id return the previous id whatever happens: ask again.
	if now, _, _ := unix.RawSyscall(unix.SYS_SETFSUID, ^uintptr(0), 0, 0); int(now) != c.fsuid {
		return errors.New("setfsuid failed")
	}
	if now, _, _ := unix.RawSyscall(unix.SYS_SETFSGID, ^uintptr(0), 0, 0); int(now) != c.fsgid {
		return errors.New("setfsgid failed")
	}
	return nil
}
