package passes_test

import (
	"testing"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// A trailing "/**" names the folder and everything below it, whatever the
// folder: the filesystem root, the home directory, a Windows drive or
// folder. A deny of "/**" once lost its path and was skipped everywhere.
func TestSubtreeGlobFolds(t *testing.T) {
	b := ir.Binding{Home: "/home/u", WorkspaceRoots: []string{"/home/u/ws"}}
	for _, c := range []struct {
		entry, table string
		base         ir.BaseKind
		path         string
		probe        string
		target       ir.Target
	}{
		{`"/**" = "deny"`, "", ir.BaseAbs, "/", "/var/tmp/secret", ir.Linux},
		{`"///**" = "deny"`, "", ir.BaseAbs, "/", "/var/tmp/secret", ir.MacOS},
		{`"**" = "deny"`, `."/"`, ir.BaseAbs, "/", "/var/tmp/secret", ir.Linux},
		{`"~/**" = "deny"`, "", ir.BaseHome, "", "/home/u/late-secret", ir.Linux},
		{`"/srv/**" = "deny"`, "", ir.BaseAbs, "/srv", "/srv/x/y", ir.Linux},
		{`"C:/Users/me/**" = "deny"`, "", ir.BaseAbs, `C:\Users\me`, `C:\Users\me\x`, ir.Windows},
		{`"**/" = "deny"`, `."~"`, ir.BaseHome, "", "/home/u/sub/s.txt", ir.Linux},
		{`"**/" = "deny"`, `."/srv/out"`, ir.BaseAbs, "/srv/out", "/srv/out/late", ir.Linux},
		{`"x/" = "deny"`, `."/srv"`, ir.BaseAbs, "/srv/x", "/srv/x/y", ir.Linux},
	} {
		cfg := "default_permissions = \"p\"\n[permissions.p.filesystem]\n\":root\" = \"read\"\n" +
			"\":workspace_roots\" = \"write\"\n"
		if c.table != "" {
			cfg += "[permissions.p.filesystem" + c.table + "]\n"
		}
		cfg += c.entry + "\n"
		opts := frontend.Options{Files: []string{"c.toml"}}
		res, diags := run(t, files{"c.toml": cfg}, opts, passes.Options{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", c.entry, diags)
		}
		p := res.SelectedPolicy()
		var got *ir.FSRule
		for i, r := range p.FS.Rules {
			if r.Access == ir.Deny && r.Base == c.base {
				got = &p.FS.Rules[i]
			}
		}
		if got == nil || got.Path != c.path || got.Glob {
			t.Errorf("%s: deny rule %+v, want base %v path %q, not a glob", c.entry, got, c.base, c.path)
			continue
		}
		if d := ir.Decide(p, c.target, b, c.probe); d.Access() != ir.Deny {
			t.Errorf("%s: %s on %s is %v", c.entry, c.probe, c.target, d.Access())
		}
	}
}
