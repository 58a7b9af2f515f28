//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The connection-setup table carries two floors beside the proxies: the
// least work any CONNECT relay can do for a latency sample, with no
// policy and no log, so that the proxies' added latency can be read
// against what this machine's loopback and scheduler allow.
//
//   - floorGo is the design that hands the kernel every wait: a thread per
//     connection, blocking system calls, no poller (`permc-bench
//     floor-relay PORT`, floorMain below).
//   - floorC is the same with no language runtime at all: one thread,
//     serving one connection at a time (bench/floor/relay.c, built with
//     the machine's C compiler).
//
// Both connect only to 127.0.0.1, on the port the CONNECT line names, and
// copy only the origin's bytes to the client.
const (
	floorGo = "minimal relay, Go (thread per connection, blocking calls; no policy, no log)"
	floorC  = "minimal relay, C (one thread, blocking calls; no policy, no log)"
)

// floorVariants starts both minimal relays, each on a free loopback port.
func (b *bench) floorVariants(lines *[]string, greet string) (vs []*proxyVariant, stops []func()) {
	start := func(name string, argv func(port int) ([]string, error)) {
		v := &proxyVariant{name: name, greet: greet, latencyOnly: true}
		vs = append(vs, v)
		port, err := freePort()
		if err != nil {
			v.err = err
			return
		}
		args, err := argv(port)
		if err != nil {
			v.err = err
			return
		}
		v.proxy = fmt.Sprintf("127.0.0.1:%d", port)
		stop, err := b.daemon(lines, v.proxy, filepath.Join(b.tmp, "floor-"+filepath.Base(args[0])+".log"), args...)
		v.err = err
		stops = append(stops, stop)
	}
	start(floorGo, func(port int) ([]string, error) {
		return []string{b.self, "floor-relay", strconv.Itoa(port)}, nil
	})
	start(floorC, func(port int) ([]string, error) {
		cc, err := exec.LookPath("cc")
		if err != nil {
			return nil, errors.New("no C compiler (apt-get install gcc)")
		}
		bin := filepath.Join(b.dir, "floor-relay-c")
		src := filepath.Join(b.repo, "bench", "floor", "relay.c")
		*lines = append(*lines, shellJoin([]string{cc, "-O2", "-o", bin, src}))
		if out, err := exec.Command(cc, "-O2", "-o", bin, src).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s: %v: %s", src, err, oneLine(string(out)))
		}
		return []string{bin, strconv.Itoa(port)}, nil
	})
	return vs, stops
}

// floorMain serves `permc-bench floor-relay PORT` on 127.0.0.1:PORT until
// killed. Each connection is served start to end by one locked thread in
// blocking system calls; the listening socket is blocking too, so that
// waiting threads sleep in accept(2) and the kernel wakes one of them,
// with no poller between. A thread that takes a connection while no
// other is waiting starts another acceptor first.
func floorMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: permc-bench floor-relay PORT")
		return 2
	}
	port, err := strconv.Atoi(args[0])
	if err != nil || port <= 0 || port > 65535 {
		fmt.Fprintln(os.Stderr, "floor-relay: bad port", args[0])
		return 2
	}
	s, err := floorListen(port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor-relay:", err)
		return 1
	}
	floorAccept(s)
	select {}
}

// floorListen opens the blocking listening socket on 127.0.0.1:port.
func floorListen(port int) (int, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 1)
	err = unix.Bind(s, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	if err == nil {
		err = unix.Listen(s, 128)
	}
	if err != nil {
		unix.Close(s)
		return -1, err
	}
	return s, nil
}

// floorAccept starts the first acceptor on s; one that takes a
// connection while no other waits starts another first. Acceptors stop
// when s is shut down or closed; other errors (out of descriptors) are
// waited out.
func floorAccept(s int) {
	var idle atomic.Int32
	var acceptor func()
	acceptor = func() {
		runtime.LockOSThread()
		buf := make([]byte, 4096)
		for {
			idle.Add(1)
			c, _, err := unix.Accept4(s, unix.SOCK_CLOEXEC)
			idle.Add(-1)
			switch err {
			case nil:
			case unix.EINTR, unix.ECONNABORTED:
				continue
			case unix.EINVAL, unix.EBADF, unix.ENOTSOCK:
				return // shut down or closed
			default:
				time.Sleep(10 * time.Millisecond)
				continue
			}
			if idle.Load() == 0 {
				go acceptor()
			}
			floorServe(c, buf)
		}
	}
	go acceptor()
}

// floorServe relays one connection (see bench/floor/relay.c, which does
// the same) and closes it.
func floorServe(c int, buf []byte) {
	defer unix.Close(c)
	prefix := []byte("CONNECT 127.0.0.1:")
	n, _ := unix.Read(c, buf)
	port := 0
	if n > len(prefix) && bytes.HasPrefix(buf[:n], prefix) {
		rest := buf[len(prefix):n]
		end := bytes.IndexByte(rest, ' ')
		if end > 0 {
			port, _ = strconv.Atoi(string(rest[:end]))
		}
	}
	refuse := func() { unix.Write(c, []byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")) }
	if port <= 0 || port > 65535 {
		if n > 0 {
			refuse()
		}
		return
	}
	u, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		refuse()
		return
	}
	defer unix.Close(u)
	if err := unix.Connect(u, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		refuse()
		return
	}
	if _, err := unix.Write(c, []byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		return
	}
	for {
		m, err := unix.Read(u, buf)
		if m <= 0 || err != nil {
			return
		}
		if _, err := unix.Write(c, buf[:m]); err != nil {
			return
		}
	}
}
