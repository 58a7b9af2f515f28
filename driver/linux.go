package driver

import (
	"github.com/permc/permc/backend/bwrap"
	"github.com/permc/permc/backend/landlock"
	"github.com/permc/permc/backend/seccomp"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Linux is linux.json: the parts of the three Linux backends the runtime
// loads together.
type Linux struct {
	Format  int                        `json:"format"`
	Profile string                     `json:"profile"`
	Seccomp map[string]seccomp.Summary `json:"seccomp"`
	Notes   []string                   `json:"notes,omitempty"`
}

// linuxParts are the contributions of the other Linux backends, added by
// registerLinuxPart.
var linuxParts []func(p *ir.Policy, l map[string]any) diag.List

func emitLinux(p *ir.Policy, o Options) (map[string][]byte, diag.List) {
	files := map[string][]byte{}
	var diags diag.List
	l := &Linux{Format: 1, Profile: p.Name, Seccomp: map[string]seccomp.Summary{}}
	for _, a := range seccomp.Arches() {
		prog, err := seccomp.Compile(p, a)
		if err != nil {
			diags.Errorf(p.Origin.Pos, diag.Unenforceable, "seccomp (%s): %v", a, err).Target = string(ir.Linux)
			continue
		}
		files[a.FileName()] = prog.Bytes()
		l.Seccomp[string(a)] = prog.Summary
	}
	for _, d := range linuxNotes(p, o) {
		l.Notes = append(l.Notes, d.String())
	}
	doc := map[string]any{"format": l.Format, "profile": l.Profile, "seccomp": l.Seccomp}
	if len(l.Notes) > 0 {
		doc["notes"] = l.Notes
	}
	for _, part := range linuxParts {
		diags = append(diags, part(p, doc)...)
	}
	files["linux.json"] = mustJSON(doc)
	return files, diags
}

func linuxNotes(p *ir.Policy, o Options) diag.List {
	checks, ok := o.checks[ir.Linux]
	if !ok {
		checks = enforceability(p, ir.Linux)
	}
	var out diag.List
	for _, d := range checks {
		if d.Severity != diag.Error {
			out = append(out, d)
		}
	}
	return out.Sorted()
}

// linuxMounts and linuxLandlock add the other two backends' parts.
func linuxMounts(p *ir.Policy, doc map[string]any) diag.List {
	plan, diags := bwrap.Compile(p)
	doc["mounts"] = plan
	return tagLinux(diags)
}

func linuxLandlock(p *ir.Policy, doc map[string]any) diag.List {
	rs, diags := landlock.Compile(p)
	doc["landlock"] = rs
	return tagLinux(diags)
}

func tagLinux(ds diag.List) diag.List {
	for i := range ds {
		ds[i].Target = string(ir.Linux)
	}
	return ds
}

func init() {
	Backends = append(Backends, Backend{Target: ir.Linux, Emit: emitLinux})
	linuxParts = append(linuxParts, linuxMounts, linuxLandlock)
}
