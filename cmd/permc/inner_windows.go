//go:build windows

package main

import (
	"fmt"
	"os"

	"github.com/permc/permc/runtime/windows"
)

// The second stage of a Windows launch: permc, started as the sandbox
// user, builds the sandbox token and runs the command.
func init() {
	platformInner = func(args []string) (int, bool) {
		if len(args) != 2 || args[0] != windows.InnerArg {
			return 0, false
		}
		p, err := windows.RunInner(args[1])
		if err != nil {
			fmt.Fprintf(os.Stderr, "permc: %v\n", err)
			return 125, true
		}
		code, err := p.Wait()
		if err != nil {
			fmt.Fprintf(os.Stderr, "permc: %v\n", err)
			return 125, true
		}
		return int(code), true
	}
}
