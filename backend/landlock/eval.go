package landlock

// The evaluator answers what a resolved ruleset allows, as the kernel
// would once it is applied. Paths are as the sandbox sees them, with every
// symlink already followed: Landlock judges the file reached, through the
// directories above it.

// Rights returns the filesystem rights granted at p: the union of the
// rules at or above it. Rights the ruleset does not handle are granted
// everywhere.
func (r *Resolved) Rights(p string) Set {
	s := ^r.HandledFS
	for _, g := range r.Paths {
		if within(p, g.Path) {
			s |= g.Rights
		}
	}
	return s
}

// Has reports whether every named filesystem right is granted at p.
func (r *Resolved) Has(p string, names ...string) bool {
	want := setOf(FS, names)
	return r.Rights(p)&want == want
}

// CanRead reports whether a file at p can be opened for reading, or a
// directory at p listed.
func (r *Resolved) CanRead(p string, dir bool) bool {
	if dir {
		return r.Has(p, "read_dir")
	}
	return r.Has(p, "read_file")
}

// CanWrite reports whether a file at p can be opened for writing, or an
// entry created in a directory at p.
func (r *Resolved) CanWrite(p string, dir bool) bool {
	if dir {
		return r.Has(p, "make_reg", "make_dir")
	}
	return r.Has(p, "write_file")
}

// CanConnect reports whether a TCP connection to port is allowed.
func (r *Resolved) CanConnect(port uint16) bool { return r.portAllowed("connect_tcp", port) }

// CanBind reports whether binding a TCP socket to port is allowed.
func (r *Resolved) CanBind(port uint16) bool { return r.portAllowed("bind_tcp", port) }

func (r *Resolved) portAllowed(name string, port uint16) bool {
	if r.HandledNet&setOf(Net, []string{name}) == 0 {
		return true
	}
	for _, p := range r.Ports {
		if p.Right == name && p.Port == port {
			return true
		}
	}
	return false
}

// IsScoped reports whether the named scope (abstract_unix_socket, signal)
// confines the sandbox.
func (r *Resolved) IsScoped(name string) bool {
	s := setOf(Scope, []string{name})
	return s != 0 && r.Scoped&s == s
}
