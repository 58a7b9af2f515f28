//go:build linux

package run

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/permc/permc/backend/seccomp"
	"github.com/permc/permc/driver"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/runtime/linux"
	"github.com/permc/permc/runtime/proxy"
	"golang.org/x/sys/unix"
)

// hostProxy is permc's proxy for one run: it listens only on Unix sockets
// in a private 0700 directory, so no TCP port opens on the host and
// parallel runs never collide. The relay inside the sandbox reaches it
// through the directory's descriptor.
type hostProxy struct {
	dir    string
	dirf   *os.File
	server *proxy.Server
	logf   io.Closer
}

func (o *Options) startProxy() (*hostProxy, error) {
	dir, err := os.MkdirTemp(o.StateDir, "proxy-")
	if err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o700)
	hp := &hostProxy{dir: dir}
	logger, err := hp.logger(o)
	if err != nil {
		hp.close()
		return nil, err
	}
	opts := proxy.Options{Logger: logger}
	if o.Policy.Net.AllowUpstreamProxy {
		opts.Getenv = os.Getenv
	}
	srv, err := proxy.New(driver.NetworkSummary(o.Policy), opts)
	if err != nil {
		hp.close()
		return nil, err
	}
	hp.server = srv
	if err := hp.listen("http.sock", srv.ServeHTTPProxy); err != nil {
		hp.close()
		return nil, err
	}
	if o.Policy.Net.EnableSOCKS5 {
		if err := hp.listen("socks.sock", srv.ServeSOCKS5); err != nil {
			hp.close()
			return nil, err
		}
	}
	hp.dirf, err = os.Open(dir)
	if err != nil {
		hp.close()
		return nil, err
	}
	o.logf("proxy listening in %s", dir)
	return hp, nil
}

// logger sends decisions to stderr with -v, else to proxy.log in the
// state directory, never into the command's own output.
func (hp *hostProxy) logger(o *Options) (*slog.Logger, error) {
	if o.Verbose {
		return slog.New(slog.NewTextHandler(o.Stderr, nil)), nil
	}
	l, err := openRotatingLog(filepath.Join(o.StateDir, "proxy.log"), maxProxyLog)
	if err != nil {
		return nil, err
	}
	hp.logf = l
	return slog.New(slog.NewTextHandler(l, nil)), nil
}

// maxProxyLog is the size at which proxy.log is rotated.
const maxProxyLog = 8 << 20

// rotatingLog appends to a file and, once it passes max bytes, renames it
// to NAME.1 (replacing the one before) and starts the file anew, while
// the proxy runs: a sandbox that makes the proxy log as fast as it can
// (a refusal per request) fills no more than about twice max of the disk.
// Runs that share a state directory share the file: each write measures
// the file itself, not what this process wrote, and the rotation is made
// under an exclusive lock on the file, after which a process still
// writing to the renamed file moves to the new one. However many runs
// log at once, the two files stay within about twice max.
type rotatingLog struct {
	mu   sync.Mutex
	path string
	max  int64
	f    *os.File
}

func openRotatingLog(path string, max int64) (*rotatingLog, error) {
	l := &rotatingLog{path: path, max: max}
	return l, l.open()
}

// open opens the file, rotating it first if it is full already.
func (l *rotatingLog) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	l.f = f
	if fi, err := f.Stat(); err == nil && fi.Size() >= l.max {
		return l.rotate(0)
	}
	return nil
}

// rotate renames the file to NAME.1 when need more bytes would take it
// past max, and opens a new one; when another process rotated it first,
// it opens that process's new file. l.f is the file this process writes
// to.
func (l *rotatingLog) rotate(need int64) error {
	fd := int(l.f.Fd())
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		return err
	}
	mine, err1 := l.f.Stat()
	named, err2 := os.Stat(l.path)
	full := mine != nil && (mine.Size() >= l.max || mine.Size() > 0 && mine.Size()+need > l.max)
	if err1 == nil && err2 == nil && os.SameFile(mine, named) && full {
		os.Rename(l.path, l.path+".1")
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	unix.Flock(fd, unix.LOCK_UN)
	l.f.Close()
	l.f = f
	return err
}

func (l *rotatingLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, os.ErrClosed
	}
	if fi, err := l.f.Stat(); err == nil && fi.Size() > 0 && fi.Size()+int64(len(p)) > l.max {
		if err := l.rotate(int64(len(p))); err != nil {
			return 0, err
		}
	}
	return l.f.Write(p)
}

func (l *rotatingLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

func (hp *hostProxy) listen(name string, serve func(net.Listener) error) error {
	l, err := net.Listen("unix", filepath.Join(hp.dir, name))
	if err != nil {
		return err
	}
	go serve(l)
	return nil
}

func (hp *hostProxy) close() {
	if hp.server != nil {
		hp.server.Close()
	}
	if hp.dirf != nil {
		hp.dirf.Close()
	}
	if hp.logf != nil {
		hp.logf.Close()
	}
	os.RemoveAll(hp.dir)
}

// relaySpec tells the inner stage where the relay listens: the profile's
// proxy_url and socks_url, inside the sandbox's own network namespace.
func (o *Options) relaySpec(dirFD int, arch seccomp.Arch) (*linux.RelaySpec, error) {
	n := &o.Policy.Net
	spec := &linux.RelaySpec{DirFD: dirFD}
	add := func(url, sock string) error {
		ap, err := passes.ListenAddr(url)
		if err != nil {
			return fmt.Errorf("%s: %v", url, err)
		}
		spec.Listeners = append(spec.Listeners, linux.RelayListener{Addr: ap.String(), Socket: sock})
		return nil
	}
	if err := add(n.ProxyURL, "http.sock"); err != nil {
		return nil, err
	}
	if n.EnableSOCKS5 {
		if err := add(n.SOCKSURL, "socks.sock"); err != nil {
			return nil, err
		}
	}
	relay := *o.Policy
	relay.Net.DangerouslyAllowAllUnixSockets = true
	prog, err := seccomp.Compile(&relay, arch)
	if err != nil {
		return nil, err
	}
	spec.Seccomp = prog.Bytes()
	return spec, nil
}
