//go:build linux

package seccomp

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/permc/permc/ir"
)

// BenchmarkSyscall measures what the filter adds to a syscall, in a child
// that loads it as the runtime does. getppid is a plain call (no rule names
// it, so the kernel's constant-action cache answers it without running the
// program); ioctl on a bad descriptor is argument-checked and runs it.
// Compare each "filter" line's ns/call with the "empty" line (a one-
// instruction program that allows everything: the cost of having seccomp
// at all) and the "none" line of the same call. ns/op includes the child's
// start, spread over b.N calls; ns/call does not.
func BenchmarkSyscall(b *testing.B) {
	arch := nativeArch(b)
	for _, f := range []struct {
		name string
		prog *Program
	}{
		{"none", nil},
		{"empty", &Program{Arch: arch, Raw: []bpf.RawInstruction{{Op: 0x06, K: retAllow}}}},
		{"filter-off", mustCompile(b, policyFor(ir.NetOff, false), arch)},
		{"filter-proxied", mustCompile(b, policyFor(ir.NetProxied, false), arch)},
	} {
		for _, call := range []string{"getppid", "ioctl"} {
			b.Run(f.name+"/"+call, func(b *testing.B) {
				out := runChild(b, "bench", f.prog, call, fmt.Sprint(b.N))
				ns, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
				if err != nil {
					b.Fatalf("child printed %q", out)
				}
				b.ReportMetric(ns/float64(b.N), "ns/call")
			})
		}
	}
}
