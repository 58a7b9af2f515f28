// Command gendocs writes docs/diagnostics.md from diag.Codes.
package main

import (
	"fmt"
	"os"

	"github.com/permc/permc/internal/diag"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendocs OUT.md")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], []byte(diag.Markdown()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
