package driver

import (
	"strings"

	"github.com/permc/permc/backend/winacl"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

func emitWindows(p *ir.Policy, o Options) (map[string][]byte, diag.List) {
	var diags diag.List
	var wo winacl.Options
	if o.WindowsToolFolders {
		wo = winacl.Options{ToolFolders: winacl.DefaultToolFolders, ToolOrigin: ir.Origin{Profile: "--windows-tool-folders"}}
	}
	m, err := winacl.CompileWith(p, wo)
	if err != nil {
		diags.Errorf(p.Origin.Pos, diag.Unenforceable, "windows manifest: %v", err).Target = string(ir.Windows)
		return nil, diags
	}
	data, err := m.JSON()
	if err != nil {
		diags.Errorf(p.Origin.Pos, diag.Internal, "windows manifest: %v", err)
		return nil, diags
	}
	return map[string][]byte{"windows.json": data}, nil
}

func init() {
	Backends = append(Backends, Backend{Target: ir.Windows, Emit: emitWindows})
	passes.TargetChecks[ir.Windows] = windowsCheck
}

// windowsCheck reports what the manifest cannot enforce. Only the
// elevated mode decides whether the profile builds; a rule the unelevated
// mode cannot enforce makes that mode unusable (the manifest records it)
// and is a warning.
func windowsCheck(p *ir.Policy) diag.List {
	ds := winacl.Check(p)
	for i := range ds {
		d := &ds[i]
		if !d.Pos.IsValid() {
			d.Pos = p.Origin.Pos
		}
		if d.Severity == diag.Error && strings.HasPrefix(d.Message, string(ir.ModeUnelevated)+" mode:") {
			d.Severity = diag.Warning
			d.Message += "; the unelevated mode cannot be used for this profile"
		}
	}
	return ds
}
