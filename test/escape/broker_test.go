//go:build linux

package escape

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// unixServer listens on the host at addr (a path, or "@name" for an
// abstract name), answers every connection with reply, and returns addr.
func (e *env) unixServer(addr, reply string) string {
	e.t.Helper()
	l, err := net.Listen("unix", addr)
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.HasPrefix(addr, "@") {
		os.Chmod(addr, 0o777)
	}
	e.t.Cleanup(func() { l.Close(); os.Remove(addr) })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(reply + "\n"))
			c.Close()
		}
	}()
	return addr
}

// datagramServer binds a datagram socket on the host at path and fails the
// test if anything ever arrives.
func (e *env) datagramServer(path string) string {
	e.t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		e.t.Fatal(err)
	}
	os.Chmod(path, 0o777)
	e.t.Cleanup(func() {
		// A datagram sent during the run is queued by now.
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		buf := make([]byte, 64)
		if n, _, err := c.ReadFrom(buf); err == nil {
			e.t.Errorf("the host's datagram socket received %q", buf[:n])
		}
		c.Close()
		os.Remove(path)
	})
	return path
}

// brokerProfile is :workspace with the network set by net ("" for off)
// and sockets allowlisted.
func brokerProfile(net string, sockets ...string) string {
	p := "default_permissions = \"p\"\n\n[permissions.p]\nextends = \":workspace\"\n"
	switch net {
	case "full":
		p += "\n[permissions.p.network]\nenabled = true\n"
	case "proxied":
		p += "\n[permissions.p.network]\nenabled = true\n\n[permissions.p.network.domains]\n\"127.0.0.1\" = \"allow\"\n"
	}
	p += "\n[permissions.p.network.unix_sockets]\n"
	for _, s := range sockets {
		p += fmt.Sprintf("%q = \"allow\"\n", s)
	}
	return p
}

// readOnlyRun makes the workspace's "run" folder read-only in prof.
func readOnlyRun(prof string) string {
	return strings.Replace(prof, "\n[permissions.p.network",
		"\n[permissions.p.filesystem.\":workspace_roots\"]\n\"run\" = \"read\"\n\n[permissions.p.network", 1)
}

// pyConnect connects a unix stream socket to path and prints what it got,
// or the error.
func pyConnect(path string) string {
	return py + fmt.Sprintf(`'import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(%q)
    print("GOT", s.recv(64).decode().strip())
except OSError as e:
    print("REFUSED", e)'`, path)
}

const allowedReply = "ALLOWED-SOCKET-OK"

// ownSocketScript binds a socket in the workspace and connects to it by
// absolute and by relative path.
func ownSocketScript(e *env) string {
	return py + `'import socket, sys
l = socket.socket(socket.AF_UNIX)
try:
    l.bind("own.sock"); l.listen(2)
except OSError as e:
    print("REFUSED bind", e); sys.exit(0)
for name, reply in (("` + e.ws + `/own.sock", b"OWN-ABS"), ("own.sock", b"OWN-REL")):
    c = socket.socket(socket.AF_UNIX)
    try:
        c.connect(name); a, _ = l.accept(); a.send(reply); print(c.recv(16).decode())
    except OSError as e:
        print("REFUSED", name, e)'`
}

// With a unix_sockets allowlist, permc's broker connects the allowlisted
// sockets and nothing else, whatever the sandbox does to the paths, the
// address in its memory or its own descriptors.
func TestUnixBroker(t *testing.T) {
	type brokerCase struct {
		name string
		run  func(e *env) (string, string) // profile, script
		want expectation
	}
	stamp := func() string { return fmt.Sprint(time.Now().UnixNano()) }
	refused := expectation{code: 0, has: []string{"REFUSED"}, hasNot: []string{marker, allowedReply}}
	cases := []brokerCase{}
	for _, mode := range []string{"off", "proxied", "full"} {
		cases = append(cases, brokerCase{"allowlisted-socket-connects-network-" + mode, func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile(mode, ok), pyConnect(ok)
		}, expectation{code: 0, has: []string{"GOT " + allowedReply}}})
	}
	// An allow that is a denied socket under another name (a symlink) is
	// left out; with nothing left to broker, the filter refuses unix
	// sockets outright (EPERM), not a connect left without a broker.
	cases = append(cases, brokerCase{"allow-through-a-link-to-a-denied-socket-refused", func(e *env) (string, string) {
		real := filepath.Join(e.outside, "real")
		e.mkdir(real)
		d := e.unixServer(filepath.Join(real, "d.sock"), marker)
		link := filepath.Join(e.outside, "link")
		os.Symlink(real, link)
		prof := brokerProfile("off", filepath.Join(link, "d.sock")) + fmt.Sprintf("%q = \"deny\"\n", d)
		return prof, pyConnect(filepath.Join(link, "d.sock"))
	}, expectation{code: -1, has: []string{"Operation not permitted"},
		hasNot: []string{marker, "Function not implemented"}}})
	for _, mode := range []string{"off", "proxied", "full"} {
		for _, dir := range []string{"/tmp", "/run"} {
			cases = append(cases, brokerCase{"host-socket-in-" + dir[1:] + "-refused-network-" + mode, func(e *env) (string, string) {
				ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
				other := e.unixServer(filepath.Join(dir, "permc-escape-"+stamp()+".sock"), marker)
				return brokerProfile(mode, ok), pyConnect(other)
			}, refused})
		}
		cases = append(cases, brokerCase{"datagram-host-socket-unreachable-network-" + mode, func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			log := e.datagramServer(filepath.Join("/tmp", "permc-escape-"+stamp()+".dgram"))
			return brokerProfile(mode, ok), py + fmt.Sprintf(`'import socket
for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM, socket.SOCK_SEQPACKET):
    try:
        s = socket.socket(socket.AF_UNIX, typ)
    except OSError as e:
        print("SOCKET", typ, e); continue
    for how in ("sendto", "sendmsg", "connect"):
        try:
            if how == "sendto": s.sendto(b"x", %[1]q)
            elif how == "sendmsg": s.sendmsg([b"x"], [], 0, %[1]q)
            else: s.connect(%[1]q); s.send(b"x")
            print("SENT", how)
        except OSError as e:
            print("REFUSED", how, e)'`, log)
		}, expectation{code: 0, has: []string{"REFUSED"}, hasNot: []string{"SENT"}}})
	}
	// Without an allowlist no unix socket of the host is reachable either,
	// in any network mode, by any call that names one.
	for _, mode := range []string{"off", "proxied", "full"} {
		cases = append(cases, brokerCase{"host-sockets-unreachable-without-allowlist-network-" + mode, func(e *env) (string, string) {
			stream := e.unixServer(filepath.Join("/run", "permc-escape-"+stamp()+".sock"), marker)
			dgram := e.datagramServer(filepath.Join("/tmp", "permc-escape-"+stamp()+".dgram"))
			return brokerProfile(mode), py + fmt.Sprintf(`'import socket
for typ in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):
    for how, to in (("connect", %[1]q), ("sendto", %[2]q), ("sendmsg", %[2]q)):
        try:
            s = socket.socket(socket.AF_UNIX, typ)
            if how == "connect": s.connect(to); print("GOT", s.recv(64))
            elif how == "sendto": s.sendto(b"x", to); print("SENT", how)
            else: s.sendmsg([b"x"], [], 0, to); print("SENT", how)
        except OSError as e:
            print("REFUSED", typ, how, e)'`, stream, dgram)
		}, expectation{code: 0, has: []string{"REFUSED"}, hasNot: []string{"GOT", "SENT", marker}}})
	}
	cases = append(cases,
		brokerCase{"other-socket-in-the-same-folder-refused", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			other := e.unixServer(filepath.Join(e.outside, "other.sock"), marker)
			e.extra = []string{"-v"}
			return brokerProfile("", ok), pyConnect(other)
		}, expectation{code: 0, has: []string{"REFUSED", "not in the unix_sockets allowlist"}, hasNot: []string{marker}}},

		brokerCase{"datagram-socket-refused", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("", ok), py + `'import socket
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); print("CREATED")
except OSError as e:
    print("REFUSED", e)'`
		}, expectation{code: 0, has: []string{"REFUSED", "Operation not permitted"}, hasNot: []string{"CREATED"}}},
		brokerCase{"relative-path-refused", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("", ok), "cd " + e.outside + " && " + pyConnect("app.sock")
		}, refused},
		brokerCase{"dotdot-spelling-of-the-allowlisted-path-connects", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("", ok), pyConnect(e.outside + "/../" + filepath.Base(e.outside) + "/app.sock")
		}, expectation{code: 0, has: []string{"GOT " + allowedReply}}},
		brokerCase{"allowlisted-socket-in-a-writable-folder-refused-at-its-line", func(e *env) (string, string) {
			// The sandbox could move any socket it reaches (another
			// program's, in /tmp) there under the allowed name.
			ok := e.unixServer(filepath.Join(e.ws, "app.sock"), allowedReply)
			return brokerProfile("", ok), "echo RAN"
		}, expectation{code: 125, has: []string{"profile.toml:", "error[load]", "writable inside the sandbox"},
			hasNot: []string{"RAN"}}},
		brokerCase{"allowlisted-socket-behind-a-symlink-in-a-writable-folder-refused", func(e *env) (string, string) {
			// What an earlier run could have left: a link in a writable
			// folder, followed when the next run starts.
			other := e.unixServer(filepath.Join(e.outside, "other.sock"), marker)
			link := filepath.Join(e.ws, "app.sock")
			if err := os.Symlink(other, link); err != nil {
				e.t.Fatal(err)
			}
			return brokerProfile("", link), pyConnect(link)
		}, expectation{code: 125, has: []string{"error[load]"}, hasNot: []string{marker, "REFUSED"}}},
		brokerCase{"allowlisted-socket-in-a-bind-mount-of-a-writable-folder-refused", func(e *env) (string, string) {
			// The folder is not under a writable root by its path, but it
			// is a writable one under another name.
			sub := filepath.Join(e.ws, "sub")
			e.mkdir(sub)
			bm := filepath.Join(e.outside, "bm")
			e.mkdir(bm)
			if err := syscall.Mount(sub, bm, "", syscall.MS_BIND, ""); err != nil {
				e.t.Fatalf("bind mount: %v", err)
			}
			e.t.Cleanup(func() { syscall.Unmount(bm, syscall.MNT_DETACH) })
			ok := e.unixServer(filepath.Join(bm, "svc.sock"), allowedReply)
			return brokerProfile("", ok), "echo RAN"
		}, expectation{code: 125, has: []string{"error[load]", filepath.Join("ws", "sub", "svc.sock")},
			hasNot: []string{"RAN"}}},
		brokerCase{"allowlisted-socket-in-a-read-only-folder-cannot-be-replaced", func(e *env) (string, string) {
			e.mkdir(filepath.Join(e.ws, "run"))
			ok := e.unixServer(filepath.Join(e.ws, "run", "app.sock"), allowedReply)
			other := e.unixServer(filepath.Join(e.ws, "other.sock"), marker)
			prof := readOnlyRun(brokerProfile("", ok))
			return prof, fmt.Sprintf("mv %[1]s %[2]s.moved; rm -f %[2]s; mv %[3]s/run %[3]s/run.old; ln -s %[1]s %[2]s; %[4]s",
				other, ok, e.ws, pyConnect(ok))
		}, expectation{code: 0, has: []string{"GOT " + allowedReply}, hasNot: []string{marker}}},
		brokerCase{"hard-link-to-an-allowlisted-socket-refused", func(e *env) (string, string) {
			// While the sandbox holds a connection to the allowed socket,
			// the server's end sits in its network namespace under that
			// socket's file: another name for the file must not pass for
			// a socket of the sandbox's own.
			e.mkdir(filepath.Join(e.ws, "run"))
			ok := e.unixServer(filepath.Join(e.ws, "run", "hold.sock"), allowedReply)
			alias := filepath.Join(e.ws, "alias.sock")
			if err := os.Link(ok, alias); err != nil {
				e.t.Fatal(err)
			}
			prof := readOnlyRun(brokerProfile("", ok))
			return prof, py + fmt.Sprintf(`'import socket
held = socket.socket(socket.AF_UNIX); held.connect(%q)
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(%q); print("ALIAS-CONNECTED")
except OSError as e:
    print("REFUSED", e)'`, ok, alias)
		}, expectation{code: 0, has: []string{"REFUSED"}, hasNot: []string{"ALIAS-CONNECTED"}}},
		brokerCase{"socket-file-permissions-apply-as-the-sandbox", func(e *env) (string, string) {
			// permc may run as root; the connect must be judged with the
			// sandbox's credentials, which hold no capability.
			dir := filepath.Join(e.outside, "private")
			e.mkdir(dir)
			ok := e.unixServer(filepath.Join(dir, "app.sock"), marker)
			owner := 0
			if e.as == 0 {
				owner = nobody
			}
			os.Chmod(ok, 0o600)
			os.Chown(ok, owner, owner)
			os.Chmod(dir, 0o700)
			os.Chown(dir, owner, owner)
			return brokerProfile("", ok), pyConnect(ok) + " && " + pyConnect(filepath.Join(dir, "nosuch"))
		}, expectation{code: 0, has: []string{"REFUSED [Errno 13]"}, hasNot: []string{marker, "No such file"}}},
		brokerCase{"netlink-connect-refused-network-full", func(e *env) (string, string) {
			// The broker connects with permc's capabilities: a netlink
			// multicast group must not be joined with them.
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("full", ok), py + `'import socket
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15)
try:
    s.connect((0, 1)); print("CONNECTED")
except OSError as e:
    print("REFUSED", e)'`
		}, expectation{code: 0, has: []string{"REFUSED"}, hasNot: []string{"CONNECTED"}}},
		brokerCase{"abstract-and-path-binds-refused-network-full", func(e *env) (string, string) {
			// Sharing the host's network namespace, an abstract name the
			// sandbox bound would be the host's: it could pose as a
			// display server or a bus.
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("full", ok), py + `'import socket
for name in ("\0permc-escape-squat", "own.sock"):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(name); print("BOUND", repr(name))
    except OSError as e:
        print("REFUSED", repr(name), e)'`
		}, expectation{code: 0, has: []string{"REFUSED '\\x00permc-escape-squat'", "REFUSED 'own.sock'"},
			hasNot: []string{"BOUND"}}},
		brokerCase{"ip-binds-as-the-sandbox-network-full", func(e *env) (string, string) {
			// IP and netlink binds go through the broker too, with the
			// sandbox's credentials: a local server works, a privileged
			// port and a netlink multicast group stay out of reach.
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("full", ok), py + `'import socket
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); a, _ = l.accept(); a.send(b"LOCAL-SERVER-OK"); print(c.recv(32).decode())
n = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); n.bind((0, 0)); print("NETLINK-BOUND")
for what, f in (("port 80", lambda: socket.socket().bind(("127.0.0.1", 80))),
                ("audit group", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9).bind((0, 1)))):
    try:
        f(); print("BOUND", what)
    except OSError as e:
        print("REFUSED", what, e)'`
		}, expectation{code: 0, has: []string{"LOCAL-SERVER-OK", "NETLINK-BOUND", "REFUSED port 80", "REFUSED audit group"},
			hasNot: []string{"BOUND port", "BOUND audit"}}},
		brokerCase{"own-socket-by-relative-path-above-the-current-folder-refused", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			e.mkdir(filepath.Join(e.ws, "sub"))
			return brokerProfile("", ok), "cd sub && " + py + `'import socket
l = socket.socket(socket.AF_UNIX); l.bind("../top.sock"); l.listen(1)
m = socket.socket(socket.AF_UNIX); m.bind("top.sock"); m.listen(1)
c = socket.socket(socket.AF_UNIX)
try:
    c.connect("../top.sock"); print("CONNECTED", "top" if l.accept() else "")
except OSError as e:
    print("REFUSED", e)'`
		}, expectation{code: 0, has: []string{"REFUSED"}, hasNot: []string{"CONNECTED"}}},
		brokerCase{"address-flipped-while-connecting", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "a.sock"), allowedReply)
			other := e.unixServer(filepath.Join(e.outside, "b.sock"), marker)
			return brokerProfile("", ok), fmt.Sprintf("%s/flip %s %s 3000", e.bin, ok, other)
		}, expectation{code: 0, has: []string{"got " + allowedReply, "connected"}, hasNot: []string{marker}}},
		brokerCase{"host-abstract-name-refused-network-full", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			name := e.unixServer("@permc-escape-"+stamp(), marker)
			return brokerProfile("full", ok), pyConnect("\x00" + name[1:])
		}, refused},
		brokerCase{"host-abstract-name-unreachable-network-off", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			name := e.unixServer("@permc-escape-"+stamp(), marker)
			return brokerProfile("", ok), pyConnect("\x00" + name[1:])
		}, refused},
		brokerCase{"own-abstract-name-works-network-off", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("", ok), py + `'import socket
l = socket.socket(socket.AF_UNIX); l.bind("\0permc-own"); l.listen(1)
c = socket.socket(socket.AF_UNIX); c.connect("\0permc-own")
a, _ = l.accept(); a.send(b"ABSTRACT-OK"); print(c.recv(16).decode())'`
		}, expectation{code: 0, has: []string{"ABSTRACT-OK"}}},
		brokerCase{"own-socket-connects-network-off", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("", ok), ownSocketScript(e)
		}, expectation{code: 0, has: []string{"OWN-ABS", "OWN-REL"}, hasNot: []string{"REFUSED"}}},
		brokerCase{"own-socket-connects-network-proxied", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("proxied", ok), ownSocketScript(e)
		}, expectation{code: 0, has: []string{"OWN-ABS", "OWN-REL"}, hasNot: []string{"REFUSED"}}},
		brokerCase{"own-socket-refused-network-full", func(e *env) (string, string) {
			// Without a network namespace of its own, nothing tells the
			// sandbox's sockets from the host's.
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("full", ok), ownSocketScript(e)
		}, expectation{code: 0, has: []string{"REFUSED"}, hasNot: []string{"OWN-ABS", "OWN-REL"}}},
		brokerCase{"host-socket-in-the-workspace-refused", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			other := e.unixServer(filepath.Join(e.ws, "host.sock"), marker)
			return brokerProfile("", ok), pyConnect(other) + " && " + pyConnect("host.sock")
		}, refused},
		brokerCase{"own-socket-swapped-for-a-host-one", func(e *env) (string, string) {
			// The sandbox binds its own socket, then moves a link to a host
			// socket into its place, over and over, while connecting: what
			// the broker checked must be what it connects.
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			other := e.unixServer(filepath.Join(e.outside, "other.sock"), marker)
			return brokerProfile("", ok), py + fmt.Sprintf(`'import os, socket, threading
l = socket.socket(socket.AF_UNIX); l.bind("own.sock"); l.listen(64)
os.symlink(%q, "link.tmp")
def serve():
    while True:
        a, _ = l.accept(); a.send(b"OWN"); a.close()
threading.Thread(target=serve, daemon=True).start()
stop = False
def swap():
    while not stop:
        os.rename("own.sock", "own.bak"); os.symlink(%q, "own.sock"); os.remove("own.sock"); os.rename("own.bak", "own.sock")
threading.Thread(target=swap, daemon=True).start()
got = set()
for i in range(1500):
    c = socket.socket(socket.AF_UNIX)
    try:
        c.connect("own.sock"); got.add(c.recv(64).decode().strip())
    except OSError as e:
        got.add("REFUSED")
    c.close()
stop = True
print(sorted(got))'`, other, other)
		}, expectation{code: 0, has: []string{"OWN"}, hasNot: []string{marker}}},
		brokerCase{"tcp-through-the-broker-network-full", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			withListener(e)
			return brokerProfile("full", ok), py + `'import socket
s = socket.create_connection(("127.0.0.1", int(open("port").read()))); print(s.recv(64).decode())'`
		}, expectation{code: 0, has: []string{"HOST-LISTENER"}}},
		brokerCase{"curl-through-the-relay-network-proxied", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("proxied", ok), fmt.Sprintf("curl -s http://127.0.0.1:%d/", origin(e.t))
		}, expectation{code: 0, has: []string{"ORIGIN-REACHED"}}},
		brokerCase{"tcp-port-landlock-refuses-network-proxied", func(e *env) (string, string) {
			// Landlock lets the sandbox connect only to the relay's ports;
			// the broker, which connects outside Landlock, must too.
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("proxied", ok), py + `'import socket
try:
    socket.create_connection(("127.0.0.1", 9)); print("CONNECTED")
except OSError as e:
    print("REFUSED", e)'`
		}, expectation{code: 0, has: []string{"REFUSED", "Permission denied"}, hasNot: []string{"CONNECTED"}}},
		brokerCase{"no-process-holds-the-listener", func(e *env) (string, string) {
			ok := e.unixServer(filepath.Join(e.outside, "app.sock"), allowedReply)
			return brokerProfile("", ok), pyConnect(ok) + ` && ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -c "seccomp notify"; echo checked`
		}, expectation{code: 0, has: []string{"GOT " + allowedReply, "\n0\nchecked"}}},
	)
	for _, uid := range identities(t) {
		t.Run(idName(uid), func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					e := newEnv(t, uid)
					layout(e)
					prof, script := c.run(e)
					e.expect(e.run(prof, script), c.want)
				})
			}
		})
	}
}

// A config reached through a bind mount of the workspace is under a
// writable root by another name: the next run would trust what this one
// wrote.
func TestConfigBehindABindMountOfTheWorkspaceRefused(t *testing.T) {
	e := newEnv(t, identities(t)[0])
	layout(e)
	bm := filepath.Join(e.outside, "cfg")
	e.mkdir(bm)
	if err := syscall.Mount(e.ws, bm, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind mount: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(bm, syscall.MNT_DETACH) })
	e.file(filepath.Join(e.ws, "profile.toml"), "default_permissions = \":workspace\"\n")
	probe := filepath.Join(e.ws, "ran")
	out, err := exec.Command(permcBin, "run", "--system-layers=false", "-c", filepath.Join(bm, "profile.toml"),
		"-C", e.ws, "--", "/bin/sh", "-c", ": > "+probe).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 125 || !strings.Contains(string(out), "would be writable inside the sandbox") {
		t.Errorf("exit %d, want 125 and a refusal:\n%s", code, out)
	}
	if _, err := os.Stat(probe); err == nil {
		t.Error("the command ran")
	}
}
