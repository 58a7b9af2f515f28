package run

import (
	"os"
	"syscall"

	"github.com/permc/permc/ir"
)

// checkResolverLinks refuses a proxied run when a resolver file has a
// second name that could lie in a writable root: a hard link is not a
// path the rules see, so it is refused whenever the file has more than
// one link and the sandbox may write somewhere on the same file system.
func (o *Options) checkResolverLinks(wc *writeCheck) error {
	if o.Policy.Net.Mode() != ir.NetProxied {
		return nil
	}
	for _, f := range resolverFiles(ir.Linux, os.Getenv) {
		fi, err := os.Stat(f)
		if err != nil || hardLinks(fi) <= 1 {
			continue
		}
		dev := fi.Sys().(*syscall.Stat_t).Dev
		for _, g := range wc.dec.WriteGrants() {
			gi, err := os.Stat(g)
			if err != nil || gi.Sys().(*syscall.Stat_t).Dev != dev {
				continue
			}
			return fail(ExitSetup, "refusing to run: %s has %d hard links, and the sandbox may write %s on the "+
				"same file system, where another could be; permc's proxy, outside the sandbox, looks names up "+
				"with it. Give it one name (cp %s %s.new && mv %s.new %s)", f, hardLinks(fi), g, f, f, f, f)
		}
	}
	return nil
}
