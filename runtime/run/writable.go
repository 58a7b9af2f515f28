package run

import (
	"path/filepath"
	"strings"

	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/ir"
)

// writeCheck answers whether a path of this machine would be writable
// inside the sandbox. Decide answers for paths as rules are written, but
// bubblewrap mounts each rule at the path it leads to: a rule for /bin
// where /bin is a link to usr/bin makes /usr/bin writable, which Decide
// on "/usr/bin/bwrap" does not see. So a path below where a write rule
// leads is also decided under the rule's own name.
type writeCheck struct {
	dec   *ir.Decider
	links []ruleLink
}

// ruleLink is a write rule's path and, different from it, where it leads.
type ruleLink struct{ written, real string }

func newWriteCheck(p *ir.Policy, t ir.Target, b ir.Binding) *writeCheck {
	w := &writeCheck{dec: ir.NewDecider(p, t, b)}
	for _, g := range w.dec.WriteGrants() {
		if real := realPath(g); real != filepath.Clean(g) {
			w.links = append(w.links, ruleLink{written: g, real: real})
		}
	}
	return w
}

// writable reports whether path would be writable, the decision that
// says so, and, when a link decides, the rule's path it is reached by.
func (w *writeCheck) writable(path string) (ir.Decision, string, bool) {
	if d := w.dec.Decide(path); d.Write {
		return d, "", true
	}
	for _, l := range w.links {
		rel, ok := below(l.real, path)
		if !ok {
			continue
		}
		alias := filepath.Join(l.written, rel)
		if d := w.dec.Decide(alias); d.Write {
			return d, alias, true
		}
	}
	return ir.Decision{}, "", false
}

// below reports whether p is dir or inside it, and the rest of p.
func below(dir, p string) (string, bool) {
	if p == dir {
		return "", true
	}
	rest, ok := strings.CutPrefix(p, strings.TrimSuffix(dir, "/")+"/")
	return rest, ok
}

// realPath is p with every symlink resolved by the mount plan's own
// resolver (which follows links as the kernel does); a part that does not
// exist is kept as written below the real path of what does. A path it
// cannot resolve is returned as is: the mount plan refuses it too.
func realPath(p string) string {
	real, err := bwrap.Canonical(filepath.Clean(p))
	if err != nil {
		return filepath.Clean(p)
	}
	return real
}

// WritableInside returns a function that reports whether a path of this
// machine would be writable inside a Linux sandbox of p bound to b, rules
// through symlinks included (see writeCheck).
func WritableInside(p *ir.Policy, b ir.Binding) func(path string) bool {
	w := newWriteCheck(p, ir.Linux, b)
	return func(path string) bool {
		_, _, ok := w.writable(path)
		return ok
	}
}
