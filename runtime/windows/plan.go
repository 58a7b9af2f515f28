package windows

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/permc/permc/backend/winacl"
	"github.com/permc/permc/ir"
)

// Op is what a step does.
type Op string

// The steps of a plan, in the order they run.
const (
	OpEnsureGroup        Op = "ensure-group"         // look up, or create, a local group
	OpEnsureUser         Op = "ensure-user"          // look up, or create, a local user
	OpAddMember          Op = "add-member"           // put the sandbox user in its group
	OpEnsureAppContainer Op = "ensure-app-container" // look up, or create, an AppContainer profile
	OpDeriveCapability   Op = "derive-capability"    // derive a capability SID from its name
	OpLoopbackExempt     Op = "loopback-exempt"      // let the container reach the loopback proxy
	OpMkdir              Op = "mkdir"                // create a placeholder folder
	OpSetACL             Op = "set-acl"              // merge entries into a path's DACL, set its label
	OpFirewall           Op = "add-firewall-rule"    // add a block rule for the sandbox user
)

// Step is one call of the plan. Trustees, scripts and argv may hold the
// manifest's placeholders; the runner binds them once the identity steps
// have run.
type Step struct {
	Op          Op            `json:"op"`
	Placeholder winacl.SID    `json:"placeholder,omitempty"` // what an identity step binds
	Name        string        `json:"name,omitempty"`
	Group       string        `json:"group,omitempty"` // add-member
	Caps        []string      `json:"capabilities,omitempty"`
	Path        string        `json:"path,omitempty"`
	ACEs        []winacl.ACE  `json:"aces,omitempty"`
	Label       *winacl.Label `json:"label,omitempty"`
	Argv        []string      `json:"argv,omitempty"`   // loopback-exempt
	Script      string        `json:"script,omitempty"` // add-firewall-rule
	Undo        string        `json:"undo,omitempty"`   // add-firewall-rule: the removal script
	Origin      ir.Origin     `json:"origin"`
}

// Plan is everything applying a manifest does, in order, for one mode on
// one machine.
type Plan struct {
	Profile string  `json:"profile"`
	Mode    ir.Mode `json:"mode"`
	ID      string  `json:"id"`
	// Unrestricted plans apply nothing: the command runs unsandboxed, by
	// the profile's choice (:danger-full-access).
	Unrestricted bool `json:"unrestricted,omitempty"`
	// SystemRoot is where the tools the plan runs live.
	SystemRoot string           `json:"system_root"`
	Resolved   *winacl.Resolved `json:"resolved"`
	Steps      []Step           `json:"steps"`
}

// ID names a sandbox: a hash of the profile and of the roots it is bound
// to, so that two workspaces never share a sandbox identity or its grants.
func ID(profile string, b ir.Binding) string {
	roots := slices.Clone(b.WorkspaceRoots)
	for i, r := range roots {
		roots[i] = strings.ToLower(r)
	}
	slices.Sort(roots)
	h := sha256.New()
	for _, s := range append([]string{profile, strings.ToLower(b.Home), strings.ToLower(b.Tmpdir)}, roots...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// NewPlan resolves the manifest for mode on this machine (fsys answers
// for the disk) and lists the calls that apply it. It refuses an unusable
// mode with the manifest's reason (winacl.ErrUnusable), so no caller can
// go on to run the command without its sandbox.
func NewPlan(m *winacl.Manifest, mode ir.Mode, b ir.Binding, fsys winacl.FS) (*Plan, error) {
	r, err := m.Resolve(mode, b, fsys)
	if err != nil {
		return nil, err
	}
	p := &Plan{Profile: m.Profile, Mode: mode, ID: ID(m.Profile, b), Resolved: r,
		Unrestricted: m.Unrestricted}
	if m.Unrestricted {
		return p, nil
	}
	env := sysEnv(b)
	p.SystemRoot = env
	p.Steps = append(p.Steps, identitySteps(r, p.ID)...)
	if r.Token != nil && r.Token.LoopbackExempt {
		p.Steps = append(p.Steps, Step{Op: OpLoopbackExempt, Placeholder: winacl.PhAppContainer,
			Argv: loopbackArgv(env, true, winacl.PhAppContainer)})
	}
	for _, d := range r.Mkdirs {
		p.Steps = append(p.Steps, Step{Op: OpMkdir, Path: d.Path, Origin: d.Origin})
	}
	for _, n := range r.Nodes {
		p.Steps = append(p.Steps, Step{Op: OpSetACL, Path: n.Path, ACEs: n.ACEs,
			Label: n.Label, Origin: n.Origin})
	}
	for i := range r.Firewall {
		p.Steps = append(p.Steps, firewallStep(p.ID, &r.Firewall[i]))
	}
	return p, nil
}

// identitySteps create or find the identities the manifest names, with
// {id} replaced by the sandbox's ID. The logon SID and the current user
// are bound when the process starts, not here.
func identitySteps(r *winacl.Resolved, id string) []Step {
	var out []Step
	var user, group string
	caps := []string(nil)
	if r.Token != nil {
		caps = r.Token.Capabilities
	}
	for _, ident := range r.Identities {
		name := strings.ReplaceAll(ident.Name, "{id}", id)
		s := Step{Placeholder: ident.Placeholder, Name: name}
		switch ident.Kind {
		case "local-group":
			s.Op, group = OpEnsureGroup, name
		case "local-user":
			s.Op, user = OpEnsureUser, name
		case "app-container":
			s.Op, s.Caps = OpEnsureAppContainer, caps
		case "capability":
			s.Op = OpDeriveCapability
		default:
			continue
		}
		out = append(out, s)
	}
	if user != "" && group != "" {
		out = append(out, Step{Op: OpAddMember, Name: user, Group: group})
	}
	return out
}

// sysEnv returns %SystemRoot%, where the tools the plan runs live.
func sysEnv(b ir.Binding) string {
	if v := b.WinEnv["SystemRoot"]; v != "" {
		return v
	}
	return ir.WindowsDefaults["SystemRoot"]
}

// loopbackArgv lets (or stops letting) an AppContainer reach loopback,
// with the documented CheckNetIsolation tool.
func loopbackArgv(systemRoot string, add bool, container winacl.SID) []string {
	flag := "-d"
	if add {
		flag = "-a"
	}
	return []string{systemRoot + `\System32\CheckNetIsolation.exe`, "LoopbackExempt", flag,
		"-p=" + string(container)}
}
