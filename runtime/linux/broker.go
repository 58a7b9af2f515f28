package linux

import (
	"path/filepath"
	"slices"
	"sync"
)

// Broker connects sockets on the sandbox's behalf. With a unix_sockets
// allowlist, the command's filter hands every connect to permc (seccomp
// user notification), and with a fully open network every bind too; the
// broker copies the address out of the caller once, takes a duplicate of
// the caller's socket, and acts on that duplicate itself, so nothing the
// caller changes afterwards (the address in its memory, the descriptor in
// its table) alters what was checked. Paths are looked up and sockets
// opened with the caller's credentials (asCaller), never permc's, which
// may be root's. What it connects:
//
//   - an AF_UNIX socket to a path: an allowlisted socket, by its absolute
//     path as the profile names it or as it resolved when the sandbox
//     started, reopened without following any symbolic link (runtime/run
//     refuses an allowlisted socket the sandbox could replace); or, when
//     the sandbox has its own network namespace, a socket a process of the
//     sandbox bound, found as the sandbox sees the path (a relative path
//     from its current directory, never above it) and recognised by a
//     listening socket bound to that very file in that namespace;
//   - an AF_UNIX socket to an abstract name: only when the sandbox has its
//     own network namespace, whose abstract names are its own;
//   - an IP socket: as asked, but for TCP only to the ports Landlock would
//     let the sandbox connect to (TCPPorts); the socket lives in the
//     sandbox's network namespace, which decides what it reaches;
//   - any other family: refused, since permc's capabilities would count.
//
// What it binds (fully open network only): no unix socket, whose abstract
// name would be the host's; IP and netlink sockets with the caller's
// credentials. Refusals fail with EACCES, as the kernel refuses a socket
// the caller may not write.
type Broker struct {
	Sockets []BrokerSocket
	// OwnNetwork says the sandbox has its own network namespace.
	OwnNetwork bool
	// TCPPorts, when not nil, are the only ports a TCP socket may connect
	// to: the Landlock ruleset's connect_tcp rule, which the broker's own
	// connect is not under.
	TCPPorts []uint16
	// Log receives one line per unix-socket decision; nil is quiet.
	Log func(format string, args ...any)

	// diag is a sock_diag socket in the sandbox's network namespace (when
	// it has its own), or -1: it tells the sandbox's own sockets apart.
	diag    int
	diagMu  sync.Mutex
	diagSeq uint32
	// blocking holds a token per connect in progress on a blocking
	// socket (maxBlocking at most).
	blocking chan struct{}
}

// BrokerSocket is one allowlisted unix socket.
type BrokerSocket struct {
	Path string // as the profile names it, cleaned
	// Canonical is Path with its directory's symbolic links resolved on
	// the host before the sandbox starts; Path itself when that fails.
	Canonical string
}

// NewBroker resolves the allowlisted paths (absolute) on the host, before
// anything of the sandbox runs.
func NewBroker(paths []string, ownNetwork bool, log func(string, ...any)) *Broker {
	b := &Broker{OwnNetwork: ownNetwork, Log: log, diag: -1}
	for _, p := range paths {
		p = filepath.Clean(p)
		b.Sockets = append(b.Sockets, BrokerSocket{Path: p, Canonical: CanonicalSocket(p)})
	}
	return b
}

// CanonicalSocket is where the socket path p leads on the host: p with
// its symbolic links resolved, or its directory's when the socket does not
// exist yet, or p itself when neither resolves.
func CanonicalSocket(p string) string {
	p = filepath.Clean(p)
	if c, err := filepath.EvalSymlinks(p); err == nil {
		return c
	}
	if d, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		return filepath.Join(d, filepath.Base(p))
	}
	return p
}

// allowed returns the allowlisted socket that path names, absolute and
// cleaned, or nil.
func (b *Broker) allowed(path string) *BrokerSocket {
	for i := range b.Sockets {
		if s := &b.Sockets[i]; path == s.Path || path == s.Canonical {
			return s
		}
	}
	return nil
}

// tcpAllowed reports whether a TCP socket may connect to port.
func (b *Broker) tcpAllowed(port uint16) bool {
	return b.TCPPorts == nil || slices.Contains(b.TCPPorts, port)
}

func (b *Broker) logf(format string, args ...any) {
	if b.Log != nil {
		b.Log(format, args...)
	}
}
