package verify

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/permc/permc/backend/winacl"
	"github.com/permc/permc/ir"
)

// SIDs the model machine binds the manifest's placeholders to.
const (
	sidSandboxUser  winacl.SID = "S-1-5-21-1004336348-1177238915-682003330-1010"
	sidSandboxGroup winacl.SID = "S-1-5-21-1004336348-1177238915-682003330-1011"
	sidContainer    winacl.SID = "S-1-15-2-2411237419-3021488133-4119262066-1425213612-1197237224-3152470521-1034004116"
	sidCapability   winacl.SID = "S-1-15-3-1024-1065365936-1281604716-3511738428-1654721687-432734479-3232135806-4053264122-3456934681"
	sidLogon        winacl.SID = "S-1-5-5-0-999"
	sidLogonUser    winacl.SID = "S-1-5-5-0-555"
)

var bindSIDs = map[winacl.SID]winacl.SID{
	winacl.PhSandboxUser: sidSandboxUser, winacl.PhSandboxGroup: sidSandboxGroup,
	winacl.PhAppContainer: sidContainer, winacl.PhCapability: sidCapability,
	winacl.PhLogon: sidLogon, winacl.PhCurrentUser: winacl.StockUser,
}

// failClosed lists where the model machine's stock ACLs give the sandbox
// less than ir.Decide, for a documented reason: the applier cannot or
// must not change them. Below ReadOnly prefixes the sandbox must still
// read what ir.Decide lets it read.
var failClosed = []winacl.FailClosed{
	{Prefix: `C:\Windows\System32\config`, Why: "inheritance cut, administrators only"},
	{Prefix: `C:\Windows\Temp`, Why: "users may only create there"},
	{Prefix: `C:\ProgramData\ssh`, Why: "inheritance cut, administrators only"},
	{Prefix: `C:\Users\other`, Why: "another user's profile folder"},
	{Prefix: `C:\Users\dev`, Why: "another user's profile folder"},
	{Prefix: `\\`, Why: "a network share: the server decides"},
	{Prefix: `C:\Windows`, Why: "owned by TrustedInstaller", ReadOnly: true},
	{Prefix: `C:\Program Files`, Why: "owned by TrustedInstaller", ReadOnly: true},
}

// checkWindows applies windows.json, per usable mode, to the evaluator's
// model of a stock Windows install holding every probe, and compares the
// sandbox token's access with ir.Decide.
func checkWindows(p *ir.Policy, files map[string][]byte) []Check {
	raw := files["windows.json"]
	if raw == nil {
		return []Check{{Name: "windows", Status: Failed,
			Summary: "the manifest says the folder was built for windows, but windows.json is missing"}}
	}
	m, err := winacl.Parse(raw)
	if err != nil {
		return []Check{{Name: "windows", Status: Failed, Summary: err.Error()}}
	}
	probes := Probes(ir.Windows, p)
	var out []Check
	for _, mode := range ir.Modes(ir.Windows) {
		out = append(out, checkMode(p, m, mode, probes))
	}
	return out
}

func checkMode(p *ir.Policy, m *winacl.Manifest, mode ir.Mode, probes []string) Check {
	name := "windows " + string(mode)
	mm := m.Mode(mode)
	if mm == nil {
		return Check{Name: name, Status: Failed, Summary: fmt.Sprintf("windows.json has no %s mode", mode)}
	}
	if !mm.Usable {
		why := "the manifest marks it unusable"
		if mm.Unusable != nil {
			why = fmt.Sprintf("the manifest marks it unusable: %s: %s", mm.Unusable.Origin, mm.Unusable.Message)
		}
		return Check{Name: name, Status: Skipped, Summary: why}
	}
	b := Binding(ir.Windows)
	disk, pre := modelDisk(probes, b), modelDisk(probes, b)
	r, err := m.Resolve(mode, b, disk)
	if err == nil {
		err = disk.Apply(r, bindSIDs, applier(mode))
	}
	if err != nil {
		return Check{Name: name, Status: Skipped, Summary: fmt.Sprintf(
			"the applier refuses this mode on the model machine, failing closed: %v", err)}
	}
	db := b
	db.Exists = func(path string) bool { _, ok := pre.Stat(path); return ok }
	tok := r.Token.Build(bindSIDs, r.Token.User == winacl.PhCurrentUser)
	rep := reported(p, ir.Windows, mode)
	tl := newTally(name)
	dec := ir.NewDecider(p, ir.Windows, db)
	for _, path := range probes {
		tl.compared++
		judgeWindows(tl, rep, dec, disk, tok, path)
	}
	return tl.check(fmt.Sprintf("%d probes × read, write of the %s token after applying", len(probes), mm.Model))
}

func judgeWindows(tl *tally, rep map[string]string, dec *ir.Decider, d *winacl.Disk, tok *winacl.Token,
	path string) {
	want := dec.Decide(path)
	got, err := d.Access(tok, path)
	if err != nil {
		tl.known["not on the model machine"]++
		return
	}
	if _, exists := d.Stat(path); !exists {
		// Nothing is there to read: what matters is whether the
		// sandbox can create it, and then read and write it.
		create, err := d.CanCreate(tok, path)
		if err != nil {
			tl.fail("%s: %v", quote(path), err)
			return
		}
		got = winacl.Grant{Read: create && want.Read, Write: create}
	}
	wantA, gotA := want.Access(), got.Access()
	switch {
	case gotA == wantA && !got.Partial:
	case got.Partial || gotA > wantA || got.Read && !want.Read:
		tl.differ(rep, want, path, fmt.Sprintf("the sandbox gets %s (partial write %v)", gotA, got.Partial))
	default:
		if why := winacl.ClosedReason(d, failClosed, path, gotA, want); why != "" {
			tl.known["fail-closed, "+why]++
			return
		}
		tl.differ(rep, want, path, fmt.Sprintf("the sandbox gets %s", gotA))
	}
}

// applier is the token that applies the manifest: the stock user
// elevated (an administrator at High integrity) or unelevated.
func applier(mode ir.Mode) *winacl.Token {
	tok := &winacl.Token{User: winacl.StockUser, Integrity: winacl.High, Groups: []winacl.Group{
		{SID: winacl.SIDEveryone}, {SID: winacl.SIDUsers}, {SID: winacl.SIDAuthenticatedUsers},
		{SID: winacl.SIDInteractive}, {SID: sidLogonUser}, {SID: winacl.SIDAdministrators}}}
	if mode == ir.ModeUnelevated {
		tok.Integrity = winacl.Medium
		tok.Groups[len(tok.Groups)-1].DenyOnly = true
	}
	return tok
}

// modelDisk is the evaluator's stock Windows install with the synthetic
// user's profile folder (the stock user's, C:\Users\u) and every probe:
// files for the leaves below and beside rule paths, folders for the
// rest. Other drive letters get C:'s volume descriptor; a share admits
// everyone to read. What is created in the user's areas belongs to the
// user; elsewhere to the owner of the folder it is created in.
func modelDisk(probes []string, b ir.Binding) *winacl.Disk {
	d := winacl.StockDisk()
	paths := append([]string{b.Home, b.Tmpdir}, b.WorkspaceRoots...)
	paths = append(paths, probes...)
	parents := map[string]bool{}
	var comps [][]string
	for _, p := range paths {
		c, ok := ir.SplitPath(ir.Windows, p)
		if !ok {
			continue
		}
		comps = append(comps, c)
		for i := 1; i < len(c); i++ {
			parents[strings.ToLower(ir.JoinPath(ir.Windows, c[:i]))] = true
		}
	}
	sort.SliceStable(comps, func(i, j int) bool { return len(comps[i]) < len(comps[j]) })
	for _, c := range comps {
		for i := 1; i <= len(c); i++ {
			p := ir.JoinPath(ir.Windows, c[:i])
			file := i == len(c) && !parents[strings.ToLower(p)] && strings.HasPrefix(c[i-1], probeLeaf)
			addPath(d, c[:i], !file)
		}
	}
	return d
}

// addPath adds the path c unless it exists (in any case).
func addPath(d *winacl.Disk, c []string, dir bool) {
	p := ir.JoinPath(ir.Windows, c)
	if _, ok := d.Stat(p); ok {
		return
	}
	if len(c) == 1 {
		d.Add(p, true, volumeSD(d, c[0]))
		return
	}
	if home, _ := ir.SplitPath(ir.Windows, Binding(ir.Windows).Home); slices.EqualFunc(c, home, strings.EqualFold) {
		d.Add(p, true, winacl.ProfileSD(winacl.StockUser))
		return
	}
	parent := ir.JoinPath(ir.Windows, c[:len(c)-1])
	owner := winacl.StockUser
	if sd, ok := d.Descriptor(parent); ok && len(c) > 2 && sd.Owner != winacl.StockUser {
		owner = sd.Owner
	}
	d.Add(p, dir, winacl.SD{Owner: owner})
}

// volumeSD is the descriptor of a new volume or share.
func volumeSD(d *winacl.Disk, head string) winacl.SD {
	if strings.HasPrefix(head, `\\`) {
		return winacl.SD{Owner: winacl.SIDAdministrators, DACL: []winacl.ACE{{Type: winacl.Allow,
			Flags: winacl.InheritTree, Mask: winacl.ReadExecute, SID: winacl.SIDEveryone}}}
	}
	sd, _ := d.Descriptor("C:")
	return sd
}
