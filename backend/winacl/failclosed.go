package winacl

import (
	"strings"

	"github.com/permc/permc/ir"
)

// Access orders a grant as ir.Access does: deny < read < write.
func (g Grant) Access() ir.Access {
	switch {
	case g.Write:
		return ir.Write
	case g.Read:
		return ir.Read
	}
	return ir.Deny
}

// FailClosed is a place of a model machine where its stock ACLs give the
// sandbox less than ir.Decide, for a documented reason: the applier cannot
// or must not change them. Below a ReadOnly prefix the sandbox must still
// read what ir.Decide lets it read.
type FailClosed struct {
	Prefix, Why string
	ReadOnly    bool
}

// ClosedReason says why the sandbox getting got at path, where ir.Decide
// wants want, is one of the known places of rules (or a missing path
// below a folder it cannot write, on d); "" when it is not.
func ClosedReason(d *Disk, rules []FailClosed, path string, got ir.Access, want ir.Decision) string {
	clean, _ := ir.CleanPath(ir.Windows, path)
	clean = strings.ToLower(clean)
	for _, f := range rules {
		if !strings.HasPrefix(clean, strings.ToLower(f.Prefix)) {
			continue
		}
		if f.ReadOnly && (got != ir.Read || !want.Write) {
			return ""
		}
		return f.Why
	}
	if _, ok := d.Stat(path); !ok {
		return "a missing path below a folder the sandbox cannot write"
	}
	return ""
}
