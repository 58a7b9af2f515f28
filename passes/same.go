package passes

import (
	"encoding/json"

	"github.com/permc/permc/ir"
)

// SamePolicy reports whether two policies decide alike: equal in every
// field but where their rules were written.
func SamePolicy(a, b *ir.Policy) bool {
	return string(stripped(a)) == string(stripped(b))
}

func stripped(p *ir.Policy) []byte {
	c := *p
	c.Origin, c.Description = ir.Origin{}, ""
	c.FS.Rules = append([]ir.FSRule(nil), p.FS.Rules...)
	for i := range c.FS.Rules {
		c.FS.Rules[i].Origin = ir.Origin{}
	}
	c.FS.WorkspaceRoots = append([]ir.WorkspaceRoot(nil), p.FS.WorkspaceRoots...)
	for i := range c.FS.WorkspaceRoots {
		c.FS.WorkspaceRoots[i].Origin = ir.Origin{}
	}
	c.Net.Domains = append([]ir.DomainRule(nil), p.Net.Domains...)
	for i := range c.Net.Domains {
		c.Net.Domains[i].Origin = ir.Origin{}
	}
	c.Net.UnixSockets = append([]ir.UnixSocketRule(nil), p.Net.UnixSockets...)
	for i := range c.Net.UnixSockets {
		c.Net.UnixSockets[i].Origin = ir.Origin{}
	}
	data, _ := json.Marshal(&c)
	return data
}
