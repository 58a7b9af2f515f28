package windows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/permc/permc/backend/winacl"
	"github.com/permc/permc/ir"
)

// System is the thin layer of system calls the runner drives. On Windows
// sys_windows.go implements it with golang.org/x/sys/windows; the tests
// use a fake. Removing what does not exist succeeds, so undo is
// idempotent.
type System interface {
	winacl.FS
	LookupAccount(name string) (sid winacl.SID, found bool, err error)
	CreateGroup(name, comment string) error
	CreateUser(name, comment string) error
	AddGroupMember(group, user string) error
	DeleteGroup(name string) error
	DeleteUser(name string) error
	LookupAppContainer(name string) (sid winacl.SID, found bool, err error)
	CreateAppContainer(name string, caps []string) (winacl.SID, error)
	DeleteAppContainer(name string) error
	CapabilitySID(name string) (winacl.SID, error)
	Mkdir(path string) error
	// RemoveEmptyDir removes a folder only if it is empty.
	RemoveEmptyDir(path string) error
	// SecurityDescriptor returns the DACL and the label as SDDL
	// ("D:...S:...").
	SecurityDescriptor(path string) (string, error)
	// SetDACL sets the explicit entries of "D:..." and whether the DACL
	// is protected (flag P); the system recomputes inherited entries.
	SetDACL(path, sddl string) error
	// SetLabel sets the mandatory label of "S:(ML;...)"; "S:" removes it.
	SetLabel(path, sddl string) error
	// Run runs argv and fails unless it exits 0.
	Run(argv []string) error
}

// Journal stores the undo log of one sandbox ID outside every writable
// root, so that a crash in the middle leaves a log that covers it.
type Journal interface {
	Load() (*UndoLog, error) // nil when there is none
	Save(*UndoLog) error
	Clear() error
}

// UndoLog records every change an apply made, written before the change.
type UndoLog struct {
	Format  int         `json:"format"`
	Profile string      `json:"profile"`
	Mode    ir.Mode     `json:"mode"`
	ID      string      `json:"id"`
	Entries []UndoEntry `json:"entries"`
}

// UndoEntry is how to undo one change.
type UndoEntry struct {
	// Op is delete-group, delete-user, delete-app-container,
	// remove-dir, restore-acl or run.
	Op   string       `json:"op"`
	Name string       `json:"name,omitempty"`
	Path string       `json:"path,omitempty"`
	SIDs []winacl.SID `json:"sids,omitempty"` // restore-acl: whose entries to remove
	// Label is the label before the change ("S:" for none); empty when
	// the label was not changed.
	Label string   `json:"label,omitempty"`
	Argv  []string `json:"argv,omitempty"`
}

// Applied is the result of applying a plan: the undo log and the SIDs the
// placeholders were bound to, which starting the process needs.
type Applied struct {
	Undo *UndoLog
	SIDs map[winacl.SID]winacl.SID
}

// Runner executes plans against a System. Logf, when set, is told of
// each side effect; it is quiet by default.
type Runner struct {
	Sys     System
	Journal Journal
	Logf    func(format string, args ...any)
}

// Apply runs every step of p in order, recording each change in the
// journal before making it. On failure it undoes what it did and returns
// the error: the sandbox is either complete or absent.
func (r *Runner) Apply(p *Plan) (*Applied, error) {
	log, err := r.Journal.Load()
	if err != nil {
		return nil, fmt.Errorf("undo log: %w", err)
	}
	if log == nil {
		log = &UndoLog{Format: 1, Profile: p.Profile, Mode: p.Mode, ID: p.ID}
	}
	a := &applying{r: r, p: p, log: log, sids: map[winacl.SID]winacl.SID{}}
	if p.Unrestricted {
		return &Applied{Undo: log, SIDs: a.sids}, nil
	}
	for _, s := range p.Steps {
		if err := a.step(s); err != nil {
			err = fmt.Errorf("%s %s: %w", s.Op, s.Name+s.Path, err)
			if uerr := r.Undo(log); uerr != nil {
				err = errors.Join(err, fmt.Errorf("undo after failure: %w", uerr))
			}
			return nil, err
		}
	}
	return &Applied{Undo: log, SIDs: a.sids}, nil
}

type applying struct {
	r    *Runner
	p    *Plan
	log  *UndoLog
	sids map[winacl.SID]winacl.SID
}

// record appends e to the log and saves it, unless it is there already.
func (a *applying) record(e UndoEntry) error {
	for _, o := range a.log.Entries {
		if o.Op == e.Op && o.Name == e.Name && strings.EqualFold(o.Path, e.Path) &&
			slices.Equal(o.Argv, e.Argv) {
			return nil
		}
	}
	a.log.Entries = append(a.log.Entries, e)
	return a.r.Journal.Save(a.log)
}

func (a *applying) logf(format string, args ...any) {
	if a.r.Logf != nil {
		a.r.Logf(format, args...)
	}
}

func (a *applying) step(s Step) error {
	switch s.Op {
	case OpEnsureGroup:
		return a.ensureAccount(s, "delete-group", a.r.Sys.CreateGroup)
	case OpEnsureUser:
		return a.ensureAccount(s, "delete-user", a.r.Sys.CreateUser)
	case OpAddMember:
		return a.r.Sys.AddGroupMember(s.Group, s.Name)
	case OpEnsureAppContainer:
		return a.ensureContainer(s)
	case OpDeriveCapability:
		sid, err := a.r.Sys.CapabilitySID(s.Name)
		a.sids[s.Placeholder] = sid
		return err
	case OpLoopbackExempt:
		return a.loopback(s)
	case OpMkdir:
		return a.mkdir(s)
	case OpSetACL:
		return a.setACL(s)
	case OpFirewall:
		return a.firewall(s)
	}
	return fmt.Errorf("unknown step %q", s.Op)
}

func (a *applying) ensureAccount(s Step, undo string, create func(name, comment string) error) error {
	sid, found, err := a.r.Sys.LookupAccount(s.Name)
	if err != nil {
		return err
	}
	if !found {
		if err := a.record(UndoEntry{Op: undo, Name: s.Name}); err != nil {
			return err
		}
		if err := create(s.Name, "permc sandbox "+a.p.Profile); err != nil {
			return err
		}
		a.logf("created %s %s", strings.TrimPrefix(undo, "delete-"), s.Name)
		if sid, found, err = a.r.Sys.LookupAccount(s.Name); err != nil || !found {
			return fmt.Errorf("account %s missing after creation: %v", s.Name, err)
		}
	}
	a.sids[s.Placeholder] = sid
	return nil
}

func (a *applying) ensureContainer(s Step) error {
	sid, found, err := a.r.Sys.LookupAppContainer(s.Name)
	if err != nil {
		return err
	}
	if !found {
		if err := a.record(UndoEntry{Op: "delete-app-container", Name: s.Name}); err != nil {
			return err
		}
		if sid, err = a.r.Sys.CreateAppContainer(s.Name, s.Caps); err != nil {
			return err
		}
		a.logf("created appcontainer %s", s.Name)
	}
	a.sids[s.Placeholder] = sid
	return nil
}

func (a *applying) loopback(s Step) error {
	argv := make([]string, len(s.Argv))
	for i, v := range s.Argv {
		b, err := bindText(v, a.sids)
		if err != nil {
			return err
		}
		argv[i] = b
	}
	undo := slices.Clone(argv)
	undo[2] = "-d"
	if err := a.record(UndoEntry{Op: "run", Argv: undo}); err != nil {
		return err
	}
	return a.r.Sys.Run(argv)
}

func (a *applying) mkdir(s Step) error {
	if _, ok := a.r.Sys.Stat(s.Path); ok {
		return nil
	}
	if err := a.record(UndoEntry{Op: "remove-dir", Path: s.Path}); err != nil {
		return err
	}
	a.logf("created placeholder %s (%s)", s.Path, s.Origin.Pos.Short())
	return a.r.Sys.Mkdir(s.Path)
}

// principals are the bound SIDs of the sandbox: every entry of theirs
// on a path is the sandbox's, and undo removes them all.
func (a *applying) principals() ([]winacl.SID, error) {
	var out []winacl.SID
	for _, p := range a.p.Resolved.Principals {
		sid, ok := a.sids[p]
		if !ok {
			return nil, fmt.Errorf("unbound placeholder %s", p)
		}
		out = append(out, sid)
	}
	return out, nil
}

func (a *applying) setACL(s Step) error {
	sids, err := a.principals()
	if err != nil {
		return err
	}
	aces, err := a.bindACEs(s.ACEs)
	if err != nil {
		return err
	}
	sd, err := a.r.Sys.SecurityDescriptor(s.Path)
	if err != nil {
		return err
	}
	d, err := parseDACL(sd)
	if err != nil {
		return err
	}
	e := UndoEntry{Op: "restore-acl", Path: s.Path, SIDs: sids}
	if s.Label != nil {
		e.Label = labelPart(sd)
	}
	if err := a.record(e); err != nil {
		return err
	}
	if err := a.r.Sys.SetDACL(s.Path, d.explicit().merge(aces, sids).String()); err != nil {
		return err
	}
	a.logf("set acl of %s (%s)", s.Path, s.Origin.Pos.Short())
	if s.Label == nil {
		return nil
	}
	return a.r.Sys.SetLabel(s.Path, labelSDDL(s.Label))
}

func (a *applying) bindACEs(aces []winacl.ACE) ([]winacl.ACE, error) {
	out := make([]winacl.ACE, len(aces))
	for i, e := range aces {
		sid, ok := a.sids[e.SID]
		if !ok {
			return nil, fmt.Errorf("unbound trustee %s", e.SID)
		}
		e.SID = sid
		out[i] = e
	}
	return out, nil
}

// labelPart returns the mandatory label entries of an SDDL string as an
// "S:" part ("S:" when there is none).
func labelPart(sddl string) string {
	i := strings.Index(sddl, "S:")
	if i < 0 {
		return "S:"
	}
	out, rest := "S:", sddl[i+2:]
	for {
		j := strings.Index(rest, "(ML;")
		if j < 0 {
			return out
		}
		end := strings.IndexByte(rest[j:], ')')
		if end < 0 {
			return out
		}
		out += rest[j : j+end+1]
		rest = rest[j+end+1:]
	}
}

func (a *applying) firewall(s Step) error {
	script, err := bindText(s.Script, a.sids)
	if err != nil {
		return err
	}
	root := a.p.SystemRoot
	if err := a.record(UndoEntry{Op: "run", Name: s.Name, Argv: PowerShellArgv(root, s.Undo)}); err != nil {
		return err
	}
	a.logf("firewall rule %s (%s)", s.Name, s.Origin.Pos.Short())
	return a.r.Sys.Run(PowerShellArgv(root, script))
}

// Undo reverses a log, last change first, and clears the journal when
// every entry was undone. Entries already undone are no-ops.
func (r *Runner) Undo(log *UndoLog) error {
	var errs []error
	for i := len(log.Entries) - 1; i >= 0; i-- {
		if err := r.undo(log.Entries[i]); err != nil {
			errs = append(errs, fmt.Errorf("%s %s%s: %w", log.Entries[i].Op,
				log.Entries[i].Name, log.Entries[i].Path, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return r.Journal.Clear()
}

func (r *Runner) undo(e UndoEntry) error {
	switch e.Op {
	case "delete-group":
		return r.Sys.DeleteGroup(e.Name)
	case "delete-user":
		return r.Sys.DeleteUser(e.Name)
	case "delete-app-container":
		return r.Sys.DeleteAppContainer(e.Name)
	case "remove-dir":
		return r.Sys.RemoveEmptyDir(e.Path)
	case "run":
		return r.Sys.Run(e.Argv)
	case "restore-acl":
		return r.restoreACL(e)
	}
	return fmt.Errorf("unknown undo entry %q", e.Op)
}

func (r *Runner) restoreACL(e UndoEntry) error {
	if _, ok := r.Sys.Stat(e.Path); !ok {
		return nil // a placeholder removed already
	}
	sd, err := r.Sys.SecurityDescriptor(e.Path)
	if err != nil {
		return err
	}
	d, err := parseDACL(sd)
	if err != nil {
		return err
	}
	if err := r.Sys.SetDACL(e.Path, d.explicit().without(e.SIDs).String()); err != nil {
		return err
	}
	if e.Label == "" {
		return nil
	}
	return r.Sys.SetLabel(e.Path, e.Label)
}
