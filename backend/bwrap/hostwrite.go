package bwrap

// WritableFromInside reports whether the host's file at real path p (no
// symlink in it) is writable inside the sandbox the plan makes, and at
// which path: some read-write bind has p at or below its source, and at
// the matching path inside, the mount that covers it last is that bind or
// another read-write one, not made read-only afterwards.
//
// The runtime asks this of permc's own inputs and programs once the plan
// is resolved and its sources are open: a check made earlier, on the
// paths as written, can be outrun by a sandbox that moves folders while
// another run starts.
func (res *Resolved) WritableFromInside(p string) (string, bool) {
	for _, o := range res.Ops {
		if o.Op != OpBind && o.Op != OpDevBind || !within(p, o.Src) {
			continue
		}
		inside := joinPath(o.Dest, p[len(o.Src):])
		if res.writableAt(inside) {
			return inside, true
		}
	}
	return "", false
}

// writableAt reports whether the sandbox's path q lies on a read-write
// bind: the last mount made at or above q is one, and no remount made it
// read-only.
func (res *Resolved) writableAt(q string) bool {
	var cover *Op
	for i := range res.Ops {
		o := &res.Ops[i]
		switch {
		case o.isMount() && within(q, o.Dest):
			cover = o
		case o.Op == OpRemount && cover != nil && o.Dest == cover.Dest:
			cover = nil // read-only now
		}
	}
	return cover != nil && (cover.Op == OpBind || cover.Op == OpDevBind)
}
