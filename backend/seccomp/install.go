package seccomp

import (
	"fmt"
	"runtime"
)

// InstallFilter loads prog on the calling thread (see Load for what the
// caller must have done first), after checking that prog was compiled for
// the architecture it runs on: a foreign program would kill the process at
// its next syscall.
func InstallFilter(prog *Program) error {
	native, ok := NativeArch()
	if !ok || native != prog.Arch {
		return fmt.Errorf("seccomp: program for %s cannot run on this machine (%s)", prog.Arch, runtime.GOARCH)
	}
	return Load(prog.Bytes())
}
