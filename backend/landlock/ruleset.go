package landlock

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Format is the version of the ruleset JSON.
const Format = 1

// Ruleset is the compile-time Landlock ruleset of one policy: the
// "landlock" part of linux.json. Paths are templates over symbolic roots,
// bound at load by [Resolve].
type Ruleset struct {
	Format       int    `json:"format"`
	Profile      string `json:"profile"`
	Unrestricted bool   `json:"unrestricted,omitempty"`
	// MinABI is the first ABI that enforces every handled right and scope;
	// on an older kernel the runtime refuses, or drops the newer rights
	// when told to ([ApplyOptions.BestEffort]).
	MinABI     int        `json:"min_abi"`
	HandledFS  []string   `json:"handled_fs"`
	HandledNet []string   `json:"handled_net,omitempty"`
	Scoped     []string   `json:"scoped,omitempty"`
	Paths      []PathRule `json:"paths"`
	Ports      []PortRule `json:"ports,omitempty"`
	// Denies are what Landlock, which only allows, leaves to the mount
	// plan: deny rules, deny globs and the metadata protection.
	Denies []Denied `json:"denies,omitempty"`
	// Coverage says, per rule of the profile, which layer enforces it.
	Coverage []Coverage `json:"coverage"`
	// WorkspaceRoots are the profile's own roots; the session's are added
	// at load.
	WorkspaceRoots []ir.WorkspaceRoot `json:"workspace_roots,omitempty"`
}

// PathRule grants rights below a path. Base and Path mean what they mean
// in ir.FSRule; the base "linked-gitdir" stands for each workspace root's
// linked worktree gitdir, found at load.
type PathRule struct {
	Base    string    `json:"base"`
	Path    string    `json:"path,omitempty"`
	Access  string    `json:"access"`
	Rights  []string  `json:"rights"`
	Kind    string    `json:"kind"`
	Origin  ir.Origin `json:"origin"`
	Comment string    `json:"comment,omitempty"`
}

// PortRule allows one TCP port.
type PortRule struct {
	Right  string    `json:"right"`
	Port   uint16    `json:"port"`
	Origin ir.Origin `json:"origin"`
	Why    string    `json:"why"`
}

// Denied is a deny Landlock cannot express.
type Denied struct {
	Base    string    `json:"base"`
	Path    string    `json:"path,omitempty"`
	Glob    bool      `json:"glob,omitempty"`
	Origin  ir.Origin `json:"origin"`
	Protect bool      `json:"protect,omitempty"` // the implicit metadata protection
}

// Coverage says which layer enforces one rule of the profile.
type Coverage struct {
	Rule   string    `json:"rule"`
	Access string    `json:"access"`
	By     string    `json:"by"`
	Origin ir.Origin `json:"origin"`
}

// Layers, as written in Coverage.By.
const (
	ByLandlock = "landlock"                   // a grant, enforced by both layers
	ByMounts   = "mount-plan"                 // a deny or narrowing: Landlock only allows
	ByNeither  = "neither (foreign path)"     // another OS's path
	ByBase     = "landlock (deny by default)" // :root deny: nothing granted
)

// Rule kinds, as written in PathRule.Kind.
const (
	KindRule     = "rule"      // a rule of the profile
	KindMinimal  = "minimal"   // an entry of ir.Minimal(ir.Linux) under :minimal
	KindImplicit = "implicit"  // a grant every sandbox gets
	KindSandbox  = "sandbox"   // the sandbox's own /proc
	KindGitdir   = "protected" // a linked worktree's gitdir
	baseGitdir   = "linked-gitdir"
)

// procComment explains why the whole fresh /proc is granted.
const procComment = "the sandbox's own /proc: a rule on /proc/self would follow only the first process, " +
	"not the children it forks"

// Compile turns a policy into a Landlock ruleset covering filesystem,
// network and scopes together: separate rulesets would break rename and
// link across them with EXDEV. It never looks at the host.
func Compile(p *ir.Policy) (*Ruleset, diag.List) {
	rs := &Ruleset{Format: Format, Profile: p.Name}
	if p.Unrestricted {
		rs.Unrestricted = true
		return rs, nil
	}
	var diags diag.List
	c := &compiler{p: p, rs: rs, diags: &diags}
	c.filesystem()
	c.network()
	c.scopes()
	rs.MinABI = minABI(rs.HandledFS, rs.HandledNet, rs.Scoped)
	return rs, diags
}

type compiler struct {
	p     *ir.Policy
	rs    *Ruleset
	diags *diag.List
}

func (c *compiler) filesystem() {
	c.rs.HandledFS = allOf(FS)
	c.rs.WorkspaceRoots = append(c.rs.WorkspaceRoots, c.p.FS.WorkspaceRoots...)
	denied := map[string]bool{}
	for _, r := range c.p.FS.Rules {
		if r.Access == ir.Deny && !r.Glob {
			denied[r.Key()] = true
		}
	}
	for i := range c.p.FS.Rules {
		c.rule(&c.p.FS.Rules[i], denied)
	}
	c.minimal()
	if c.p.FS.ProtectMetadata {
		o := c.p.FS.ProtectOrigin
		c.rs.Denies = append(c.rs.Denies, Denied{Base: ir.BaseWorkspaceRoots.String(), Origin: o, Protect: true})
		c.grant(PathRule{Base: baseGitdir, Access: "read", Kind: KindGitdir, Origin: o,
			Comment: "a linked worktree's gitdir stays readable even where its parent is not"})
	}
	sort.SliceStable(c.rs.Paths, func(i, j int) bool { return pathLess(c.rs.Paths[i], c.rs.Paths[j]) })
}

// rule adds what Landlock can do for one rule of the profile.
func (c *compiler) rule(r *ir.FSRule, denied map[string]bool) {
	name := ruleName(r)
	cov := Coverage{Rule: name, Access: r.Access.String(), Origin: r.Origin}
	defer func() { c.rs.Coverage = append(c.rs.Coverage, cov) }()
	switch {
	case r.Base == ir.BaseAbs && !ir.IsPosixAbs(r.Path):
		cov.By = ByNeither
	case r.Access == ir.Deny && r.Base == ir.BaseRoot:
		cov.By = ByBase
	case r.Access == ir.Deny:
		cov.By = ByMounts
		c.rs.Denies = append(c.rs.Denies, Denied{Base: r.Base.String(), Path: r.Path, Glob: r.Glob,
			Origin: r.Origin})
	case r.Base == ir.BaseMinimal:
		cov.By = ByLandlock // expanded by minimal
	case r.Glob && !strings.HasSuffix(r.Path, "/**"):
		// The passes report it unenforceable on Linux; nothing is granted.
		cov.By = ByNeither
	case denied[r.Key()]:
		// A deny of the same path wins; granting it would only widen
		// Landlock beyond the policy.
		cov.By = ByMounts
	default:
		cov.By = ByLandlock
		path := strings.TrimSuffix(strings.TrimSuffix(r.Path, "/**"), "**")
		c.grant(PathRule{Base: r.Base.String(), Path: path, Access: r.Access.String(),
			Kind: KindRule, Origin: r.Origin})
	}
}

func ruleName(r *ir.FSRule) string {
	switch {
	case r.Base == ir.BaseAbs:
		return r.Path
	case r.Base == ir.BaseHome && r.Path == "":
		return "~"
	case r.Base == ir.BaseHome:
		return "~/" + r.Path
	case r.Path == "":
		return r.Base.String()
	}
	return r.Base.String() + "/" + r.Path
}

// minimal grants the Linux :minimal entries when the profile grants
// :minimal, and the implicit grants every sandbox needs.
func (c *compiler) minimal() {
	var origin ir.Origin
	granted, deniedAll := false, false
	for _, r := range c.p.FS.Rules {
		if r.Base == ir.BaseMinimal {
			if r.Access == ir.Deny {
				deniedAll = true
			} else {
				granted, origin = true, r.Origin
			}
		}
	}
	for _, m := range ir.Minimal(ir.Linux) {
		switch {
		case m.Path == "/proc/self":
			c.grant(PathRule{Base: ir.BaseAbs.String(), Path: "/proc", Access: "read", Kind: KindSandbox,
				Origin: ir.Origin{Profile: ":minimal"}, Comment: procComment})
		case m.Implicit:
			c.grant(PathRule{Base: ir.BaseAbs.String(), Path: m.Path, Access: m.Access.String(),
				Kind: KindImplicit, Origin: ir.Origin{Profile: ":minimal"}, Comment: m.Note})
		case granted && !deniedAll:
			c.grant(PathRule{Base: ir.BaseAbs.String(), Path: m.Path, Access: m.Access.String(),
				Kind: KindMinimal, Origin: origin})
		}
	}
}

// terminalPaths get ioctl on devices; no other device does.
var terminalPaths = map[string]bool{"/dev/tty": true, "/dev/pts": true}

// grant adds a path rule with the rights of its access.
func (c *compiler) grant(r PathRule) {
	g := GroupRead
	if r.Access == "write" {
		g = GroupWrite
	}
	if r.Base == ir.BaseAbs.String() && terminalPaths[r.Path] {
		g = GroupTerminal
	}
	r.Rights = groupRights(g)
	c.rs.Paths = append(c.rs.Paths, r)
}

func pathLess(a, b PathRule) bool {
	if a.Kind != b.Kind {
		return kindRank(a.Kind) < kindRank(b.Kind)
	}
	if a.Base != b.Base {
		return a.Base < b.Base
	}
	if a.Path != b.Path {
		return a.Path < b.Path
	}
	return a.Access < b.Access
}

func kindRank(k string) int {
	return map[string]int{KindRule: 0, KindMinimal: 1, KindGitdir: 2, KindImplicit: 3, KindSandbox: 4}[k]
}

// network handles TCP bind and connect where the network mode maps to
// ports. Landlock's TCP rules match ports, not addresses, and ABI 7 has
// no UDP rights: the network namespace and seccomp do the rest.
func (c *compiler) network() {
	n := &c.p.Net
	if n.AllowLocalBinding || n.Mode() == ir.NetFull {
		// Local servers on any port, or an open network: no TCP right
		// is handled.
		return
	}
	c.rs.HandledNet = allOf(Net)
	if n.Mode() != ir.NetProxied {
		return
	}
	c.port(n.ProxyURL, "proxy_url", "the proxy relay inside the sandbox's network namespace")
	if n.EnableSOCKS5 {
		c.port(n.SOCKSURL, "socks_url", "the SOCKS5 relay inside the sandbox's network namespace")
	}
	sort.Slice(c.rs.Ports, func(i, j int) bool { return c.rs.Ports[i].Port < c.rs.Ports[j].Port })
}

func (c *compiler) port(raw, key, why string) {
	o := c.p.Net.Origins[key]
	port, ok := portOf(raw)
	if !ok {
		c.diags.Errorf(o.Pos, diag.BadURL, "%s %q has no port Landlock can allow", key, raw)
		return
	}
	for _, p := range c.rs.Ports {
		if p.Port == port {
			return
		}
	}
	c.rs.Ports = append(c.rs.Ports, PortRule{Right: "connect_tcp", Port: port, Origin: o, Why: why})
}

// portOf returns the port of a proxy URL, or its scheme's default.
func portOf(raw string) (uint16, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return 0, false
	}
	s := u.Port()
	if s == "" {
		s = map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[u.Scheme]
	}
	p, err := strconv.ParseUint(s, 10, 16)
	return uint16(p), err == nil && p > 0
}

// scopes refuses signals to processes outside the sandbox's domain, and
// connections to abstract Unix sockets outside it unless every Unix
// socket is allowed.
func (c *compiler) scopes() {
	c.rs.Scoped = []string{"signal"}
	if !c.p.Net.DangerouslyAllowAllUnixSockets {
		c.rs.Scoped = []string{"abstract_unix_socket", "signal"}
	}
}
