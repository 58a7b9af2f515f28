//go:build linux

package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// wsConfig is a :workspace profile: the whole disk readable, the workspace,
// /tmp and $TMPDIR writable, .git, .agents and .codex read-only.
const wsConfig = `default_permissions = ":workspace"
`

// restrictedConfig restricts reads to :minimal (the system's programs and
// libraries) and the workspace: the spec's workspace-only example.
const restrictedConfig = `default_permissions = "workspace-only"

[permissions.workspace-only]
extends = ":workspace"

[permissions.workspace-only.filesystem]
":root" = "deny"
":minimal" = "read"
":tmpdir" = "deny"
":slash_tmp" = "deny"
`

// floorRow names raw bwrap running `permc version`: with one more start
// of permc (the parent), the least a two-stage launcher of this design can
// take, before doing any work of its own.
const floorRow = "raw `bwrap`, permc's arguments, running `permc version`"

type startProfile struct {
	name     string // for the page
	key      string // for file names
	config   string // path of the TOML
	srt      string // path of sandbox-runtime's settings for the same policy
	mounts   int    // from permc run -v
	bwrap    []string
	bwrapErr error
}

// start times sandbox start: `permc run -- true` for a :workspace and a
// restricted-read profile, against raw bwrap with permc's own arguments,
// against `true` directly, and against sandbox-runtime.
func (b *bench) start() {
	r := b.rep
	r.h2("2. Sandbox start: `permc run -- true`")
	ws, err := b.workspace("ws")
	if err != nil {
		b.fail("start", err)
		return
	}
	profiles := []*startProfile{
		{name: "`:workspace`", key: "ws", config: filepath.Join(b.dir, "ws.toml")},
		{name: "restricted-read", key: "restricted", config: filepath.Join(b.dir, "restricted.toml")},
	}
	b.writeFile(profiles[0].config, wsConfig, true)
	b.writeFile(profiles[1].config, restrictedConfig, true)
	srtOK, srtWhy := b.setupSRT(ws, profiles)

	// What permc hands bwrap, read from the descriptor it passes with
	// --args, so that raw bwrap gets the same mounts and namespaces.
	for _, p := range profiles {
		run := []string{b.permc, "run", "-c", p.config, "--", "true"}
		if p.mounts, err = b.mountCount(ws, p.config); err != nil {
			b.fail("start", err)
			return
		}
		p.bwrap, p.bwrapErr = b.bwrapArgs(run, ws)
	}
	art := filepath.Join(b.dir, "art-ws")
	if _, err := output(b.repo, b.env, b.permc, "build", "-o", art, "-c", profiles[0].config, "--target", "linux"); err != nil {
		b.fail("start", err)
		return
	}
	bpf := filepath.Join(art, "@workspace", "seccomp-"+seccompArch()+".bpf")

	trueP := &proc{name: "`true` directly", argv: []string{"/usr/bin/true"}, dir: ws, env: b.env}
	version := &proc{name: "`permc version` (one Go process start)", argv: []string{b.permc, "version"}, dir: ws, env: b.env}
	procs := []*proc{trueP, version}
	byProfile := map[string][]*proc{}
	for _, p := range profiles {
		var ps []*proc
		if p.bwrapErr == nil {
			ps = append(ps, &proc{name: "raw `bwrap`, permc's arguments", argv: p.bwrap, dir: ws, env: b.env})
			// The same sandbox starting the permc binary, as permc's own
			// inner stage does (by descriptor, so no extra mount): bwrap
			// plus one start of the binary, with no work of permc's.
			argv := append(append([]string(nil), p.bwrap[:len(p.bwrap)-2]...), "--", "/proc/self/fd/3", "version")
			ps = append(ps, &proc{name: floorRow, argv: argv, dir: ws, env: b.env,
				files: func() ([]*os.File, error) {
					f, err := os.Open(b.permc)
					return []*os.File{f}, err
				},
				show: "cd " + ws + " && " + shellJoin(argv) + " 3<" + b.permc})
			if p.key == "ws" {
				argv := append(append([]string(nil), p.bwrap[:len(p.bwrap)-2]...), "--seccomp", "3", "--", "/usr/bin/true")
				ps = append(ps, &proc{name: "raw `bwrap` + permc's seccomp filter", argv: argv, dir: ws, env: b.env,
					files: func() ([]*os.File, error) {
						f, err := os.Open(bpf)
						return []*os.File{f}, err
					},
					show: "cd " + ws + " && " + shellJoin(argv) + " 3<" + bpf})
			}
		}
		ps = append(ps, &proc{name: "**`permc run`**", argv: []string{b.permc, "run", "-c", p.config, "--", "true"}, dir: ws, env: b.env})
		if p.key == "ws" {
			ps = append(ps, &proc{name: "**`permc run --artifact`** (prebuilt)",
				argv: []string{b.permc, "run", "--artifact", filepath.Join(art, "@workspace"), "--", "true"}, dir: ws, env: b.env})
		}
		if srtOK {
			ps = append(ps, &proc{name: "sandbox-runtime `srt`", argv: b.srtArgv(p.srt, "true"), dir: ws, env: b.env})
		}
		byProfile[p.key] = ps
		procs = append(procs, ps...)
	}
	// Names must be unique across profiles for measure.
	for _, p := range profiles {
		for _, q := range byProfile[p.key] {
			q.name = p.key + ": " + q.name
		}
	}
	reps := b.reps(40)
	samples, errs := measure(procs, 3, reps)

	r.para(fmt.Sprintf("Whole-process time of `permc run -- true` in a workspace under /tmp holding `.git`, `.agents` "+
		"and `.codex` (%d interleaved rounds after 3 warm-up rounds). permc is a two-stage launcher: the "+
		"parent compiles the profile, resolves the mount plan and runs bwrap, and bwrap runs permc again "+
		"inside (the inner stage: capabilities, no_new_privs, Landlock, seccomp) before it execs the command. "+
		"`permc version` shows what one start of the permc binary costs; the inner stage pays it once more. "+
		"Raw `bwrap` gets exactly the arguments permc passes it (read back with strace from the --args "+
		"descriptor), with each `--ro-bind-fd`/`--bind-fd` turned into a bind of the same path and "+
		"`--info-fd` dropped, and runs /usr/bin/true directly: no inner stage, no Landlock, and no seccomp "+
		"unless the row says so. `--artifact` loads a folder of `permc build` instead of compiling. "+
		"The restricted-read profile is the spec's workspace-only example: `:root` denied, `:minimal` readable, "+
		"the workspace writable, `:tmpdir` and `:slash_tmp` denied. "+
		rootNote(), reps))
	tm := summarize(samples[trueP.name])
	var lines []string
	lines = append(lines, trueP.command(), version.command())
	for _, p := range profiles {
		r.h3(fmt.Sprintf("%s profile, %d mounts", p.name, p.mounts))
		if p.bwrapErr != nil {
			r.para("Raw bwrap could not be derived: " + oneLine(p.bwrapErr.Error()))
		}
		var bw Summary
		var rows [][]string
		base := []*proc{trueP, version}
		if p.key != "ws" {
			base = nil
		}
		for _, q := range append(base, byProfile[p.key]...) {
			name := strings.TrimPrefix(q.name, p.key+": ")
			if err := errs[q.name]; err != nil {
				rows = append(rows, []string{name, "failed", "", "", "", "", oneLine(err.Error())})
				if strings.Contains(q.name, "permc run") {
					b.failed = append(b.failed, "start: "+q.name)
				}
				continue
			}
			s := summarize(samples[q.name])
			if name == "raw `bwrap`, permc's arguments" {
				bw = s
			}
			vsBw := "—"
			if bw.N > 0 {
				vsBw = ratio(s.Median, bw.Median)
			}
			rows = append(rows, row(name, s, unitTime, ratio(s.Median, tm.Median), vsBw))
			if q != trueP && q != version {
				lines = append(lines, q.command())
			}
		}
		r.table([]string{"variant", "median", "IQR", "best", "n", "× `true`", "× raw bwrap"}, rows)
		b.startHeadline(p, samples, errs, bw)
	}
	if !srtOK {
		r.peerMissing("@anthropic-ai/sandbox-runtime", srtWhy)
	} else {
		r.para("sandbox-runtime runs with settings of the same intent (written under Generated inputs): " +
			"for `:workspace`, reads everywhere and writes to the workspace and /tmp; for restricted read, " +
			"`denyRead: [\"/\"]` with the system directories, its own package and the workspace re-allowed. " +
			"It is a Node.js program that starts its proxies and two socat bridges on every run, " +
			"then wraps the command in bwrap with a seccomp helper.")
	}
	r.cmds("2. Sandbox start", lines...)
}

// rootNote says why mount counts are higher as root.
func rootNote() string {
	if os.Geteuid() != 0 {
		return "permc ran as an unprivileged user here, so it added no root masks."
	}
	return "This run is as root, so permc also masks the root-only entries of /etc, /var/lib, /var/log and the " +
		"like (see the README), which adds mounts to both profiles; raw bwrap gets the same masks."
}

func (b *bench) startHeadline(p *startProfile, samples map[string][]float64, errs map[string]error, bw Summary) {
	r := b.rep
	pm := samples[p.key+": **`permc run`**"]
	if len(pm) == 0 {
		return
	}
	s := summarize(pm)
	msg := fmt.Sprintf("Start, %s profile, %d mounts: `permc run -- true` p50 %s (IQR %s)", p.name, p.mounts, fmtTime(s.Median), s.spread(unitTime))
	if bw.N > 0 {
		msg += fmt.Sprintf("; raw bwrap with the same arguments %s, so permc adds %s (%s)",
			fmtTime(bw.Median), fmtTime(s.Median-bw.Median), ratio(s.Median, bw.Median))
		if s.Median > bw.Median {
			r.behindPeer("Start, %s profile: `permc run -- true` takes %s against %s for raw bwrap with the same mounts (%s): "+
				"the parent's compile and mount resolution, and the inner stage (a second start of the permc binary, "+
				"Landlock, seccomp), which raw bwrap does not do.", p.name, fmtTime(s.Median), fmtTime(bw.Median), ratio(s.Median, bw.Median))
		}
	}
	if sr := samples[p.key+": sandbox-runtime `srt`"]; len(sr) > 0 {
		ss := summarize(sr)
		if ss.Median >= s.Median {
			msg += fmt.Sprintf("; sandbox-runtime %s (IQR %s): permc starts %s faster", fmtTime(ss.Median), ss.spread(unitTime), ratio(ss.Median, s.Median))
		} else {
			msg += fmt.Sprintf("; sandbox-runtime %s (IQR %s), %s faster than permc", fmtTime(ss.Median), ss.spread(unitTime), ratio(s.Median, ss.Median))
			r.behindPeer("Start, %s profile: sandbox-runtime %s against permc %s.", p.name, fmtTime(ss.Median), fmtTime(s.Median))
		}
	}
	fl, ver := samples[p.key+": "+floorRow], samples["`permc version` (one Go process start)"]
	floorNote := ""
	if len(fl) > 0 && len(ver) > 0 {
		floor := summarize(fl).Median + summarize(ver).Median
		floorNote = "; the design's floor here: " + fmtTime(floor)
		msg += fmt.Sprintf("; the floor of a two-stage launcher (raw bwrap running the permc binary, %s, plus one more "+
			"start of it, %s) is %s, so permc's own work costs %s",
			fmtTime(summarize(fl).Median), fmtTime(summarize(ver).Median), fmtTime(floor), fmtTime(s.Median-floor))
	}
	r.headline("%s.", msg)
	goal := fmt.Sprintf("`permc run -- true` p50 under 10 ms, ≤ 20 mounts (%s profile, %d mounts)", p.name, p.mounts)
	if p.mounts <= 20 {
		r.target("6", goal, fmtTime(s.Median)+" (IQR "+s.spread(unitTime)+")"+floorNote, s.Median < 0.010)
	} else {
		r.targetVerdict("6", goal, fmtTime(s.Median)+"; over 20 mounts, so the target does not apply", "n/a")
	}
}

// workspace makes a workspace directory under b.tmp that looks like a
// repository: .git, .agents and .codex exist, so permc binds them
// read-only and raw bwrap can bind the same paths.
func (b *bench) workspace(name string) (string, error) {
	ws := filepath.Join(b.tmp, name)
	for _, d := range []string{".git", ".agents", ".codex"} {
		if err := os.MkdirAll(filepath.Join(ws, d), 0o755); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(ws, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(ws)
}

var mountsRE = regexp.MustCompile(`mount plan: (\d+) mounts`)

func (b *bench) mountCount(dir, config string) (int, error) {
	out, err := output(dir, b.env, b.permc, "run", "-v", "-c", config, "--", "true")
	if err != nil {
		return 0, err
	}
	m := mountsRE.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("permc run -v printed no mount count: %s", oneLine(out))
	}
	return strconv.Atoi(m[1])
}

var writeRE = regexp.MustCompile(`write\(\d+, "((?:\\x[0-9a-f]{2})+)"`)

// bwrapArgs runs permc under strace once and returns bwrap's argument
// list as permc wrote it to the --args descriptor, made runnable without
// permc's descriptors: --bind-fd N DEST becomes --bind DEST DEST (the same
// mount work; permc binds the descriptor of that path, or of its empty
// mask file), --info-fd is dropped, and /usr/bin/true is the command.
func (b *bench) bwrapArgs(run []string, dir string) ([]string, error) {
	if _, err := exec.LookPath("strace"); err != nil {
		return nil, errors.New("strace is not installed (apt-get install strace)")
	}
	trace := filepath.Join(b.tmp, "strace.out")
	defer os.Remove(trace)
	argv := append([]string{"strace", "-f", "-qq", "-xx", "-s", "65536", "-e", "trace=write", "-o", trace}, run...)
	if _, err := output(dir, b.env, argv...); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		return nil, err
	}
	for _, m := range writeRE.FindAllStringSubmatch(string(data), -1) {
		raw, err := hex.DecodeString(strings.ReplaceAll(m[1], `\x`, ""))
		if err != nil || !strings.HasPrefix(string(raw), "--unshare-user\x00") {
			continue
		}
		args := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
		return rawBwrap(args)
	}
	return nil, errors.New("no bwrap argument list in the strace output")
}

func rawBwrap(args []string) ([]string, error) {
	out := []string{"/usr/bin/bwrap"}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "--info-fd":
			i++
		case "--bind-fd", "--ro-bind-fd":
			if i+2 >= len(args) {
				return nil, fmt.Errorf("truncated %s", a)
			}
			dest := args[i+2]
			if _, err := os.Lstat(dest); err != nil {
				return nil, fmt.Errorf("%s %s: the path does not exist outside the sandbox", a, dest)
			}
			out = append(out, strings.TrimSuffix(a, "-fd"), dest, dest)
			i += 2
		default:
			out = append(out, a)
		}
	}
	return append(out, "--", "/usr/bin/true"), nil
}

func seccompArch() string {
	if runtime.GOARCH == "arm64" {
		return "aarch64"
	}
	return "x86_64"
}

// srtCLI is sandbox-runtime's entry point, installed by scripts/bench.sh.
func (b *bench) srtCLI() string {
	return filepath.Join(b.dir, "node", "node_modules", "@anthropic-ai", "sandbox-runtime", "dist", "cli.js")
}

func srtVersion(b *bench) string {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(b.srtCLI())), "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct{ Version string }
	json.Unmarshal(data, &pkg)
	return pkg.Version
}

func (b *bench) srtArgv(settings string, cmd ...string) []string {
	node, err := exec.LookPath("node")
	if err != nil {
		node = "node"
	}
	return append([]string{node, b.srtCLI(), "-s", settings}, cmd...)
}

// setupSRT writes sandbox-runtime settings for each profile and checks
// that srt runs at all.
func (b *bench) setupSRT(ws string, ps []*startProfile) (bool, string) {
	ps[0].srt = filepath.Join(b.dir, "srt-ws.json")
	ps[1].srt = filepath.Join(b.dir, "srt-restricted.json")
	b.writeFile(ps[0].srt, `{
  "filesystem": {"denyRead": [], "allowWrite": [".", "/tmp"], "denyWrite": []},
  "network": {"allowedDomains": [], "deniedDomains": []}
}
`, true)
	b.writeFile(ps[1].srt, fmt.Sprintf(`{
  "filesystem": {
    "denyRead": ["/"],
    "allowRead": ["/usr", "/etc", "/bin", "/lib", "/lib64", "/sbin", %q, %q],
    "allowWrite": ["."],
    "denyWrite": []
  },
  "network": {"allowedDomains": [], "deniedDomains": []}
}
`, filepath.Join(b.dir, "node"), ws), true)
	if _, err := os.Stat(b.srtCLI()); err != nil {
		return false, "not installed (scripts/bench.sh installs it with npm): " + err.Error()
	}
	if _, err := exec.LookPath("node"); err != nil {
		return false, "node is not installed"
	}
	for _, p := range ps {
		if _, err := output(ws, b.env, b.srtArgv(p.srt, "true")...); err != nil {
			return false, "it did not run here: " + err.Error()
		}
	}
	return true, ""
}
