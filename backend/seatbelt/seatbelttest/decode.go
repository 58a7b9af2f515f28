package seatbelttest

import (
	"encoding/json"
	"fmt"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// DecodePolicy reads the policy.json the build driver writes back into an
// ir.Policy: the filesystem part and the network settings the Seatbelt
// backend reads. ir's types marshal as text but do not unmarshal, hence
// this mirror.
func DecodePolicy(b []byte) (*ir.Policy, error) {
	var j policyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	p := &ir.Policy{Name: j.Name, Unrestricted: j.Unrestricted, Net: ir.DefaultNetPolicy()}
	p.FS.ProtectMetadata = j.FS.ProtectMetadata
	for _, r := range j.FS.Rules {
		rule, err := r.rule()
		if err != nil {
			return nil, err
		}
		p.FS.Rules = append(p.FS.Rules, rule)
	}
	for _, r := range j.FS.WorkspaceRoots {
		p.FS.WorkspaceRoots = append(p.FS.WorkspaceRoots, ir.WorkspaceRoot{Path: r.Path, Origin: r.Origin.origin()})
	}
	j.Net.apply(&p.Net)
	return p, nil
}

type policyJSON struct {
	Name         string `json:"name"`
	Unrestricted bool   `json:"unrestricted"`
	FS           struct {
		Rules           []ruleJSON `json:"rules"`
		WorkspaceRoots  []rootJSON `json:"workspace_roots"`
		ProtectMetadata bool       `json:"protect_metadata"`
	} `json:"filesystem"`
	Net netJSON `json:"network"`
}

type originJSON struct {
	Pos     diag.Pos `json:"pos"`
	Profile string   `json:"profile"`
}

func (o originJSON) origin() ir.Origin { return ir.Origin{Pos: o.Pos, Profile: o.Profile} }

type ruleJSON struct {
	Base   string     `json:"base"`
	Path   string     `json:"path"`
	Glob   bool       `json:"glob"`
	Access string     `json:"access"`
	Origin originJSON `json:"origin"`
}

var bases = map[string]ir.BaseKind{"abs": ir.BaseAbs, "home": ir.BaseHome, ":root": ir.BaseRoot,
	":minimal": ir.BaseMinimal, ":workspace_roots": ir.BaseWorkspaceRoots, ":tmpdir": ir.BaseTmpdir,
	":slash_tmp": ir.BaseSlashTmp}

func (r ruleJSON) rule() (ir.FSRule, error) {
	b, ok := bases[r.Base]
	a, ok2 := ir.ParseAccess(r.Access)
	if !ok || !ok2 {
		return ir.FSRule{}, fmt.Errorf("rule %+v: unknown base or access", r)
	}
	return ir.FSRule{Base: b, Path: r.Path, Glob: r.Glob, Access: a, Origin: r.Origin.origin()}, nil
}

type rootJSON struct {
	Path   string     `json:"path"`
	Origin originJSON `json:"origin"`
}

type netJSON struct {
	Enabled           bool   `json:"enabled"`
	HasDomains        bool   `json:"has_domains"`
	ProxyURL          string `json:"proxy_url"`
	SOCKSURL          string `json:"socks_url"`
	EnableSOCKS5      bool   `json:"enable_socks5"`
	EnableSOCKS5UDP   bool   `json:"enable_socks5_udp"`
	AllowLocalBinding bool   `json:"allow_local_binding"`
	AllUnixSockets    bool   `json:"dangerously_allow_all_unix_sockets"`
	UnixSockets       []struct {
		Path   string     `json:"path"`
		Allow  bool       `json:"allow"`
		Origin originJSON `json:"origin"`
	} `json:"unix_sockets"`
}

func (j netJSON) apply(n *ir.NetPolicy) {
	n.Enabled, n.HasDomains, n.ProxyURL, n.SOCKSURL = j.Enabled, j.HasDomains, j.ProxyURL, j.SOCKSURL
	n.EnableSOCKS5, n.EnableSOCKS5UDP = j.EnableSOCKS5, j.EnableSOCKS5UDP
	n.AllowLocalBinding, n.DangerouslyAllowAllUnixSockets = j.AllowLocalBinding, j.AllUnixSockets
	for _, s := range j.UnixSockets {
		r := ir.UnixSocketRule{Path: s.Path, Allow: s.Allow, Origin: s.Origin.origin()}
		n.UnixSockets = append(n.UnixSockets, r)
	}
}
