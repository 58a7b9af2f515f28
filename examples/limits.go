// Package examples holds the bundled example configs and, as data for the
// tests, which targets each can be built for.
package examples

import (
	_ "embed"
	"strings"
)

//go:embed limits.txt
var limits string

// Limits maps an example (a path below examples/, or a folder holding a
// multi-file setup) to the comma-separated targets it builds for; examples
// not listed build for every target.
func Limits() map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(limits, "\n") {
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(line, "#") {
			out[f[0]] = f[1]
		}
	}
	return out
}
