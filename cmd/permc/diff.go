package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/permc/permc/passes"
	"github.com/permc/permc/review"
)

const diffUsage = "usage: permc diff [flags] OLD NEW   (each a config file or a folder written by permc build; -c FILE adds lower layers to both configs)"

func runDiff(args []string, stdout, stderr io.Writer) int {
	c := common{noBind: true}
	fs := newFlagSet("diff", stderr)
	c.register(fs, false)
	fs.Lookup("c").Usage = "lower config `FILE` read under both OLD and NEW when they are configs (repeatable, lowest precedence first)"
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(pos) != 2 {
		fmt.Fprintln(stderr, diffUsage)
		return exitUsage
	}
	if isDir(pos[0]) && isDir(pos[1]) {
		// Two build folders: their policies are compiled already, and
		// what says how to compile a config has nothing to act on.
		for _, n := range []string{"c", "sandbox", "requirements", "config-profile", "system-layers"} {
			if flagGiven(fs, n) {
				fmt.Fprintf(stderr, "permc diff: %s does not apply: both sides are build folders\n", dashed(n))
				return exitUsage
			}
		}
	}
	targets, err := c.parseTargets()
	if err != nil {
		fmt.Fprintf(stderr, "permc diff: %v\n", err)
		return exitUsage
	}
	switch c.format {
	case "text", "json", "markdown":
	default:
		fmt.Fprintf(stderr, "permc diff: unknown format %q: use text, markdown or json\n", c.format)
		return exitUsage
	}
	o := review.SideOptions{
		Frontend: c.frontendOptions(),
		// --profile only narrows the report: selecting it on a side that
		// lacks it would be an error, and the selection is compared too.
		Passes: passes.Options{ConfigProfile: c.configProfile, Sandbox: c.sandbox},
	}
	var sides [2]*review.Side
	for i, arg := range pos {
		s, diags, err := review.LoadSide(arg, o)
		if err != nil {
			fmt.Fprintf(stderr, "permc diff: %v\n", err)
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, review.ErrNotSide) {
				return exitUsage
			}
			return exitNo
		}
		if c.verbose || diags.HasErrors() {
			c.printDiags(stderr, diags.Sorted())
		}
		if s == nil {
			fmt.Fprintf(stderr, "permc diff: %s has errors; no answer\n", arg)
			return exitNo
		}
		sides[i] = s
	}
	if c.profile != "" && sides[0].Policies[c.profile] == nil && sides[1].Policies[c.profile] == nil &&
		!passes.IsBuiltin(c.profile) {
		// A misspelt name would narrow the report to nothing: "no
		// semantic change" for a change that widens access.
		fmt.Fprintf(stderr, "permc diff: --profile %q: neither side defines that profile\n", c.profile)
		return exitUsage
	}
	r := review.Diff(sides[0], sides[1], review.Options{Targets: targets, Profile: c.profile})
	// The -c layers lie beneath config files, not build folders.
	if !isDir(pos[0]) && !isDir(pos[1]) {
		r.Below = c.configs
	}
	switch c.format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(r)
	case "markdown":
		review.WriteDiffMarkdown(stdout, r)
	default:
		review.WriteDiffText(stdout, r)
	}
	if r.Widened {
		return exitNo
	}
	return exitOK
}

// isDir reports whether path is a directory (a build folder side).
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
