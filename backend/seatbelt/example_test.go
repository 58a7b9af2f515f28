package seatbelt_test

import (
	"fmt"

	"github.com/permc/permc/backend/seatbelt"
	"github.com/permc/permc/ir"
)

func ExampleCompile() {
	p := &ir.Policy{Name: "docs", Net: ir.DefaultNetPolicy(), FS: ir.FSPolicy{Rules: []ir.FSRule{
		{Base: ir.BaseMinimal, Access: ir.Read},
		{Base: ir.BaseHome, Path: "Documents", Access: ir.Deny},
		{Base: ir.BaseHome, Path: "Documents/codex", Access: ir.Write},
	}}}
	prof, err := seatbelt.Compile(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	// macos.sb is prof.SBPL; macos.params.json is prof.ParamsJSON().
	for _, prm := range prof.Manifest.Params {
		fmt.Println(prm.Name, prm.Form)
	}
	// Output:
	// HOME path
	// HOME_RE regex
	// HOME_UP_RE anchored-regex
}

func ExampleEvaluate() {
	src := []byte(`(version 1)
(deny default)
; config.toml:3 "~/Documents" = deny
(deny file-read* file-write* (regex (string-append "^" (regex-quote (param "HOME")) "/Documents(/.*)?$")))
; config.toml:4 "~/Documents/codex" = write
(allow file-read* file-write* (subpath (string-append (param "HOME") "/Documents/codex")))
`)
	params := map[string]string{"HOME": "/Users/dev"}
	for _, path := range []string{"/Users/dev/Documents/x", "/Users/dev/Documents/codex/x"} {
		d, err := seatbelt.Evaluate(src, params, "file-write-data", path)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %v (line %d, %s)\n", path, d.Allowed, d.Rule.Line, d.Rule.Comment)
	}
	// Output:
	// /Users/dev/Documents/x: false (line 4, config.toml:3 "~/Documents" = deny)
	// /Users/dev/Documents/codex/x: true (line 6, config.toml:4 "~/Documents/codex" = write)
}
