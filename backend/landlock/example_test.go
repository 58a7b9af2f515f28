package landlock_test

import (
	"fmt"

	"github.com/permc/permc/backend/landlock"
	"github.com/permc/permc/ir"
)

// A policy compiles to one ruleset; a machine binds its roots; the
// evaluator answers what the kernel will allow.
func Example() {
	p := &ir.Policy{Name: "edit", Net: ir.DefaultNetPolicy(), FS: ir.FSPolicy{Rules: []ir.FSRule{
		{Base: ir.BaseMinimal, Access: ir.Read},
		{Base: ir.BaseWorkspaceRoots, Access: ir.Write},
		{Base: ir.BaseWorkspaceRoots, Path: "secrets", Access: ir.Deny},
	}}}
	rs, _ := landlock.Compile(p)
	fmt.Println("min ABI:", rs.MinABI, "network:", rs.HandledNet)
	for _, c := range rs.Coverage {
		fmt.Printf("%s %s: %s\n", c.Rule, c.Access, c.By)
	}

	res, _ := landlock.Resolve(rs, ir.Binding{WorkspaceRoots: []string{"/home/dev/ws"}})
	fmt.Println(res.CanWrite("/home/dev/ws/main.go", false), res.CanWrite("/usr/bin/env", false),
		res.CanRead("/usr/bin/env", false), res.CanConnect(443), res.Standalone())
	// Output:
	// min ABI: 6 network: [bind_tcp connect_tcp]
	// :minimal read: landlock
	// :workspace_roots write: landlock
	// :workspace_roots/secrets deny: mount-plan
	// true false true false false
}
