package bwrap

import "testing"

func TestWritableFromInside(t *testing.T) {
	res := &Resolved{Ops: []Op{
		{Op: OpROBind, Src: "/", Dest: "/"},
		{Op: OpBind, Src: "/ws", Dest: "/ws"},
		{Op: OpROBind, Src: "/ws/.git", Dest: "/ws/.git"},
		{Op: OpBind, Src: "/real/out", Dest: "/ws/out"},
		{Op: OpBind, Src: "/data", Dest: "/data"},
		{Op: OpRemount, Dest: "/data"},
		{Op: OpBind, Src: "/hidden", Dest: "/hidden"},
		{Op: OpTmpfs, Dest: "/hidden"},
	}}
	for _, c := range []struct {
		path, at string
		ok       bool
	}{
		{"/ws/a", "/ws/a", true},
		{"/ws/.git/config", "", false},             // read-only bind below
		{"/real/out/permc", "/ws/out/permc", true}, // seen at another path
		{"/data/x", "", false},                     // remounted read-only
		{"/hidden/x", "", false},                   // covered by a tmpfs
		{"/usr/bin/bwrap", "", false},
	} {
		at, ok := res.WritableFromInside(c.path)
		if at != c.at || ok != c.ok {
			t.Errorf("%s: %q %v, want %q %v", c.path, at, ok, c.at, c.ok)
		}
	}
	// The root itself bound read-write (a fully writable profile).
	root := &Resolved{Ops: []Op{{Op: OpBind, Src: "/", Dest: "/"}}}
	if at, ok := root.WritableFromInside("/usr/bin/bwrap"); !ok || at != "/usr/bin/bwrap" {
		t.Errorf("under a read-write root: %q %v", at, ok)
	}
}
