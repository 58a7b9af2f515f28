//go:build !linux

// Command permc-bench measures permc on Linux; see main.go.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "permc-bench: Linux only")
	os.Exit(2)
}
