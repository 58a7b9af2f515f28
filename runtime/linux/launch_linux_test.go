package linux

import (
	"slices"
	"testing"
)

// bwrap runs outside the sandbox: the loader's variables never reach it,
// everything else does.
func TestLoaderSafeEnv(t *testing.T) {
	got := loaderSafeEnv([]string{"PATH=/bin", "LD_PRELOAD=/w/x.so", "LD_LIBRARY_PATH=/w",
		"GCONV_PATH=/w", "HOME=/h", "GLIBC_TUNABLES=x", "LD_AUDIT=/w/a.so"})
	if want := []string{"PATH=/bin", "HOME=/h"}; !slices.Equal(got, want) {
		t.Errorf("loaderSafeEnv = %v, want %v", got, want)
	}
}
