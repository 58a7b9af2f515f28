package seccomp

import (
	"runtime"

	"github.com/permc/permc/ir"
)

// Arch is an architecture permc emits a filter for.
type Arch string

const (
	X86_64  Arch = "x86_64"
	AArch64 Arch = "aarch64"
)

// Arches lists the architectures Compile accepts, in artifact order.
func Arches() []Arch { return []Arch{X86_64, AArch64} }

// ABI returns the syscall table of the architecture, or nil for an unknown
// one.
func (a Arch) ABI() *ir.SyscallABI { return ir.LookupSyscallABI(string(a)) }

// FileName is the artifact the architecture's program is written to.
func (a Arch) FileName() string { return "seccomp-" + string(a) + ".bpf" }

// NativeArch returns the architecture of the running program, and false
// when permc emits no filter for it.
func NativeArch() (Arch, bool) {
	switch runtime.GOARCH {
	case "amd64":
		return X86_64, true
	case "arm64":
		return AArch64, true
	}
	return "", false
}
