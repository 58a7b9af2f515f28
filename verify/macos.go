package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/permc/permc/backend/seatbelt"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/runtime/macos"
)

// The file operations each probe is checked for, and the side of the
// reference decision each must equal.
var sbplOps = []struct {
	op    string
	write bool
}{{"file-read-data", false}, {"file-write-data", true}, {"file-write-create", true}}

// orderRefusal ends the launcher's error for a profile whose emitted
// order would differ from the decision order once the roots are known
// (README: Limitations, macOS).
const orderRefusal = "the profile cannot run with these roots"

// checkMacOS parses macos.sb, binds its parameters from macos.params.json
// for the synthetic machine as the launcher would, and compares the
// evaluator's answer on every probe with ir.Decide.
func checkMacOS(p *ir.Policy, files map[string][]byte) Check {
	const name = "macos"
	sbpl, params := files["macos.sb"], files["macos.params.json"]
	if sbpl == nil || params == nil {
		return Check{Name: name, Status: Failed,
			Summary: "the manifest says the folder was built for macos, but macos.sb or macos.params.json is missing"}
	}
	var m seatbelt.Manifest
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Check{Name: name, Status: Failed, Summary: "macos.params.json: " + err.Error()}
	}
	b := Binding(ir.MacOS)
	bound, err := macos.Bind(sbpl, &m, macos.FromBinding(b))
	if err != nil && strings.Contains(err.Error(), orderRefusal) {
		// The launcher's order check: fail-closed, and documented.
		return Check{Name: name, Status: Skipped,
			Summary: fmt.Sprintf("the launcher refuses to run macos.sb on a Mac's usual layout (home %s, $TMPDIR %s, workspace %v), failing closed: %v",
				b.Home, b.Tmpdir, b.WorkspaceRoots, err)}
	}
	if err != nil {
		return Check{Name: name, Status: Failed,
			Summary: fmt.Sprintf("the launcher refuses to bind macos.sb for the synthetic machine (home %s, $TMPDIR %s, workspace %v): %v",
				b.Home, b.Tmpdir, b.WorkspaceRoots, err)}
	}
	rep := reported(p, ir.MacOS, ir.ModeDefault)
	tl := newTally(name)
	probes := Probes(ir.MacOS, p)
	decider := ir.NewDecider(p, ir.MacOS, b)
	for _, probe := range probes {
		tl.compared++
		d := decider.Decide(probe)
		for _, o := range sbplOps {
			want := d.Read
			if o.write {
				want = d.Write
			}
			got := bound.Program.Check(o.op, probe)
			if got.Allowed == want {
				continue
			}
			tl.differ(rep, d, probe, fmt.Sprintf("sbpl %s %s by %s", o.op, yesNo(got.Allowed), sbplRule(got)))
		}
	}
	return tl.check(fmt.Sprintf("%d probes × file-read-data, file-write-data, file-write-create", len(probes)))
}

func sbplRule(d seatbelt.Decision) string {
	if d.Rule == nil {
		return "no rule (deny default)"
	}
	// The comment line right above the form names its rule.
	lines := strings.Split(d.Rule.Comment, "\n")
	if c := lines[len(lines)-1]; c != "" {
		return fmt.Sprintf("line %d (%s)", d.Rule.Line, c)
	}
	return fmt.Sprintf("line %d", d.Rule.Line)
}
