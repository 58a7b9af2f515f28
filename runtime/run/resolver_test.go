package run

import (
	"strings"
	"testing"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/verify"
)

// On every target, a proxied profile that lets the sandbox write a file
// the proxy's name lookups read is refused, at the rule that allows it;
// one that only reads them, or has no proxy, is not.
func TestCheckResolverFiles(t *testing.T) {
	getenv := func(k string) string {
		if k == "SystemRoot" {
			return `D:\Win`
		}
		return ""
	}
	cases := []struct {
		target  ir.Target
		rule    string
		proxied bool
		refused string
	}{
		{ir.Linux, `"/etc/hosts" = "write"`, true, "/etc/hosts"},
		{ir.Linux, `"/etc/hosts" = "write"`, false, ""},
		{ir.Linux, `"/etc/hosts" = "read"`, true, ""},
		{ir.MacOS, `"/private/etc" = "write"`, true, "/etc/hosts"}, // Decide folds /private
		{ir.MacOS, `"/private/var/run" = "write"`, true, "/var/run/resolv.conf"},
		{ir.Windows, `'D:\Win\System32\drivers\etc' = "write"`, true, `D:\Win\System32\drivers\etc\hosts`},
		{ir.Windows, `'C:\Windows\System32\drivers\etc' = "write"`, true, ""}, // not this machine's SystemRoot
	}
	for _, c := range cases {
		cfg := "default_permissions = \"p\"\n[permissions.p.filesystem]\n\":root\" = \"read\"\n" + c.rule + "\n"
		if c.proxied {
			cfg += "[permissions.p.network]\nenabled = true\n[permissions.p.network.domains]\n\"example.test\" = \"allow\"\n"
		}
		conf, diags := frontend.Load(frontend.Options{Files: []string{"p.toml"}, ReadFile: func(string) ([]byte, error) {
			return []byte(cfg), nil
		}})
		res := passes.Run(conf, passes.Options{})
		if diags.HasErrors() || res.SelectedPolicy() == nil {
			t.Fatal(diags, res.Diags)
		}
		o := &Options{Policy: res.SelectedPolicy()}
		err := o.checkResolverFiles(c.target, getenv, decideWritable(o.Policy, c.target, verify.Binding(c.target)))
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("%v %s (proxied %v): refused: %v", c.target, c.rule, c.proxied, err)
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused+" would be writable") ||
			!strings.Contains(err.Error(), "p.toml:4")):
			t.Errorf("%v %s: %v; want %s refused at p.toml:4", c.target, c.rule, err, c.refused)
		}
	}
}
