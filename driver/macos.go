package driver

import (
	"errors"

	"github.com/permc/permc/backend/seatbelt"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

func emitMacOS(p *ir.Policy, _ Options) (map[string][]byte, diag.List) {
	var diags diag.List
	prof, err := seatbelt.Compile(p)
	if errors.Is(err, seatbelt.ErrUnrestricted) {
		return nil, nil
	}
	if err != nil {
		d := diags.Errorf(p.Origin.Pos, diag.Unenforceable, "seatbelt: %v", err)
		d.Target = string(ir.MacOS)
		var pe interface{ Position() diag.Pos }
		if errors.As(err, &pe) && pe.Position().IsValid() {
			d.Pos = pe.Position()
		}
		return nil, diags
	}
	params, err := prof.ParamsJSON()
	if err != nil {
		diags.Errorf(p.Origin.Pos, diag.Internal, "seatbelt parameters: %v", err)
		return nil, diags
	}
	return map[string][]byte{"macos.sb": []byte(prof.SBPL), "macos.params.json": params}, nil
}

func init() {
	Backends = append([]Backend{{Target: ir.MacOS, Emit: emitMacOS}}, Backends...)
}
