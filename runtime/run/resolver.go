package run

import (
	"path/filepath"
	"strings"

	"github.com/permc/permc/ir"
)

// resolverFiles are the files the proxy's own name lookups read on
// target t: the hosts file and the resolver's settings. The proxy runs
// outside the sandbox and decides by name; if the sandbox could rewrite
// these, an allowed name could be made to lead anywhere (the local
// guard still refuses private and local addresses).
func resolverFiles(t ir.Target, getenv func(string) string) []string {
	switch t {
	case ir.Linux:
		// permc is built without cgo: Go's own resolver reads these.
		return []string{"/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf"}
	case ir.MacOS:
		// /etc/resolver holds per-domain resolver settings; a rule that
		// grants write to the folder or above is caught by its path.
		return []string{"/etc/hosts", "/private/etc/hosts", "/etc/resolv.conf", "/private/etc/resolv.conf",
			"/var/run/resolv.conf", "/private/var/run/resolv.conf", "/etc/resolver", "/private/etc/resolver"}
	case ir.Windows:
		root := getenv("SystemRoot")
		if root == "" {
			root = `C:\Windows`
		}
		root = strings.TrimRight(root, `\/`)
		return []string{root + `\System32\drivers\etc\hosts`, root + `\System32\drivers\etc\lmhosts.sam`}
	}
	return nil
}

// checkResolverFiles refuses a run whose proxy would look names up with a
// file the sandbox can write. writable reports whether the sandbox could
// write a path, the decision that lets it, and through which link.
func (o *Options) checkResolverFiles(t ir.Target, getenv func(string) string,
	writable func(string) (ir.Decision, string, bool)) error {
	if o.Policy.Net.Mode() != ir.NetProxied {
		return nil
	}
	for _, f := range resolverFiles(t, getenv) {
		d, via, ok := writable(f)
		if !ok {
			continue
		}
		by := ""
		if d.By != nil {
			by = " (writable by " + d.By.Origin.String() + ")"
		}
		if via != "" {
			by += ", as " + via + " leads there"
		}
		return fail(ExitSetup, "refusing to run: %s would be writable inside the sandbox%s; permc's proxy, "+
			"outside the sandbox, looks names up with it, so the command could send an allowed name to any "+
			"public address. Keep the resolver's files (%s) read-only in a profile with a domains table",
			f, by, strings.Join(resolverNames(t, getenv), ", "))
	}
	return nil
}

// resolverNames are resolverFiles by base name, for messages.
func resolverNames(t ir.Target, getenv func(string) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range resolverFiles(t, getenv) {
		n := filepath.Base(strings.ReplaceAll(f, `\`, "/"))
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// decideWritable is checkResolverFiles' writable by the policy's rules
// alone, for the targets where permc resolves no links.
func decideWritable(p *ir.Policy, t ir.Target, b ir.Binding) func(string) (ir.Decision, string, bool) {
	dec := ir.NewDecider(p, t, b)
	return func(path string) (ir.Decision, string, bool) {
		d := dec.Decide(path)
		return d, "", d.Write
	}
}
