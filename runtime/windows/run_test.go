package windows

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/backend/winacl"
	"github.com/permc/permc/ir"
)

// probePaths are the paths whose access and descriptors the runner tests
// compare.
var probePaths = []string{`C:\work`, `C:\work\a.go`, `C:\work\.git`, `C:\work\.codex`,
	`C:\work\.agents`, `C:\Users\dev`, `C:\Users\dev\notes.txt`, `C:\ProgramData`,
	`C:\ProgramData\chocolatey\bin\choco.exe`, `C:\Windows\System32\kernel32.dll`,
	`C:\Users\dev\AppData\Local\Temp\t.txt`}

// snapshot records the stored descriptor of every probe path ("" when
// the path does not exist).
func snapshot(d *winacl.Disk) map[string]string {
	out := map[string]string{}
	for _, p := range probePaths {
		if sd, ok := d.Descriptor(p); ok {
			s := string(sd.Owner)
			if sd.Protected {
				s += " P"
			}
			for _, a := range sd.DACL {
				s += a.SDDL()
			}
			if sd.Label != nil {
				s += labelSDDL(sd.Label)
			}
			out[p] = s
		}
	}
	return out
}

func apply(t *testing.T, p *ir.Policy, mode ir.Mode) (*fakeSystem, *memJournal, *Plan, *Applied) {
	t.Helper()
	f := newFake(disk(t))
	plan, err := NewPlan(compile(t, p), mode, binding, f)
	if err != nil {
		t.Fatal(err)
	}
	j := &memJournal{}
	a, err := (&Runner{Sys: f, Journal: j}).Apply(plan)
	if err != nil {
		t.Fatal(err)
	}
	return f, j, plan, a
}

// TestRunnerMatchesEvaluator applies a plan through the runner (SDDL in,
// SDDL out) and the same resolved manifest with winacl.Disk.Apply, and
// requires the sandbox to get the same access on both disks.
func TestRunnerMatchesEvaluator(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *ir.Policy
	}{{"root deny", rootDeny()}, {"workspace", workspace()}} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, plan, a := apply(t, tc.p, ir.ModeElevated)
			ref := disk(t)
			admin := &winacl.Token{User: winacl.StockUser, Integrity: winacl.High,
				Groups: []winacl.Group{{SID: winacl.SIDAdministrators}, {SID: winacl.SIDUsers}}}
			if err := ref.Apply(plan.Resolved, a.SIDs, admin); err != nil {
				t.Fatal(err)
			}
			tok := plan.Resolved.Token.Build(a.SIDs, false)
			for _, p := range probePaths {
				want, err := ref.Access(tok, p)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := f.Access(tok, p)
				if got != want {
					t.Errorf("%s: runner gives %+v, evaluator %+v", p, got, want)
				}
			}
			if diff := cmp.Diff(snapshot(ref), snapshot(f.Disk)); diff != "" {
				t.Errorf("descriptors (-evaluator +runner):\n%s", diff)
			}
		})
	}
}

func TestRunnerIdempotent(t *testing.T) {
	f, j, plan, _ := apply(t, workspace(), ir.ModeElevated)
	before, entries, rules := snapshot(f.Disk), len(j.log.Entries), len(f.rules)
	if _, err := (&Runner{Sys: f, Journal: j}).Apply(plan); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, snapshot(f.Disk)); diff != "" {
		t.Errorf("second apply changed descriptors (-first +second):\n%s", diff)
	}
	if len(j.log.Entries) != entries || len(f.rules) != rules || len(f.accounts) != 2 {
		t.Errorf("second apply: %d undo entries (was %d), %d rules (was %d), %d accounts",
			len(j.log.Entries), entries, len(f.rules), rules, len(f.accounts))
	}
}

func TestRunnerUndo(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *ir.Policy
	}{{"root deny", rootDeny()}, {"workspace", workspace()}} {
		t.Run(tc.name, func(t *testing.T) {
			pristine := snapshot(disk(t))
			f, j, _, _ := apply(t, tc.p, ir.ModeElevated)
			if len(f.rules) == 0 || len(f.accounts) == 0 {
				t.Fatalf("nothing applied: %d rules, %d accounts", len(f.rules), len(f.accounts))
			}
			r := &Runner{Sys: f, Journal: j}
			log, _ := j.Load()
			if err := r.Undo(log); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(pristine, snapshot(f.Disk)); diff != "" {
				t.Errorf("undo left (-pristine +after):\n%s", diff)
			}
			if len(f.rules) != 0 || len(f.accounts) != 0 || len(f.containers) != 0 || j.log != nil {
				t.Errorf("undo left rules %v, accounts %v, containers %v, log %v",
					f.rules, f.accounts, f.containers, j.log)
			}
			for sid, on := range f.exempt {
				if on {
					t.Errorf("container %s still loopback-exempt", sid)
				}
			}
			if err := r.Undo(log); err != nil {
				t.Errorf("undoing twice: %v", err)
			}
		})
	}
}

// TestRunnerRollback fails each changing call in turn and requires the
// disk to be as it was, with nothing left to undo.
func TestRunnerRollback(t *testing.T) {
	pristine := snapshot(disk(t))
	f, _, _, _ := apply(t, workspace(), ir.ModeElevated)
	total := f.changes
	for n := 1; n <= total; n++ {
		f := newFake(disk(t))
		f.failAt = n
		plan, err := NewPlan(compile(t, workspace()), ir.ModeElevated, binding, f)
		if err != nil {
			t.Fatal(err)
		}
		j := &memJournal{}
		_, err = (&Runner{Sys: f, Journal: j}).Apply(plan)
		if !errors.Is(err, errInjected) {
			t.Fatalf("failing call %d (%s): err = %v", n, f.calls[n-1], err)
		}
		if diff := cmp.Diff(pristine, snapshot(f.Disk)); diff != "" {
			t.Errorf("failing call %d (%s) left (-pristine +after):\n%s", n, f.calls[n-1], diff)
		}
		if len(f.rules) != 0 || len(f.accounts) != 0 || j.log != nil {
			t.Errorf("failing call %d: left rules %v, accounts %v", n, f.rules, f.accounts)
		}
	}
}

func TestRunnerUnelevated(t *testing.T) {
	p := workspace()
	p.Net.HasDomains = false // full network: usable unelevated
	f, _, plan, a := apply(t, p, ir.ModeUnelevated)
	if len(f.accounts) != 0 || len(f.rules) != 0 {
		t.Errorf("unelevated created accounts %v or rules %v", f.accounts, f.rules)
	}
	a.SIDs[winacl.PhCurrentUser] = winacl.StockUser
	a.SIDs[winacl.PhLogon] = "S-1-5-5-0-1"
	tok := plan.Resolved.Token.Build(a.SIDs, true)
	for _, tc := range []struct {
		path string
		want winacl.Grant
	}{
		{`C:\work\a.go`, winacl.Grant{Read: true, Write: true}},
		{`C:\work\.git`, winacl.Grant{Read: true}},
		{`C:\Users\dev\notes.txt`, winacl.Grant{Read: true}},
	} {
		if got, _ := f.Access(tok, tc.path); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.path, got, tc.want)
		}
	}
}
