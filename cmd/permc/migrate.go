package main

import (
	"fmt"
	"io"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/passes"
)

func runMigrate(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := newFlagSet("migrate", stderr)
	c.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "permc migrate: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if !c.textOrJSON("migrate", stderr) || notApplicable(fs, "migrate", stderr, "target", "bind") {
		return exitUsage
	}
	cfg, diags := frontend.Load(c.frontendOptions())
	if diags.HasErrors() {
		c.printDiags(stderr, diags)
		return exitNo
	}
	out, ds := passes.Migrate(cfg, passes.Options{ConfigProfile: c.configProfile, Sandbox: c.sandbox})
	if ds.HasErrors() {
		c.printDiags(stderr, ds)
		return exitNo
	}
	fmt.Fprint(stdout, out)
	return exitOK
}
