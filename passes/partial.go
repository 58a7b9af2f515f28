package passes

import (
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// partial is one profile declaration after normalisation: what it sets,
// keyed so that layers and extends can merge entry by entry.
type partial struct {
	name    string
	pos     diag.Pos
	managed bool
	builtin bool

	description *ir.String
	extends     *ir.String

	roots     keyed[rootEntry]
	fsPresent bool
	fsPos     diag.Pos
	rules     keyed[ir.FSRule]
	globDepth *ir.Int
	protect   bool

	netPresent bool
	net        netSettings
	domains    keyed[ir.DomainRule]
	hasDomains bool
	domainsPos diag.Pos
	sockets    keyed[ir.UnixSocketRule]

	unrestricted bool
}

type rootEntry struct {
	root    ir.WorkspaceRoot
	enabled bool
}

// netSettings are the scalar network keys; nil means not set here.
type netSettings struct {
	enabled, socks5, socks5UDP, upstream, localBinding, nonLoopback, allUnix *ir.Bool
	proxyURL, socksURL                                                       *ir.String
}

// keyed is an insertion-ordered map, so merges stay deterministic.
type keyed[T any] struct {
	keys []string
	m    map[string]T
}

func (k *keyed[T]) set(key string, v T) {
	if k.m == nil {
		k.m = map[string]T{}
	}
	if _, ok := k.m[key]; !ok {
		k.keys = append(k.keys, key)
	}
	k.m[key] = v
}

func (k *keyed[T]) get(key string) (T, bool) {
	v, ok := k.m[key]
	return v, ok
}

func (k *keyed[T]) each(f func(string, T)) {
	for _, key := range k.keys {
		f(key, k.m[key])
	}
}

// overlay returns k with every entry of top set over it.
func (k keyed[T]) overlay(top keyed[T]) keyed[T] {
	var out keyed[T]
	k.each(out.set)
	top.each(out.set)
	return out
}

// over merges top over base, key by key: what top sets wins.
func over(base, top *partial) *partial {
	out := *base
	out.name, out.pos, out.managed = top.name, top.pos, top.managed || base.managed
	out.description = top.description
	if top.extends != nil {
		out.extends = top.extends
	}
	out.roots = base.roots.overlay(top.roots)
	out.fsPresent = base.fsPresent || top.fsPresent
	if top.fsPresent {
		out.fsPos = top.fsPos
	}
	out.rules = base.rules.overlay(top.rules)
	if top.globDepth != nil {
		out.globDepth = top.globDepth
	}
	out.protect = base.protect || top.protect
	out.netPresent = base.netPresent || top.netPresent
	out.net = overNet(base.net, top.net)
	out.domains = base.domains.overlay(top.domains)
	out.hasDomains = base.hasDomains || top.hasDomains
	if top.hasDomains {
		out.domainsPos = top.domainsPos
	}
	out.sockets = base.sockets.overlay(top.sockets)
	out.unrestricted = base.unrestricted || top.unrestricted
	return &out
}

func overNet(b, t netSettings) netSettings {
	pick := func(x, y *ir.Bool) *ir.Bool {
		if y != nil {
			return y
		}
		return x
	}
	pickS := func(x, y *ir.String) *ir.String {
		if y != nil {
			return y
		}
		return x
	}
	return netSettings{
		enabled: pick(b.enabled, t.enabled), socks5: pick(b.socks5, t.socks5),
		socks5UDP: pick(b.socks5UDP, t.socks5UDP), upstream: pick(b.upstream, t.upstream),
		localBinding: pick(b.localBinding, t.localBinding), nonLoopback: pick(b.nonLoopback, t.nonLoopback),
		allUnix: pick(b.allUnix, t.allUnix), proxyURL: pickS(b.proxyURL, t.proxyURL),
		socksURL: pickS(b.socksURL, t.socksURL),
	}
}

// Built-in profile names.
const (
	ReadOnly         = ":read-only"
	Workspace        = ":workspace"
	DangerFullAccess = ":danger-full-access"
)

// builtin returns the partial of a built-in profile.
func builtin(name string) *partial {
	p := &partial{name: name, builtin: true, fsPresent: true}
	o := ir.Origin{Profile: name}
	add := func(b ir.BaseKind, a ir.Access) {
		r := ir.FSRule{Base: b, Access: a, Origin: o}
		p.rules.set(r.Key(), r)
	}
	switch name {
	case ReadOnly:
		add(ir.BaseRoot, ir.Read)
	case Workspace:
		add(ir.BaseRoot, ir.Read)
		add(ir.BaseWorkspaceRoots, ir.Write)
		add(ir.BaseTmpdir, ir.Write)
		add(ir.BaseSlashTmp, ir.Write)
		p.protect = true
	case DangerFullAccess:
		p.unrestricted = true
	default:
		return nil
	}
	return p
}

// IsBuiltin reports whether name is a built-in profile.
func IsBuiltin(name string) bool { return builtin(name) != nil }
