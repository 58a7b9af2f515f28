package review

import (
	"fmt"
	"strings"

	"github.com/permc/permc/ir"
)

// An Enforcer says in one line how target enforces decision d of policy p
// for path (the path as the target sees it).
type Enforcer func(p *ir.Policy, path string, d ir.Decision) string

// Enforcers holds one Enforcer per target. The defaults map the kind of
// decision to the construct the backend emits; a package that links a
// backend replaces its target's entry with one that reads the backend's
// own artifact (the SBPL form, the mount, the ACL entry that applies).
var Enforcers = map[ir.Target]Enforcer{
	ir.MacOS:   seatbeltNote,
	ir.Linux:   linuxNote,
	ir.Windows: windowsNote,
}

// enforcement asks the registered Enforcer of t.
func enforcement(t ir.Target, p *ir.Policy, path string, d ir.Decision) string {
	e := Enforcers[t]
	if e == nil {
		return ""
	}
	return e(p, path, d)
}

// entryForm is "subpath" for a tree and "literal" for one file.
func entryForm(d ir.Decision) string {
	for _, m := range ir.Minimal(ir.MacOS) {
		if d.By.Kind != ir.MatchRule && m.Literal && m.Path == d.By.Path {
			return "literal"
		}
	}
	return "subpath"
}

func seatbeltNote(p *ir.Policy, path string, d ir.Decision) string {
	if p.Unrestricted {
		return "no sandbox: sandbox-exec is not used"
	}
	if d.By == nil {
		return "no rule allows it: the profile starts with (deny default)"
	}
	where := fmt.Sprintf("(%s %q)", entryForm(d), d.By.Path)
	if ir.HasGlobMeta(d.By.Path) {
		where = fmt.Sprintf("(regex ...) from the glob %s", d.By.Path)
	}
	switch {
	case d.By.Kind == ir.MatchDenyGlob:
		return fmt.Sprintf("(deny file-read* file-write* (regex ...)) from the glob %s, emitted after every allow", d.By.Path)
	case d.By.Access == ir.Deny:
		return fmt.Sprintf("(deny file-read* file-write* %s), emitted after the broader allows it overrides", where)
	case d.By.Access == ir.Write:
		return fmt.Sprintf("(allow file-read* file-write* %s)", where)
	}
	return fmt.Sprintf("(allow file-read* %s), then (deny file-write* ...) for the same path in any case", where)
}

func linuxNote(p *ir.Policy, path string, d ir.Decision) string {
	if p.Unrestricted {
		return "no sandbox: bwrap is not used"
	}
	switch {
	case strings.HasPrefix(path, "/dev/") && d.By != nil && d.By.Kind == ir.MatchImplicit:
		return "a fresh /dev (--dev /dev); Landlock allows the device"
	case strings.HasPrefix(path, "/proc/") && d.By != nil && d.By.Kind == ir.MatchImplicit:
		return "a fresh /proc of the sandbox's pid namespace (--proc /proc)"
	case d.By == nil:
		return "not mounted: outside every rule (the root is a read-only tmpfs)"
	case d.By.Kind == ir.MatchDenyGlob:
		return fmt.Sprintf("masked at load: each file matching %s found then gets an empty mode-0000 read-only file", d.By.Path)
	case d.By.Access == ir.Deny:
		return fmt.Sprintf("masked: %s is a read-only tmpfs of mode 0000 (an empty mode-0000 file for a file)", d.By.Path)
	case d.By.Kind == ir.MatchProtected:
		return fmt.Sprintf("read-only bind mount of %s over the writable root (--ro-bind)", d.By.Path)
	case d.By.Access == ir.Write:
		return fmt.Sprintf("writable bind mount of %s (--bind); Landlock grants write beneath it", d.By.Path)
	}
	return fmt.Sprintf("read-only bind mount of %s (--ro-bind); Landlock grants read beneath it", d.By.Path)
}

func windowsNote(p *ir.Policy, path string, d ir.Decision) string {
	if p.Unrestricted {
		return "no sandbox: no sandbox user, ACL or firewall rule"
	}
	switch {
	case d.By == nil:
		return "no ACL entry grants the sandbox identity access"
	case d.By.Kind == ir.MatchDenyGlob:
		return fmt.Sprintf("ACL deny read+write on each file matching %s found when the manifest is applied (elevated mode)", d.By.Path)
	case d.By.Access == ir.Deny:
		return fmt.Sprintf("ACL deny read+write on %s, inherited by its children (elevated mode)", d.By.Path)
	case d.By.Path == "" && d.By.Access == ir.Read:
		// :root readable: no container, and the sandbox user reads what
		// the broad groups may read.
		return "no ACL entry of ours: :root is readable, so the sandbox user keeps the read access that Users and Everyone have"
	case d.By.Path == "":
		return "no ACL entry of ours: :root is writable, so the sandbox user keeps the access that Users and Everyone have"
	case d.By.Access == ir.Write:
		return fmt.Sprintf("ACL allow modify (read, write, execute, delete) on %s, inherited", d.By.Path)
	}
	return fmt.Sprintf("ACL allow read+execute on %s, inherited", d.By.Path)
}
