//go:build linux

package linux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/permc/permc/backend/seccomp"
	"github.com/permc/permc/runtime/proxy"
)

// startRelay starts the relay as a separate process before the command.
// It gets its filter (the command's, with Unix sockets allowed so it can
// reach permc's proxy) and no_new_privs from the thread that forks it,
// makes itself non-dumpable so the command cannot read or write its
// memory, and reaches the host's proxy through the socket directory's
// descriptor. It returns once the relay listens.
//
// It runs on the inner stage's locked thread, after the capabilities are
// gone and no_new_privs is set. The relay's filter stays on this thread
// too; the command's, loaded later, is stricter, and stacked filters take
// the stricter verdict.
func startRelay(spec *RelaySpec) error {
	if err := seccomp.Load(spec.Seccomp); err != nil {
		return fmt.Errorf("relay filter: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	sr, sw, err := os.Pipe()
	if err != nil {
		w.Close()
		return err
	}
	data, _ := json.Marshal(spec)
	go writeAndClose(sw, data)
	cmd := exec.Command("/proc/self/exe", RelayArg)
	cmd.ExtraFiles = []*os.File{os.NewFile(uintptr(spec.DirFD), "proxy-dir"), w, sr}
	cmd.Stderr = os.Stderr
	// No parent-death signal: it fires when the forking thread ends, which
	// this one does at once. The relay dies with the sandbox's pid
	// namespace instead.
	err = cmd.Start()
	w.Close()
	sr.Close()
	if err != nil {
		return err
	}
	go cmd.Wait()
	ready := make([]byte, 1)
	if _, err := io.ReadFull(r, ready); err != nil {
		return errors.New("the relay did not start")
	}
	return nil
}

// Relay is the relay process: listen inside the sandbox's network
// namespace, forward each connection to permc's proxy on the host. Its
// spec arrives on descriptor 5, the readiness pipe is 4, the proxy's
// socket directory 3.
func Relay() int {
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	var spec RelaySpec
	data, err := io.ReadAll(os.NewFile(5, "spec"))
	if err == nil {
		err = json.Unmarshal(data, &spec)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "permc relay: %v\n", err)
		return ExitSetup
	}
	ready := os.NewFile(4, "ready")
	for _, l := range spec.Listeners {
		// No keep-alive: the clients are on the sandbox's own loopback,
		// and it would cost four system calls per connection.
		lc := net.ListenConfig{KeepAlive: -1}
		ln, err := lc.Listen(context.Background(), "tcp", l.Addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "permc relay: %v\n", err)
			return ExitSetup
		}
		go serveRelay(ln, filepath.Join("/proc/self/fd/3", l.Socket))
	}
	ready.Write([]byte{1})
	ready.Close()
	select {}
}

// serveRelay accepts a connection and relays it on this goroutine, having
// first started the next accept on a new one: the thread that accepted a
// connection carries its first bytes, with no handoff to another
// goroutine in their path.
func serveRelay(ln net.Listener, sock string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go serveRelay(ln, sock)
		relay(c, sock)
		return
	}
}

// relay carries one connection to the proxy's socket.
func relay(c net.Conn, sock string) {
	defer c.Close()
	up, err := net.Dial("unix", sock)
	if err != nil {
		return
	}
	defer up.Close()
	proxy.TuneUnixConn(up)
	proxy.Splice(c, up)
}
