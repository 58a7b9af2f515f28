package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/review"
	"github.com/permc/permc/runtime/run"
)

func runCheck(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := newFlagSet("check", stderr)
	c.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "permc check: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	targets, err := c.parseTargets()
	if err != nil {
		fmt.Fprintf(stderr, "permc check: %v\n", err)
		return exitUsage
	}
	// A --bind check cannot read would silently drop the warnings made
	// for the roots it names.
	if _, err := c.machineBinding(); err != nil {
		fmt.Fprintf(stderr, "permc check: %v\n", err)
		return exitUsage
	}
	switch c.format {
	case "text", "json", "sarif":
	default:
		fmt.Fprintf(stderr, "permc check: unknown format %q: use text, json or sarif\n", c.format)
		return exitUsage
	}
	res, diags := c.load()
	// A configuration with errors compiles to policies it does not mean
	// (a misspelled table is dropped, a file that does not parse is left
	// out): what the targets would make of them only hides the errors.
	// Like build, check reaches the targets once the configuration is
	// clean.
	skipped := diags.HasErrors()
	if res != nil && !skipped {
		for _, p := range res.Policies {
			for _, t := range targets {
				diags = append(diags, passes.Enforceability(p, t)...)
				if t == ir.Linux {
					diags = append(diags, c.replaceableSockets(p)...)
					if p.Name == res.Selected {
						diags = append(diags, c.writableInputs(p)...)
					}
				}
			}
		}
	}
	diags = diags.Sorted()
	switch c.format {
	case "json":
		writeJSONDiags(stdout, diags, res)
	case "sarif":
		if err := review.WriteSARIF(stdout, diags); err != nil {
			fmt.Fprintf(stderr, "permc check: %v\n", err)
		}
	default:
		c.printDiags(stdout, diags)
		if skipped {
			fmt.Fprintf(stdout, "what %s can enforce is checked once these errors are fixed\n", joinTargets(targets))
		}
		if !diags.HasErrors() && res != nil {
			fmt.Fprintf(stdout, "ok: %d profile(s); in effect: %s (%s)\n", len(res.Policies), res.Selected, res.Source)
		}
	}
	if diags.HasErrors() {
		return exitNo
	}
	return exitOK
}

func writeJSONDiags(w io.Writer, diags diag.List, res *passes.Result) {
	writeJSONDiagsIndent(w, diags, res, "  ")
}

// writeJSONDiagsIndent is writeJSONDiags with indent; "" writes the
// object on one line.
func writeJSONDiagsIndent(w io.Writer, diags diag.List, res *passes.Result, indent string) {
	out := struct {
		Diagnostics diag.List `json:"diagnostics"`
		Selected    string    `json:"selected,omitempty"`
		Source      string    `json:"source,omitempty"`
		Errors      int       `json:"errors"`
	}{Diagnostics: diags, Errors: len(diags.Errors())}
	if out.Diagnostics == nil {
		out.Diagnostics = diag.List{}
	}
	if res != nil {
		out.Selected, out.Source = res.Selected, string(res.Source)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", indent)
	enc.Encode(out)
}

// replaceableSockets warns, for the roots of this machine (or --bind), of
// each allowlisted unix socket that permc run on Linux will refuse
// (run.ReplaceableSockets).
func (c *common) replaceableSockets(p *ir.Policy) diag.List {
	if len(p.Net.AllowedUnixSockets()) == 0 {
		return nil
	}
	b, err := c.machineBinding()
	if err != nil {
		return nil
	}
	ds := run.ReplaceableSockets(p, b, run.Names)
	for i := range ds {
		ds[i].Severity = diag.Warning
		ds[i].Message = "profile " + p.Name + ": permc run will refuse this here: " + ds[i].Message
	}
	return ds
}

// writableInputs warns of the -c and --requirements files that the
// selected profile would let a sandbox on this machine write: permc run
// refuses them, since the sandbox could change the next run's policy.
func (c *common) writableInputs(p *ir.Policy) diag.List {
	if p.Unrestricted {
		return nil
	}
	b, err := c.machineBinding()
	if err != nil {
		return nil
	}
	writable := run.WritableInside(p, b)
	var ds diag.List
	for _, f := range append(append([]string(nil), c.configs...), c.requirements...) {
		abs, err := filepath.Abs(f)
		if err != nil {
			continue
		}
		for _, name := range run.Names(abs) {
			if writable(name) {
				ds.Warnf(diag.Pos{File: f}, diag.Load, "permc run will refuse this file here: %s would be "+
					"writable inside a sandbox of profile %s, which could change the next run's policy; "+
					"move it out of every writable root", name, p.Name)
				break
			}
		}
	}
	return ds
}

// joinTargets names targets for a message: "linux", "macos and linux".
func joinTargets(ts []ir.Target) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
