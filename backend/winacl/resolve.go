package winacl

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// FS is what Resolve learns from the disk: the applier implements it
// with the file system and GetNamedSecurityInfo, the tests with Disk.
type FS interface {
	// Stat describes path; false when it does not exist.
	Stat(path string) (FileInfo, bool)
	// ReadDir lists the names in folder path.
	ReadDir(path string) ([]string, error)
}

// FileInfo is what Resolve needs to know of one path.
type FileInfo struct {
	Dir bool
	// Protected is set when the DACL does not inherit (or for a volume
	// root): entries placed above do not reach it.
	Protected bool
	// ExplicitAllow is set when the DACL has explicit allow entries,
	// which come before anything inherited from a deny above.
	ExplicitAllow bool
}

// MaxWalk bounds how many entries Resolve visits below one deny or one
// deny glob's base. Past it, Resolve fails rather than leave a path
// uncovered.
const MaxWalk = 100000

// Resolved is a manifest bound to one machine in one mode: the folders
// to create, and the entries to merge into each path's DACL, parents
// first. Trustees are still placeholders.
type Resolved struct {
	Mode       ir.Mode        `json:"mode"`
	Model      Model          `json:"model"`
	Principals []SID          `json:"principals"`
	Token      *TokenSpec     `json:"token,omitempty"`
	Identities []Identity     `json:"identities,omitempty"`
	Mkdirs     []Mkdir        `json:"mkdirs,omitempty"`
	Nodes      []Node         `json:"nodes"`
	Firewall   []FirewallRule `json:"firewall,omitempty"`
	// Notes are what Resolve chose not to do, failing closed.
	Notes []string `json:"notes,omitempty"`
}

// Mkdir is a placeholder folder: a path the profile keeps read-only or
// denied that does not exist inside a writable folder, created so that
// its entries can be placed and the sandbox cannot create it instead.
type Mkdir struct {
	Path   string    `json:"path"`
	Origin ir.Origin `json:"origin"`
}

// Node is the entries of one path.
type Node struct {
	Path   string    `json:"path"`
	Dir    bool      `json:"dir"`
	ACEs   []ACE     `json:"aces"`
	Label  *Label    `json:"label,omitempty"`
	Origin ir.Origin `json:"origin"`
	// Why is "rule", "anchor" (a folder whose inheritance is cut, such as
	// the home folder) or "reassert" (a path below a deny whose own
	// entries would otherwise win).
	Why string `json:"why"`
}

// ErrUnusable is matched by errors.Is when Resolve is asked for a mode
// the manifest marks unusable.
var ErrUnusable = errors.New("mode is not usable for this profile")

// UnusableError says why a mode was refused.
type UnusableError struct {
	Mode    ir.Mode
	Finding Finding
}

// Error says which mode was refused, where and why.
func (e *UnusableError) Error() string {
	return fmt.Sprintf("%s: windows %s mode refused: %s", e.Finding.Origin.Pos,
		e.Mode, e.Finding.Message)
}

// Is matches ErrUnusable.
func (e *UnusableError) Is(target error) bool { return target == ErrUnusable }

// LoadError is a template that cannot be applied on this machine,
// reported at the rule that caused it.
type LoadError struct {
	Origin ir.Origin
	Path   string
	Msg    string
}

// Error renders the error at the rule's position.
func (e *LoadError) Error() string {
	return fmt.Sprintf("%s: windows: %s: %s", e.Origin.Pos, e.Path, e.Msg)
}

// Diagnostic renders the error as a load diagnostic.
func (e *LoadError) Diagnostic() diag.Diagnostic {
	return diag.Diagnostic{Pos: e.Origin.Pos, Severity: diag.Error, Code: diag.Load,
		Target: string(ir.Windows), Message: e.Path + ": " + e.Msg}
}

// Resolve binds the manifest's templates for mode on one machine: b
// binds home, tmpdir, workspace roots and %VAR% roots (its Exists is
// replaced by fsys), and fsys answers what exists and whose inheritance
// is cut. Each path a rule, a table entry, a protection or a deny-glob
// match names gets the entries of the access ir.Decide gives it there,
// and, when its descendants get another access, inherit-only entries
// for them. An unusable mode is refused with an *UnusableError.
func (m *Manifest) Resolve(mode ir.Mode, b ir.Binding, fsys FS) (*Resolved, error) {
	mm := m.Mode(mode)
	if mm == nil {
		return nil, fmt.Errorf("windows.json has no mode %q", mode)
	}
	if m.Unrestricted {
		return &Resolved{Mode: mode}, nil
	}
	if !mm.Usable {
		return nil, &UnusableError{Mode: mode, Finding: *mm.Unusable}
	}
	r, err := newResolver(m, mm, b, fsys)
	if err != nil {
		return nil, err
	}
	return r.run()
}

type resolver struct {
	m     *Manifest
	mm    *ModeManifest
	fs    FS
	pol   *ir.Policy
	b     ir.Binding
	dec   *ir.Decider // ir.Decide for pol and b, the rules bound once
	cands map[string]*cand
	out   *Resolved
	// apps are the bound roots that admit all application packages.
	apps []bound
}

type bound struct {
	name  string
	comps []string
}

// cand is a path some entry names.
type cand struct {
	comps       []string
	exists, dir bool
	anchor      bool
	emitted     bool
	why         string
}

func newResolver(m *Manifest, mm *ModeManifest, b ir.Binding, fsys FS) (*resolver, error) {
	r := &resolver{m: m, mm: mm, fs: fsys, b: b, cands: map[string]*cand{}}
	r.b.Exists = func(p string) bool { _, ok := fsys.Stat(p); return ok }
	pol, err := m.policy(b)
	if err != nil {
		return nil, err
	}
	r.pol = pol
	r.dec = ir.NewDecider(pol, ir.Windows, r.b)
	r.out = &Resolved{Mode: mm.Mode, Model: mm.Model, Principals: mm.Principals,
		Token: mm.Token, Identities: mm.Identities, Firewall: mm.Firewall}
	return r, nil
}

// policy rebuilds the filesystem policy the manifest was compiled from,
// with the tool folders bound as read rules, so that ir.Decide, the
// reference every backend is tested against, decides each path here too.
func (m *Manifest) policy(b ir.Binding) (*ir.Policy, error) {
	p := &ir.Policy{Name: m.Profile}
	for _, r := range m.Rules {
		base, path, ok := parseTemplate(r.Path)
		a, aok := ir.ParseAccess(r.Access)
		if !ok || !aok {
			return nil, fmt.Errorf("windows.json: bad rule %q = %q", r.Path, r.Access)
		}
		p.FS.Rules = append(p.FS.Rules, ir.FSRule{Base: base, Path: path, Glob: r.Glob,
			Access: a, Origin: r.Origin})
	}
	if lad := localAppData(b); lad != "" {
		for _, t := range m.ToolFolders {
			path := lad + strings.TrimPrefix(t.Path, rootLocalData)
			p.FS.Rules = append(p.FS.Rules, ir.FSRule{Base: ir.BaseAbs, Path: path,
				Access: ir.Read, Origin: t.Origin})
		}
	}
	for _, w := range m.WorkspaceRoots {
		p.FS.WorkspaceRoots = append(p.FS.WorkspaceRoots, ir.WorkspaceRoot(w))
	}
	p.FS.GlobScanMaxDepth = m.GlobScanMaxDepth
	if m.ProtectMetadata != nil {
		p.FS.ProtectMetadata = true
		p.FS.ProtectOrigin = m.ProtectMetadata.Origin
	}
	return p, nil
}

func localAppData(b ir.Binding) string {
	if v := b.WinEnv["LOCALAPPDATA"]; v != "" {
		return v
	}
	if b.Home == "" {
		return ""
	}
	return strings.TrimRight(b.Home, `\/`) + `\` + defaultLocalAD
}

func (r *resolver) run() (*Resolved, error) {
	if err := r.collect(); err != nil {
		return nil, err
	}
	if err := r.checkAppRoots(); err != nil {
		return nil, err
	}
	if err := r.emitAll(r.sorted()); err != nil {
		return nil, err
	}
	if err := r.reassertDenies(); err != nil {
		return nil, err
	}
	sortNodes(r.out.Nodes)
	return r.out, nil
}

// add records a candidate path.
func (r *resolver) add(comps []string, why string) *cand {
	key := fold(ir.JoinPath(ir.Windows, comps))
	if c, ok := r.cands[key]; ok {
		return c
	}
	c := &cand{comps: comps, why: why}
	fi, ok := r.fs.Stat(ir.JoinPath(ir.Windows, comps))
	c.exists, c.dir = ok, fi.Dir
	r.cands[key] = c
	return c
}

func (r *resolver) sorted() []*cand {
	out := make([]*cand, 0, len(r.cands))
	for _, c := range r.cands {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return lessComps(out[i].comps, out[j].comps) })
	return out
}

func lessComps(a, b []string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return fold(ir.JoinPath(ir.Windows, a)) < fold(ir.JoinPath(ir.Windows, b))
}

func sortNodes(ns []Node) {
	sort.SliceStable(ns, func(i, j int) bool {
		a, _ := ir.SplitPath(ir.Windows, ns[i].Path)
		b, _ := ir.SplitPath(ir.Windows, ns[j].Path)
		return lessComps(a, b)
	})
}
