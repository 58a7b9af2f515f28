package main

import (
	"fmt"
	"io"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

func runBuild(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := newFlagSet("build", stderr)
	c.register(fs, false)
	c.registerBuild(fs)
	out := fs.String("o", "", "output `DIR` (required)")
	check := fs.Bool("check", false, "compare the compiled output with DIR instead of writing it")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if !c.textOrJSON("build", stderr) {
		return exitUsage
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: permc build -o DIR [-c FILE]... [--check] [--target T] [--bind NAME=PATH]...")
		return exitUsage
	}
	targets, err := c.parseTargets()
	if err != nil {
		fmt.Fprintf(stderr, "permc build: %v\n", err)
		return exitUsage
	}
	var binds passes.Bindings
	for _, v := range c.binds {
		if err := binds.ParseBind(v); err != nil {
			fmt.Fprintf(stderr, "permc build: %v\n", err)
			return exitUsage
		}
	}
	b, inputs := c.compile(targets, binds)
	c.printDiags(stderr, b.Diags)
	if b.Diags.HasErrors() {
		fmt.Fprintf(stderr, "permc build: errors found; nothing written\n")
		return exitNo
	}
	if *check {
		return compareGolden(b, *out, stdout, stderr)
	}
	if err := b.Write(*out); err != nil {
		fmt.Fprintf(stderr, "permc build: %v\n", err)
		return exitNo
	}
	fmt.Fprintf(stdout, "wrote %d profile(s) from %d input(s) to %s\n", len(b.Folders), len(inputs), *out)
	return exitOK
}

// compile loads, resolves and builds; with no config it builds the
// built-in profiles.
func (c *common) compile(targets []ir.Target, binds passes.Bindings) (*driver.Build, []driver.Input) {
	var inputs []driver.Input
	for _, f := range c.configs {
		data, err := c.read(f)
		if err == nil {
			inputs = append(inputs, driver.Input{Path: f, Data: data})
		}
	}
	var reqs []driver.Input
	for _, f := range c.requirements {
		if data, err := c.read(f); err == nil {
			reqs = append(reqs, driver.Input{Path: f, Data: data})
		}
	}
	opts := driver.Options{Targets: targets, Bindings: binds, Inputs: inputs, WindowsToolFolders: c.winTools,
		Requirements: reqs, Sandbox: c.sandbox, ConfigProfile: c.configProfile}
	if len(c.configs) == 0 && !c.systemLayers && len(c.requirements) == 0 &&
		c.profile == "" && c.configProfile == "" && c.sandbox == "" {
		// Nothing to read or select: the built-in profiles. A selection
		// flag goes through the passes, which answer for it.
		return driver.Compile(passes.BuiltinPolicies(), "", opts), inputs
	}
	res, diags := c.load()
	if res == nil || diags.HasErrors() {
		return &driver.Build{Diags: diags}, inputs
	}
	opts.SystemLayers = c.systemFiles()
	b := driver.Compile(res.Policies, res.Selected, opts)
	b.Diags = append(diags, b.Diags...)
	if b.Diags.HasErrors() {
		b.Folders = nil
	}
	return b, append(append(inputs, reqs...), opts.SystemLayers...)
}

// systemFiles returns the machine's files the last load read: its config
// layers and, with --system-layers, its requirements.
func (c *common) systemFiles() []driver.Input {
	var out []driver.Input
	add := func(name string) {
		if data, err := c.read(name); err == nil {
			out = append(out, driver.Input{Path: name, Data: data})
		}
	}
	for _, l := range c.layers {
		if l.Kind != ir.LayerFile {
			add(l.File)
		}
	}
	if c.systemLayers {
		add(frontend.SystemRequirements)
	}
	return out
}

func compareGolden(b *driver.Build, dir string, stdout, stderr io.Writer) int {
	diffs, err := b.Compare(dir)
	if err != nil {
		fmt.Fprintf(stderr, "permc build --check: %v\n", err)
		return exitNo
	}
	for _, d := range diffs {
		fmt.Fprint(stdout, d)
	}
	if len(diffs) > 0 {
		fmt.Fprintf(stderr, "permc build --check: %d file(s) differ from %s; run permc build to update\n", len(diffs), dir)
		return exitNo
	}
	return exitOK
}
