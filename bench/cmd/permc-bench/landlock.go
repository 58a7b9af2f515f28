//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/permc/permc/backend/landlock"
)

var landlockRuleCounts = []int{0, 10, 100, 1000}

// landlock times backend/landlock's ApplyThread with 0 to 1,000 path rules, and
// open(2) with and without a ruleset, each in a re-executed child of this
// program (a ruleset cannot be removed from a process).
func (b *bench) landlock() {
	r := b.rep
	r.h2("5. Landlock: ruleset setup and the cost added to `open`")
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil || abi < 1 {
		r.para(fmt.Sprintf("Landlock is not available on this kernel (%v): not measured.", err))
		return
	}
	root := filepath.Join(b.tmp, "ll")
	for i := range 1000 {
		if err := os.MkdirAll(filepath.Join(root, fmt.Sprintf("p%04d", i)), 0o755); err != nil {
			b.fail("landlock", err)
			return
		}
	}
	deep := filepath.Join(root, "deep", "a", "b", "c", "d", "e", "f", "g", "h", "file.txt")
	os.MkdirAll(filepath.Dir(deep), 0o755)
	os.WriteFile(deep, nil, 0o644)
	shallow := "/etc/hostname"

	// Setup: interleave the rule counts, one child per sample.
	reps := b.reps(15)
	setup := map[int][]float64{}
	for round := range reps + 1 {
		for _, n := range landlockRuleCounts {
			out, err := b.llChild("landlock-setup", strconv.Itoa(n), root)
			if err != nil {
				b.fail("landlock", err)
				return
			}
			ns, _ := strconv.ParseFloat(strings.TrimSpace(out), 64)
			if round > 0 {
				setup[n] = append(setup[n], ns)
			}
		}
	}
	r.para(fmt.Sprintf("Setup is `landlock.ApplyThread` as the inner stage calls it: one open and stat per granted "+
		"path, one `landlock_add_rule` per existing path, and `landlock_restrict_self` on the calling thread, which "+
		"then execs, with every filesystem right of ABI %d handled. Each sample is a fresh child; %d "+
		"samples per rule count, interleaved, after one warm-up round.", abi, reps))
	var rows [][]string
	base := summarize(setup[0])
	for _, n := range landlockRuleCounts {
		s := summarize(setup[n])
		per := "—"
		if n > 0 {
			per = fmtNs((s.Median - base.Median) / float64(n))
		}
		rows = append(rows, row(thousands(n)+" rules", s, unitNs, per))
	}
	r.table([]string{"ruleset", "median setup", "IQR", "best", "n", "per rule, above 0 rules"}, rows)
	top := summarize(setup[1000])
	perRule := (top.Median - base.Median) / 1000

	// open(2): the same children, a loop of open+close per path.
	iters := 200000
	if b.quick {
		iters = 20000
	}
	modes := []string{"none", "workspace", "workspace+1000"}
	openNs := map[string]map[string][]float64{}
	for _, m := range modes {
		openNs[m] = map[string][]float64{}
	}
	oreps := b.reps(5)
	for round := range oreps {
		for _, m := range modes {
			out, err := b.llChild("landlock-open", m, root, strconv.Itoa(iters), shallow, deep)
			if err != nil {
				b.fail("landlock", err)
				return
			}
			var got map[string]float64
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				b.fail("landlock", fmt.Errorf("child printed %q", out))
				return
			}
			_ = round
			for p, v := range got {
				openNs[m][p] = append(openNs[m][p], v)
			}
		}
	}
	r.para(fmt.Sprintf("`open(O_RDONLY)` + `close` of an existing file, %s times per child after 1,000 unrecorded, "+
		"%d children per ruleset, interleaved. “:workspace” is the ruleset permc applies for it (`/` readable, "+
		"the workspace and /tmp writable); “+1,000” adds 1,000 rules on unrelated directories. Landlock "+
		"walks from the file up to the root, so the depth of the path matters more than the number of rules.",
		thousands(iters), oreps))
	rows = nil
	for _, p := range []string{shallow, deep} {
		none := summarize(openNs["none"][p])
		depth := strings.Count(p, "/")
		for _, m := range modes {
			s := summarize(openNs[m][p])
			label := map[string]string{"none": "no Landlock", "workspace": "**:workspace ruleset**", "workspace+1000": ":workspace + 1,000 rules"}[m]
			added := signedNs(s.Median - none.Median)
			if m == "none" {
				added = "—"
			}
			rows = append(rows, row(fmt.Sprintf("`%s` (depth %d), %s", p, depth, label), s, unitNs, added))
		}
	}
	r.table([]string{"path, ruleset", "median per open+close", "IQR", "best", "n", "added"}, rows)
	sn, sw := summarize(openNs["none"][shallow]), summarize(openNs["workspace"][shallow])
	dn, dw := summarize(openNs["none"][deep]), summarize(openNs["workspace"][deep])
	r.headline("Landlock: setup %s with no rule plus %s per rule (%s for 1,000); under the :workspace ruleset `open`+`close` "+
		"costs %s more at depth %d (%s → %s; best samples %s → %s) and %s more at depth %d (%s → %s; best %s → %s).",
		fmtNs(base.Median), fmtNs(perRule), fmtNs(top.Median),
		signedNs(sw.Median-sn.Median), strings.Count(shallow, "/"), fmtNs(sn.Median), fmtNs(sw.Median), fmtNs(sn.Min), fmtNs(sw.Min),
		signedNs(dw.Median-dn.Median), strings.Count(deep, "/"), fmtNs(dn.Median), fmtNs(dw.Median), fmtNs(dn.Min), fmtNs(dw.Min))
	r.cmds("5. Landlock",
		fmt.Sprintf("%s=landlock-setup %s N %s   # N in %v: prints ApplyThread's ns", childEnv, b.self, root, landlockRuleCounts),
		fmt.Sprintf("%s=landlock-open %s MODE %s %d %s %s   # MODE in %v: prints ns per open+close", childEnv, b.self, root, iters, shallow, deep, modes))
}

func (b *bench) llChild(mode string, args ...string) (string, error) {
	cmd := exec.Command(b.self, args...)
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		return "", fmt.Errorf("%s child %v: %v %s", mode, args, err, oneLine(msg))
	}
	return string(out), nil
}

// child runs a child mode and returns the exit code.
func child(mode string, args []string) int {
	var err error
	switch mode {
	case "landlock-setup":
		err = childSetup(args)
	case "landlock-open":
		err = childOpen(args)
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// rights returns the filesystem rights of the kernel's ABI: all of them,
// and those a read grant carries.
func rights(abi int) (all, read landlock.Set) {
	for _, rt := range landlock.Rights {
		if rt.Kind != landlock.FS || rt.ABI > abi {
			continue
		}
		all |= landlock.Set(rt.Bit)
		if rt.Group == landlock.GroupRead {
			read |= landlock.Set(rt.Bit)
		}
	}
	return all, read
}

func ruleDirs(root string, n int) []landlock.ResolvedPath {
	abi, _ := llsys.LandlockGetABIVersion()
	_, read := rights(abi)
	var ps []landlock.ResolvedPath
	for i := range n {
		ps = append(ps, landlock.ResolvedPath{Path: filepath.Join(root, fmt.Sprintf("p%04d", i)), Rights: read})
	}
	return ps
}

func childSetup(args []string) error {
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	abi, _ := llsys.LandlockGetABIVersion()
	all, _ := rights(abi)
	rs := &landlock.Resolved{MinABI: 1, HandledFS: all, Paths: ruleDirs(args[1], n)}
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	t0 := time.Now()
	if _, err := landlock.ApplyThread(rs); err != nil {
		return err
	}
	fmt.Println(time.Since(t0).Nanoseconds())
	return nil
}

func childOpen(args []string) error {
	mode, root := args[0], args[1]
	iters, err := strconv.Atoi(args[2])
	if err != nil {
		return err
	}
	paths := args[3:]
	abi, _ := llsys.LandlockGetABIVersion()
	all, read := rights(abi)
	if mode != "none" {
		rs := &landlock.Resolved{MinABI: 1, HandledFS: all, Paths: []landlock.ResolvedPath{
			{Path: "/", Rights: read}, {Path: filepath.Dir(root), Rights: all}, {Path: "/tmp", Rights: all},
		}}
		if mode == "workspace+1000" {
			rs.Paths = append(rs.Paths, ruleDirs(root, 1000)...)
		}
		if _, err := landlock.Apply(rs, landlock.ApplyOptions{}); err != nil {
			return err
		}
	}
	runtime.LockOSThread()
	out := map[string]float64{}
	for _, p := range paths {
		loop := func(n int) error {
			for range n {
				fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
				if err != nil {
					return fmt.Errorf("open %s: %v", p, err)
				}
				syscall.Close(fd)
			}
			return nil
		}
		if err := loop(1000); err != nil {
			return err
		}
		t0 := time.Now()
		if err := loop(iters); err != nil {
			return err
		}
		out[p] = float64(time.Since(t0).Nanoseconds()) / float64(iters)
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
