package run

import (
	"strings"
	"testing"

	"github.com/permc/permc/backend/bwrap"
)

// A kernel file system is known by its type wherever it is mounted.
func TestKernelFSType(t *testing.T) {
	for _, p := range []string{"/sys", "/sys/kernel", "/proc", "/proc/sys"} {
		if kernelFSType(p) == "" {
			t.Errorf("%s is not taken for a kernel file system", p)
		}
	}
	if k := kernelFSType(t.TempDir()); k != "" {
		t.Errorf("a temporary folder is taken for %s", k)
	}
}

// A plan that leaves a kernel file system writable is refused: a writable
// bind inside one ($HOME=/sys/kernel/mm), or one holding a kernel mount
// (a writable / holds /sys).
func TestCheckKernelMounts(t *testing.T) {
	ok := t.TempDir()
	for _, tc := range []struct {
		ops  []bwrap.Op
		want string
	}{
		{[]bwrap.Op{{Op: bwrap.OpROBind, Src: "/", Dest: "/"}, {Op: bwrap.OpBind, Src: ok, Dest: ok}}, ""},
		{[]bwrap.Op{{Op: bwrap.OpROBind, Src: "/", Dest: "/"}, {Op: bwrap.OpBind, Src: "/sys/kernel/mm", Dest: "/h"}},
			"/sys/kernel/mm would be writable"},
		{[]bwrap.Op{{Op: bwrap.OpBind, Src: "/", Dest: "/"}}, "file system) would be writable inside"},
		{[]bwrap.Op{{Op: bwrap.OpROBind, Src: "/", Dest: "/"}, {Op: bwrap.OpDevBind, Src: "/dev/null", Dest: "/dev/null"}}, ""},
		{[]bwrap.Op{{Op: bwrap.OpROBind, Src: "/", Dest: "/"}, {Op: bwrap.OpBind, Src: "/dev/shm", Dest: "/x"}},
			"/dev/shm would be writable"},
		{[]bwrap.Op{{Op: bwrap.OpBind, Src: "/", Dest: "/"}, {Op: bwrap.OpROBind, Src: "/sys", Dest: "/sys"},
			{Op: bwrap.OpROBind, Src: "/proc", Dest: "/proc"}, {Op: bwrap.OpROBind, Src: "/dev", Dest: "/dev"}}, ""},
	} {
		err := checkKernelMounts(&bwrap.Resolved{Ops: tc.ops})
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.ops, err, tc.want)
		}
	}
	if got := unescapeMount(`/a\040b\134c`); got != `/a b\c` {
		t.Errorf("unescape: %q", got)
	}
}
