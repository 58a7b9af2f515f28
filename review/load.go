package review

import (
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// Loaded is one configuration after the passes.
type Loaded struct {
	Result *passes.Result
	// Shadowed is what the passes select with the older settings taken
	// away; set only when the older settings are in effect, so that a
	// reviewer can see what the permission profiles they wrote would do.
	Shadowed *passes.Result
	// Layers maps each config file, as given, to its layer kind.
	Layers map[string]ir.LayerKind
}

// Load reads the configuration o names and runs the passes with po. It
// returns nil when no file could be read at all.
func Load(o frontend.Options, po passes.Options) (*Loaded, diag.List) {
	cfg, diags := frontend.Load(o)
	if cfg == nil {
		return nil, diags
	}
	res := passes.Run(cfg, po)
	diags = append(diags, res.Diags...)
	l := &Loaded{Result: res, Layers: map[string]ir.LayerKind{}}
	for _, layer := range cfg.Layers {
		l.Layers[layer.File] = layer.Kind
	}
	if res.Source == ir.SourceLegacy {
		po.Sandbox = ""
		l.Shadowed = passes.Run(withoutLegacy(cfg), po)
	}
	return l, diags
}

// withoutLegacy copies cfg without any sandbox_mode, so that the passes
// select a permission profile.
func withoutLegacy(cfg *ir.Config) *ir.Config {
	out := &ir.Config{Requirements: cfg.Requirements}
	for _, l := range cfg.Layers {
		c := *l
		c.SandboxMode = nil
		c.ConfigProfiles = nil
		for _, cp := range l.ConfigProfiles {
			q := *cp
			q.SandboxMode = nil
			c.ConfigProfiles = append(c.ConfigProfiles, &q)
		}
		out.Layers = append(out.Layers, &c)
	}
	return out
}

// Legacy describes the older settings when they decided which policy is
// in effect.
type Legacy struct {
	Mode string `json:"sandbox_mode"`
	// At is where sandbox_mode was set: file:line:col, or "<command line>"
	// for --sandbox.
	At string `json:"at"`
	// Profile is the permission profile that would apply without the older
	// settings, if any.
	Profile string `json:"shadowed_profile,omitempty"`
}

// legacy returns the older settings in effect, or nil.
func (l *Loaded) legacy() *Legacy {
	res := l.Result
	if res.Source != ir.SourceLegacy {
		return nil
	}
	p := res.SelectedPolicy()
	out := &Legacy{Mode: legacyMode(res.Selected)}
	if p != nil {
		out.At = p.Origin.Pos.String()
	}
	if l.Shadowed != nil && l.Shadowed.SelectedPolicy() != nil {
		out.Profile = l.Shadowed.Selected
	}
	return out
}

func legacyMode(name string) string {
	prefix := passes.LegacyName("")
	if len(name) > len(prefix) && name[:len(prefix)] == prefix {
		return name[len(prefix):]
	}
	return name
}
