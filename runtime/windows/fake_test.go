package windows

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/permc/permc/backend/winacl"
)

// fakeSystem is a System over a winacl.Disk: descriptors travel as SDDL
// both ways, as they do through GetNamedSecurityInfo and
// SetNamedSecurityInfo, so the runner's SDDL handling is exercised.
type fakeSystem struct {
	*winacl.Disk
	owner      winacl.SID
	accounts   map[string]winacl.SID
	members    map[string]bool
	containers map[string]winacl.SID
	rules      map[string]string // firewall rule name -> script
	exempt     map[string]bool
	calls      []string
	nextRID    int
	failAt     int // fail the n-th changing call (1-based); 0 never
	changes    int
}

func newFake(d *winacl.Disk) *fakeSystem {
	return &fakeSystem{Disk: d, owner: winacl.SIDAdministrators,
		accounts: map[string]winacl.SID{}, members: map[string]bool{},
		containers: map[string]winacl.SID{}, rules: map[string]string{},
		exempt: map[string]bool{}, nextRID: 1100}
}

var errInjected = errors.New("injected failure")

// change counts a changing call and fails the one failAt names.
func (f *fakeSystem) change(call string) error {
	f.calls = append(f.calls, call)
	f.changes++
	if f.failAt > 0 && f.changes == f.failAt {
		return errInjected
	}
	return nil
}

func (f *fakeSystem) LookupAccount(name string) (winacl.SID, bool, error) {
	sid, ok := f.accounts[name]
	return sid, ok, nil
}

func (f *fakeSystem) create(name string) {
	f.nextRID++
	f.accounts[name] = winacl.SID(fmt.Sprintf("S-1-5-21-9-9-9-%d", f.nextRID))
}

func (f *fakeSystem) CreateGroup(name, _ string) error {
	if err := f.change("create-group " + name); err != nil {
		return err
	}
	f.create(name)
	return nil
}

func (f *fakeSystem) CreateUser(name, _ string) error {
	if err := f.change("create-user " + name); err != nil {
		return err
	}
	f.create(name)
	return nil
}

func (f *fakeSystem) AddGroupMember(group, user string) error {
	f.members[group+"/"+user] = true
	return f.change("add-member " + group + " " + user)
}

func (f *fakeSystem) DeleteGroup(name string) error {
	delete(f.accounts, name)
	return f.change("delete-group " + name)
}

func (f *fakeSystem) DeleteUser(name string) error {
	delete(f.accounts, name)
	return f.change("delete-user " + name)
}

func (f *fakeSystem) LookupAppContainer(name string) (winacl.SID, bool, error) {
	sid, ok := f.containers[name]
	return sid, ok, nil
}

func (f *fakeSystem) CreateAppContainer(name string, caps []string) (winacl.SID, error) {
	if err := f.change("create-app-container " + name + " " + strings.Join(caps, ",")); err != nil {
		return "", err
	}
	f.containers[name] = "S-1-15-2-77-" + winacl.SID(fmt.Sprint(len(f.containers)+1))
	return f.containers[name], nil
}

func (f *fakeSystem) DeleteAppContainer(name string) error {
	delete(f.containers, name)
	return f.change("delete-app-container " + name)
}

func (f *fakeSystem) CapabilitySID(name string) (winacl.SID, error) {
	return "S-1-15-3-1024-" + winacl.SID(fmt.Sprint(len(name))), nil
}

func (f *fakeSystem) Mkdir(path string) error {
	if err := f.change("mkdir " + path); err != nil {
		return err
	}
	return f.Add(path, true, winacl.SD{Owner: f.owner})
}

func (f *fakeSystem) RemoveEmptyDir(path string) error {
	if _, ok := f.Stat(path); !ok {
		return nil
	}
	if err := f.change("rmdir " + path); err != nil {
		return err
	}
	return f.Remove(path)
}

// SecurityDescriptor renders the effective DACL, inherited entries
// flagged ID, and an explicit label.
func (f *fakeSystem) SecurityDescriptor(path string) (string, error) {
	obj, ok, err := f.Object(path)
	if err != nil || !ok {
		return "", fmt.Errorf("no such path %q", path)
	}
	sd, _ := f.Descriptor(path)
	var b strings.Builder
	b.WriteString("O:" + string(obj.Owner) + "D:")
	if sd.Protected {
		b.WriteString("P")
	}
	b.WriteString("AI")
	for _, a := range obj.DACL {
		b.WriteString(a.SDDL())
	}
	if sd.Label != nil {
		b.WriteString(labelSDDL(sd.Label))
	}
	return b.String(), nil
}

var aceRE = regexp.MustCompile(`\(([AD]);([A-Z]*);(0x[0-9a-f]+);;;([^)]+)\)`)

func (f *fakeSystem) SetDACL(path, sddl string) error {
	if err := f.change("set-dacl " + path); err != nil {
		return err
	}
	sd, ok := f.Descriptor(path)
	if !ok {
		return fmt.Errorf("no such path %q", path)
	}
	d, err := parseDACL(sddl)
	if err != nil {
		return err
	}
	sd.Protected = strings.Contains(d.flags, "P")
	sd.DACL = nil
	for _, a := range d.aces {
		m := aceRE.FindStringSubmatch(a.text)
		if m == nil {
			return fmt.Errorf("fake cannot parse %q", a.text)
		}
		var e winacl.ACE
		e.SID = winacl.SID(m[4])
		if m[1] == "D" {
			e.Type = winacl.Deny
		}
		if err := e.Flags.UnmarshalText([]byte(m[2])); err != nil {
			return err
		}
		if err := e.Mask.UnmarshalText([]byte(m[3])); err != nil {
			return err
		}
		if e.Flags&winacl.Inherited != 0 {
			return fmt.Errorf("set-dacl %s: inherited entry passed: %s", path, a.text)
		}
		sd.DACL = append(sd.DACL, e)
	}
	return f.SetDescriptor(path, sd)
}

var labelRE = regexp.MustCompile(`^S:(\(ML;([A-Z]*);NW;;;LW\))?$`)

func (f *fakeSystem) SetLabel(path, sddl string) error {
	if err := f.change("set-label " + path); err != nil {
		return err
	}
	m := labelRE.FindStringSubmatch(sddl)
	if m == nil {
		return fmt.Errorf("fake cannot parse label %q", sddl)
	}
	sd, _ := f.Descriptor(path)
	sd.Label = nil
	if m[1] != "" {
		l := &winacl.Label{Level: winacl.Low}
		if err := l.Flags.UnmarshalText([]byte(m[2])); err != nil {
			return err
		}
		sd.Label = l
	}
	return f.SetDescriptor(path, sd)
}

var (
	newRuleRE = regexp.MustCompile(`New-NetFirewallRule -Name '([^']+)'`)
	delRuleRE = regexp.MustCompile(`Remove-NetFirewallRule -Name '([^']+)'`)
)

// Run understands the two tools a plan runs: PowerShell firewall
// scripts and CheckNetIsolation.
func (f *fakeSystem) Run(argv []string) error {
	if strings.HasSuffix(argv[0], "CheckNetIsolation.exe") {
		f.exempt[argv[3]] = argv[2] == "-a"
		return f.change("loopback " + argv[2] + " " + argv[3])
	}
	script, err := decodeScript(argv[len(argv)-1])
	if err != nil {
		return err
	}
	if err := f.change("powershell"); err != nil {
		return err
	}
	for _, m := range delRuleRE.FindAllStringSubmatch(script, -1) {
		delete(f.rules, m[1])
	}
	for _, m := range newRuleRE.FindAllStringSubmatch(script, -1) {
		f.rules[m[1]] = script
	}
	return nil
}

func decodeScript(enc string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(b)%2 != 0 {
		return "", fmt.Errorf("bad encoded command")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u)), nil
}

// memJournal keeps the undo log in memory, saving a copy each time.
type memJournal struct {
	log   *UndoLog
	saves int
}

func (j *memJournal) Load() (*UndoLog, error) {
	if j.log == nil {
		return nil, nil
	}
	c := *j.log
	c.Entries = append([]UndoEntry(nil), j.log.Entries...)
	return &c, nil
}

func (j *memJournal) Save(l *UndoLog) error {
	c := *l
	c.Entries = append([]UndoEntry(nil), l.Entries...)
	j.log = &c
	j.saves++
	return nil
}

func (j *memJournal) Clear() error {
	j.log = nil
	return nil
}
