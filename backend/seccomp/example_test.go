package seccomp_test

import (
	"fmt"

	"github.com/permc/permc/backend/seccomp"
	"github.com/permc/permc/ir"
)

func ExampleCompile() {
	// A profile that enables the network with a domains table: the proxy
	// is the only way out.
	p := &ir.Policy{Name: "web", Net: ir.DefaultNetPolicy()}
	p.Net.Enabled, p.Net.HasDomains = true, true

	prog, err := seccomp.Compile(p, seccomp.X86_64)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := prog.Summary
	fmt.Println("refused calls:", s.Errno, "- unknown calls:", s.UnknownErrno)
	fmt.Println("families:", s.AllowedFamilies, "others:", s.OtherFamilies)
	fmt.Println("i386:", s.Compat["i386"], "- x32:", s.X32, "- other arch:", s.ForeignArch)
	fmt.Println(seccomp.X86_64.FileName(), "holds", len(prog.Bytes()), "bytes")
	// Output:
	// refused calls: EPERM - unknown calls: ENOSYS
	// families: [AF_INET(not protocol 262) AF_INET6(not protocol 262) AF_NETLINK(protocol 0)] others: EPERM
	// i386: ENOSYS - x32: ENOSYS - other arch: kill_process
	// seccomp-x86_64.bpf holds 1720 bytes
}
