package main

import (
	"fmt"
	"io"

	"github.com/permc/permc/internal/version"
)

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: permc version")
		return exitUsage
	}
	fmt.Fprintf(stdout, "permc %s (artifact format %d)\n", version.Version, version.ArtifactFormat)
	return exitOK
}
