package run

import "testing"

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
