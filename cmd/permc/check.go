package main

import (
	"encoding/json"
	"fmt"
	"github.com/permc/permc/ir"
	"io"
	"path/filepath"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/review"
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
	switch c.format {
	case "text", "json", "sarif":
	default:
		fmt.Fprintf(stderr, "permc check: unknown format %q: use text, json or sarif\n", c.format)
		return exitUsage
	}
	res, diags := c.load()
	if res != nil {
		for _, p := range res.Policies {
			for _, t := range targets {
				diags = append(diags, passes.Enforceability(p, t)...)
				if t == ir.Linux {
					diags = append(diags, c.replaceableSockets(p)...)
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
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

// replaceableSockets warns, for the roots of this machine (or --bind), of
// each allowlisted unix socket that permc run on Linux will refuse because
// the sandbox could write where it lies.
func (c *common) replaceableSockets(p *ir.Policy) diag.List {
	var out diag.List
	socks := p.Net.AllowedUnixSockets()
	if len(socks) == 0 || p.Net.DangerouslyAllowAllUnixSockets || p.Unrestricted {
		return nil
	}
	b, err := c.machineBinding()
	if err != nil {
		return nil
	}
	dec := ir.NewDecider(p, ir.Linux, b)
	for _, s := range socks {
		if d := dec.Decide(filepath.Clean(s.Path)); d.Write {
			by := ""
			if d.By != nil {
				by = " by " + d.By.Origin.String()
			}
			out.Warnf(s.Origin.Pos, diag.Load, "profile %s: unix_sockets entry %q is writable inside the sandbox%s "+
				"with this machine's roots, so permc run will refuse it: the sandbox could put another socket there; "+
				"make its folder read-only (%q = \"read\") or allowlist a socket outside every writable root",
				p.Name, s.Path, by, filepath.Dir(s.Path))
		}
	}
	return out
}
