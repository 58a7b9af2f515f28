package winacl

import (
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/permc/permc/ir"
)

// The rule targets of generated profiles: drive, case-variant, verbatim,
// forward-slash, UNC, home and workspace-relative forms, existing and
// missing, nested in one another.
var (
	absTargets = []string{`C:\work`, `c:\WORK\src`, `C:\work\src\a.go`, `C:\work\notes`,
		`\\?\C:\work\docs`, `C:\work\vendor`, `C:\work\shared`, `C:\Users`, `C:\Users\Public`,
		`C:\Users\dev\Documents`, `C:\ProgramData\chocolatey`, `C:\Program Files\Git`,
		`D:\data`, `\\server\share\docs`, `\\?\UNC\server\share\docs`, `C:\Windows\Temp`,
		`C:\work\missing\deep`, `C:/work/src`, `C:\Users\other`}
	homeTargets = []string{"", "Documents", "Documents/codex", ".ssh", "work", "work/app",
		"AppData/Local/Programs", "notes.txt", "Documents/missing"}
	wsTargets   = []string{"", "src", ".git", "notes/secret.txt", "docs", "newdir", "vendor"}
	wsGlobs     = []string{"**/*.env", "*.md", "src/*", "**/secret.txt"}
	treeGlobs   = []string{"src/**", "docs/**"}
	extraProbes = []string{`C:\work\new.txt`, `C:\work\src\new.env`, `C:\work\.codex`,
		`C:\work\.agents\x`, `C:\work\missing\deep\f`, `C:\Users\dev\new.txt`,
		`C:\Users\dev\Documents\codex\b.txt`, `D:\new`, `C:\Windows\Temp\x`,
		`C:\ProgramData\newapp\x`, `\\server\share\new.txt`, `C:\Users\dev\work\app\.codex`,
		`C:\work\newdir\x`, `C:\Users\dev\Documents\missing\y`}
)

func randomRule(rng *rand.Rand, line int) ir.FSRule {
	acc := []ir.Access{ir.Read, ir.Write, ir.Deny}[rng.Intn(3)]
	switch k := rng.Intn(10); {
	case k < 4:
		return rl(ir.BaseAbs, absTargets[rng.Intn(len(absTargets))], acc, line)
	case k < 6:
		return rl(ir.BaseHome, homeTargets[rng.Intn(len(homeTargets))], acc, line)
	case k < 8:
		return rl(ir.BaseWorkspaceRoots, wsTargets[rng.Intn(len(wsTargets))], acc, line)
	case k < 9:
		return rl(ir.BaseWorkspaceRoots, wsGlobs[rng.Intn(len(wsGlobs))], ir.Deny, line)
	default:
		if rng.Intn(2) == 0 {
			return rl(ir.BaseTmpdir, "", acc, line)
		}
		return rl(ir.BaseWorkspaceRoots, treeGlobs[rng.Intn(len(treeGlobs))], acc, line)
	}
}

// randomPolicy nests allows and denies: a root choice that selects the
// model, :minimal most of the time, then up to six rules.
func randomPolicy(rng *rand.Rand) *ir.Policy {
	var rules []ir.FSRule
	line := 2
	next := func() int { line++; return line }
	switch k := rng.Intn(20); {
	case k < 8:
		rules = append(rules, rl(ir.BaseRoot, "", ir.Deny, next()))
	case k < 16:
		rules = append(rules, rl(ir.BaseRoot, "", ir.Read, next()))
	case k < 17:
		rules = append(rules, rl(ir.BaseRoot, "", ir.Write, next()))
	}
	if rng.Intn(8) != 0 {
		rules = append(rules, rl(ir.BaseMinimal, "", ir.Read, next()))
	}
	for n := 1 + rng.Intn(6); n > 0; n-- {
		rules = append(rules, randomRule(rng, next()))
	}
	p := policy(dedupRules(rules)...)
	p.FS.ProtectMetadata = rng.Intn(3) == 0
	p.FS.ProtectOrigin = at(2)
	p.FS.GlobScanMaxDepth = rng.Intn(4)
	if rng.Intn(4) == 0 {
		root := []string{`~\work\app`, `~/work/app`, `c:\users\DEV\work\APP`}[rng.Intn(3)]
		p.FS.WorkspaceRoots = []ir.WorkspaceRoot{{Path: root, Origin: at(2)}}
	}
	if rng.Intn(4) == 0 {
		p.Net.Enabled, p.Net.HasDomains = true, rng.Intn(2) == 0
	}
	return p
}

// writeOnlyPolicy is a profile the unelevated mode can take: :root read,
// full network, grants only (nested reads and writes).
func writeOnlyPolicy(rng *rand.Rand) *ir.Policy {
	rules := []ir.FSRule{rl(ir.BaseRoot, "", ir.Read, 3)}
	for n := 1 + rng.Intn(6); n > 0; n-- {
		r := randomRule(rng, 4+n)
		if r.Access == ir.Deny {
			r.Access = ir.Read
		}
		if !r.Glob || trailingDoubleStar(r.Path) {
			rules = append(rules, r)
		}
	}
	p := policy(dedupRules(rules)...)
	p.FS.ProtectMetadata, p.FS.ProtectOrigin = rng.Intn(2) == 0, at(2)
	p.Net.Enabled = true
	return p
}

// dedupRules keeps the last rule of each key, as layers merge.
func dedupRules(rules []ir.FSRule) []ir.FSRule {
	idx := map[string]int{}
	var out []ir.FSRule
	for _, r := range rules {
		if i, ok := idx[r.Key()]; ok {
			out[i] = r
			continue
		}
		idx[r.Key()] = len(out)
		out = append(out, r)
	}
	return out
}

var bindings = [][]string{{`C:\work`}, {`C:\Users\dev\work\app`}, {`C:\work`, `C:\Users\dev\work\app`}}

// probes are every path of the test disk, a case variant and a verbatim
// form of each, and paths that do not exist.
func probes(d *Disk) []string {
	var out []string
	var walk func(path string)
	walk = func(path string) {
		out = append(out, path, strings.ToUpper(path))
		if !strings.HasPrefix(path, `\\`) {
			out = append(out, `\\?\`+path)
		}
		names, err := d.ReadDir(path)
		if err != nil {
			return
		}
		for _, n := range names {
			walk(strings.TrimSuffix(path, `\`) + `\` + n)
		}
	}
	for _, v := range []string{`C:\`, `D:\`, `\\server\share`} {
		walk(v)
	}
	return append(out, extraProbes...)
}

// failClosed lists where the sandbox may get less than ir.Decide says,
// each for a documented reason: folders whose inheritance is cut and
// whose own ACLs exclude the sandbox, system files only TrustedInstaller
// may change, network shares (the server decides), and missing paths
// the sandbox cannot create because their parent is not writable.
var failClosed = []FailClosed{
	{`C:\Windows\System32\config`, "cut inheritance, admins only", false},
	{`C:\Windows\Temp`, "users may only create there", false},
	{`C:\ProgramData\ssh`, "cut inheritance, admins only", false},
	{`C:\Users\other`, "another user's profile", false},
	{`C:\Users\dev\.ssh\id_ed25519`, "cut inheritance, owner only", false},
	{`C:\work\vendor`, "cut inheritance by the user", false},
	{`\\server\share`, "network share", false},
	{`C:\Windows`, "owned by trustedinstaller", true},
	{`C:\Program Files`, "owned by trustedinstaller", true},
}

type tally struct {
	compared, exact, refused int
	closed                   map[string]int
	applied                  map[ir.Mode]int
	failures                 []string
}

func (tl *tally) fail(format string, args ...any) {
	if len(tl.failures) < 30 {
		tl.failures = append(tl.failures, fmt.Sprintf(format, args...))
	}
}

func TestEquivalenceWithDecide(t *testing.T) {
	tl := &tally{closed: map[string]int{}, applied: map[ir.Mode]int{}}
	rng := rand.New(rand.NewSource(5))
	base := testDisk(t)
	paths := probes(base)
	n := 400
	if testing.Short() {
		n = 60
	}
	for i := 0; i < n; i++ {
		p := randomPolicy(rng)
		if i%3 == 0 {
			p = writeOnlyPolicy(rng)
		}
		b := testBinding(bindings[rng.Intn(len(bindings))]...)
		compareOne(t, tl, p, b, paths)
	}
	for _, f := range tl.failures {
		t.Error(f)
	}
	t.Logf("%d profiles; applied per mode %v; compared %d paths: %d exact, fail-closed %v; "+
		"%d mode resolutions refused", n, tl.applied, tl.compared, tl.exact, tl.closed, tl.refused)
	if tl.exact < tl.compared*2/3 || tl.compared < n*len(paths)/4 {
		t.Errorf("too little compared exactly: %d of %d (%d probes, %d profiles)",
			tl.exact, tl.compared, len(paths), n)
	}
}

// compareOne compiles p, round-trips windows.json, and for each usable
// mode resolves, applies and compares every probe with ir.Decide.
func compareOne(t *testing.T, tl *tally, p *ir.Policy, b ir.Binding, paths []string) {
	m, err := Compile(p)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	data, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if m, err = Parse(data); err != nil {
		t.Fatal(err)
	}
	for _, mode := range ir.Modes(ir.Windows) {
		if !m.Mode(mode).Usable {
			continue
		}
		d := testDisk(t)
		pre := testDisk(t)
		r, err := m.Resolve(mode, b, d)
		if err == nil {
			err = d.Apply(r, testBind, applier(mode))
		}
		if err != nil {
			refusal(tl, p, mode, err)
			continue
		}
		tl.applied[mode]++
		db := b
		db.Exists = func(path string) bool { _, ok := pre.Stat(path); return ok }
		tok := sandbox(r)
		for _, path := range paths {
			comparePath(t, tl, p, mode, d, tok, db, path)
		}
	}
}

// refusal accepts the documented ways to refuse a mode on a machine.
func refusal(tl *tally, p *ir.Policy, mode ir.Mode, err error) {
	tl.refused++
	var le *LoadError
	switch {
	case errors.As(err, &le):
	case errors.Is(err, ErrAccessDenied):
	default:
		tl.fail("%s %s: unexpected error %v", rulesString(p), mode, err)
	}
}

func comparePath(t *testing.T, tl *tally, p *ir.Policy, mode ir.Mode, d *Disk, tok *Token,
	b ir.Binding, path string) {
	want := ir.Decide(p, ir.Windows, b, path)
	got, err := d.Access(tok, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, exists := d.Stat(path); !exists {
		// Nothing is there to read: what matters is whether the sandbox
		// can create it, and then read and write it.
		create, err := d.CanCreate(tok, path)
		if err != nil {
			t.Fatal(err)
		}
		got = Grant{Read: create && want.Read, Write: create}
	}
	tl.compared++
	wantA, gotA := want.Access(), got.Access()
	switch {
	case gotA == wantA && !got.Partial:
		tl.exact++
	case got.Partial || perm(gotA) > perm(wantA) || (got.Read && !want.Read):
		tl.fail("FAIL OPEN %s %s: %s: sandbox %v (partial %v), decide %v by %v",
			rulesString(p), mode, path, gotA, got.Partial, wantA, byString(want))
	default:
		why := ClosedReason(d, failClosed, path, gotA, want)
		if why == "" {
			tl.fail("%s %s: %s: sandbox %v, decide %v by %v", rulesString(p), mode, path,
				gotA, wantA, byString(want))
			return
		}
		tl.closed[why]++
	}
}

func byString(d ir.Decision) string {
	if d.By == nil {
		return "nothing"
	}
	return fmt.Sprintf("%s %s %s", d.By.Kind, d.By.Path, d.By.Access)
}

func rulesString(p *ir.Policy) string {
	var parts []string
	for _, r := range p.FS.Rules {
		t, _ := Template(r)
		parts = append(parts, fmt.Sprintf("%s=%s", t, r.Access))
	}
	sort.Strings(parts)
	extra := ""
	if p.FS.ProtectMetadata {
		extra = " +protect"
	}
	return fmt.Sprintf("[%s depth=%d%s]", strings.Join(parts, " "), p.FS.GlobScanMaxDepth, extra)
}
