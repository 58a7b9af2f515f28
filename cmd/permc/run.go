package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/runtime/run"
)

func runRun(args []string, stdout, stderr io.Writer) int {
	c := common{enforcing: true}
	fs := newFlagSet("run", stderr)
	c.register(fs, true)
	dir := fs.String("C", "", "workspace `DIR` (default: the current directory)")
	var roots listFlag
	fs.Var(&roots, "workspace-root", "another workspace root `DIR` (repeatable)")
	noBwrap := fs.Bool("no-bwrap", false, "use the Landlock-only mode, as on a machine without bubblewrap")
	artifact := fs.String("artifact", "", "run a prebuilt profile `DIR` (one folder of permc build) instead of compiling")
	expect := fs.String("expect-sha256", "", "refuse unless the artifact's manifest.json has this SHA-256")
	if err := fs.Parse(args); err != nil {
		if parseExit(err) == exitOK {
			return exitOK
		}
		return run.ExitSetup
	}
	if !c.textOrJSON("run", stderr) {
		return run.ExitSetup
	}
	if flagGiven(fs, "target") {
		// run enforces on this machine: another target is not what runs.
		ts, _ := c.parseTargets()
		if host, ok := hostTarget(); !ok || c.targets != "all" && (len(ts) != 1 || ts[0] != host) {
			fmt.Fprintf(stderr, "permc run: --target %s: run enforces the profile on this machine (%s)\n",
				c.targets, goruntime.GOOS)
			return run.ExitSetup
		}
	}
	argv := fs.Args()
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "usage: permc run [flags] -- CMD [ARGS...]")
		return run.ExitSetup
	}
	// A flag given an empty value is a script's unset variable, never a
	// choice: an empty pin would pin nothing, an empty root would be the
	// current directory.
	if msg := emptyFlag(fs, "expect-sha256", "C", "artifact", "workspace-root"); msg != "" {
		fmt.Fprintf(stderr, "permc run: %s; nothing ran\n", msg)
		return run.ExitSetup
	}
	// Flags that would go unheeded are refused: the command must not run
	// under something other than what was asked for.
	if *expect != "" && *artifact == "" {
		fmt.Fprintln(stderr, "permc run: --expect-sha256 pins an --artifact folder's manifest; "+
			"give --artifact too; nothing ran")
		return run.ExitSetup
	}
	if *artifact != "" && c.sandbox != "" {
		fmt.Fprintln(stderr, "permc run: --sandbox selects the older settings, and --artifact the folder's profile: "+
			"give one of them; nothing ran")
		return run.ExitSetup
	}
	o, code := c.runOptions(*dir, roots, *artifact, *expect, stderr)
	if o == nil {
		return code
	}
	o.Argv, o.NoBwrap = argv, *noBwrap
	code, err := run.Run(o)
	if err != nil {
		return run.Report(stderr, err)
	}
	return code
}

// emptyFlag names the first of the given flags that the command line set
// to an empty value, or returns "".
func emptyFlag(set *flag.FlagSet, names ...string) string {
	msg := ""
	set.Visit(func(f *flag.Flag) {
		if msg != "" || !slices.Contains(names, f.Name) {
			return
		}
		if l, ok := f.Value.(*listFlag); ok && slices.Contains(*l, "") || f.Value.String() == "" {
			msg = fmt.Sprintf("%s was given an empty value (an unset variable?)", dashed(f.Name))
		}
	})
	return msg
}

// runOptions compiles the profile and gathers the machine's roots.
func (c *common) runOptions(dir string, roots []string, artifact, expect string, stderr io.Writer) (*run.Options, int) {
	var pol *ir.Policy
	// Everything permc reads to decide the next run must stay out of the
	// sandbox's reach: the -c files, every layer Codex reads (whether or not
	// it exists yet, since creating one changes the next run) and the
	// requirements files.
	protected := append(append([]string(nil), c.configs...), c.requirements...)
	protected = append(protected, frontend.SystemRequirements)
	if c.systemLayers {
		protected = append(protected, frontend.MachineFiles(os.Getenv)...)
	}
	if artifact != "" {
		p, err := c.loadArtifact(artifact, expect)
		if err != nil {
			fmt.Fprintf(stderr, "permc run: %v; nothing ran\n", err)
			return nil, run.ExitSetup
		}
		pol = p
		// The folder and each file in it (LoadFolder admitted only the
		// ones its manifest lists): a file could be a link into a
		// writable root, or writable by every user.
		protected = append(protected, artifact)
		if ents, err := os.ReadDir(artifact); err == nil {
			for _, e := range ents {
				protected = append(protected, filepath.Join(artifact, e.Name()))
			}
		}
	} else {
		res, diags := c.load()
		if res == nil || diags.HasErrors() || res.SelectedPolicy() == nil {
			c.printDiags(stderr, diags)
			fmt.Fprintln(stderr, "permc run: configuration errors; nothing ran")
			return nil, run.ExitSetup
		}
		if c.verbose {
			c.printDiags(stderr, diags)
		} else {
			// Warnings that change which policy is in effect are always
			// shown: the command is not getting the profile asked for.
			// So is the full-network warning of the profile that runs:
			// its domain rules, if any were meant, filter nothing.
			full := fullNetworkPos(res.SelectedPolicy())
			var sel diag.List
			for _, d := range diags {
				if d.Code == diag.LegacyMode || d.Code == diag.NoProfileSelected ||
					d.Code == diag.FullNetwork && full[d.Pos] {
					sel = append(sel, d)
				}
			}
			c.printDiags(stderr, sel)
		}
		pol = res.SelectedPolicy()
	}
	// What this OS's sandbox cannot enforce is refused here, at the rule's
	// line, before anything is set up; what it turns away (SOCKS5 UDP
	// under run) is said.
	if t, ok := hostTarget(); ok && !pol.Unrestricted {
		ed := passes.Enforceability(pol, t)
		// Without -v, only what is turned away; the standing notes (deny
		// globs are snapshots) are check's, or -v's. So is SOCKS5 UDP
		// left at its default: a profile that never asked for it would
		// warn on every run.
		_, udpSet := pol.Net.Origins["enable_socks5_udp"]
		var warns diag.List
		for _, d := range ed {
			if d.Severity != diag.Error && (c.verbose || d.Code == diag.Unenforceable &&
				(udpSet || !strings.Contains(d.Message, passes.SOCKS5UDPFeature))) {
				warns = append(warns, d)
			}
		}
		c.printDiags(stderr, warns)
		if errs := ed.Errors(); len(errs) > 0 {
			c.printDiags(stderr, errs)
			fmt.Fprintf(stderr, "permc run: profile %q cannot be enforced on %s; nothing ran\n", pol.Name, t)
			return nil, run.ExitSetup
		}
	}
	wd, err := workspace(dir)
	if err != nil {
		fmt.Fprintf(stderr, "permc run: %v\n", err)
		return nil, run.ExitSetup
	}
	var abs []string
	for _, r := range roots {
		a, err := filepath.Abs(r)
		if err == nil {
			_, err = os.Stat(a)
		}
		if err != nil {
			fmt.Fprintf(stderr, "permc run: --workspace-root %s: %v\n", r, unwrapPathErr(err))
			return nil, run.ExitSetup
		}
		abs = append(abs, a)
	}
	home, _ := os.UserHomeDir()
	if home != "" && !filepath.IsAbs(home) {
		fmt.Fprintf(stderr, "permc run: HOME=%q is not an absolute path; nothing ran\n", home)
		return nil, run.ExitSetup
	}
	tmpdir := os.Getenv("TMPDIR")
	if !filepath.IsAbs(tmpdir) {
		tmpdir = ""
	}
	var binds passes.Bindings
	for _, v := range c.binds {
		if err := binds.ParseBind(v); err != nil {
			fmt.Fprintf(stderr, "permc run: %v\n", err)
			return nil, run.ExitSetup
		}
	}
	// An explicit --bind wins over the environment.
	if binds.Home != "" {
		home = binds.Home
	}
	if binds.Tmpdir != "" {
		tmpdir = binds.Tmpdir
	}
	for _, w := range binds.Workspaces {
		if _, err := os.Stat(w); err != nil {
			fmt.Fprintf(stderr, "permc run: --bind workspace=%s: %v\n", w, unwrapPathErr(err))
			return nil, run.ExitSetup
		}
	}
	if len(binds.Workspaces) > 0 {
		wd, abs = binds.Workspaces[0], append(binds.Workspaces[1:], abs...)
	}
	d := os.Getenv("PERMC_STATE_DIR")
	if d != "" && (!filepath.IsAbs(d) || slices.Contains(strings.Split(d, "/"), "..")) {
		fmt.Fprintf(stderr, "permc run: PERMC_STATE_DIR=%q is not an absolute path without \"..\"; "+
			"nothing ran\n", d)
		return nil, run.ExitSetup
	}
	return &run.Options{
		Policy: pol, Dir: wd, Roots: abs, Env: os.Environ(), Home: home, Tmpdir: tmpdir,
		Protected: protected, StateDir: stateDir(home),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Verbose: c.verbose,
	}, 0
}

// hostTarget is the target whose sandbox permc run starts here.
func hostTarget() (ir.Target, bool) {
	switch goruntime.GOOS {
	case "linux":
		return ir.Linux, true
	case "darwin":
		return ir.MacOS, true
	case "windows":
		return ir.Windows, true
	}
	return "", false
}

// loadArtifact loads a prebuilt profile folder and holds it to the
// machine's managed requirements: the profile must be allowed, and where
// this machine defines the profile, the artifact's policy must be what it
// compiles to here.
func (c *common) loadArtifact(dir, expect string) (*ir.Policy, error) {
	f, err := driver.LoadFolder(dir)
	if err != nil {
		// The folder given to build -o holds one folder per profile.
		if _, serr := os.Stat(filepath.Join(dir, "manifest.json")); errors.Is(serr, os.ErrNotExist) {
			if subs, _ := filepath.Glob(filepath.Join(dir, "*", "manifest.json")); len(subs) > 0 {
				var names []string
				for _, m := range subs {
					names = append(names, filepath.Dir(m))
				}
				return nil, fmt.Errorf("%s is the folder permc build wrote, with one folder per profile: "+
					"pass one of them to --artifact (%s)", dir, strings.Join(names, ", "))
			}
		}
		return nil, err
	}
	if expect != "" && !strings.EqualFold(expect, f.ManifestSHA256) {
		return nil, fmt.Errorf("artifact %s: manifest.json has SHA-256 %s, expected %s", dir, f.ManifestSHA256, expect)
	}
	if goruntime.GOOS == "linux" {
		if err := f.CheckLinux(); err != nil {
			return nil, err
		}
	}
	if c.profile != "" && c.profile != f.Policy.Name {
		return nil, fmt.Errorf("artifact %s holds profile %q, not %q", dir, f.Policy.Name, c.profile)
	}
	if err := c.holdToMachine(f.Policy); err != nil {
		return nil, fmt.Errorf("artifact %s: %v", dir, err)
	}
	return f.Policy, nil
}

// holdToMachine compiles the machine's layers with the artifact's profile
// selected, as a run without --artifact would, and refuses the artifact
// unless that succeeds and gives the same policy. Built-ins and the older
// settings count as defined everywhere: an artifact named ":workspace"
// must be what :workspace is here. A profile the machine does not define
// is accepted only when no managed allowlist applies; with one, what the
// machine cannot compile, it cannot check.
func (c *common) holdToMachine(art *ir.Policy) error {
	m := *c
	m.profile, m.sandbox = art.Name, ""
	if mode, ok := strings.CutPrefix(art.Name, passes.LegacyName("")); ok {
		m.profile, m.sandbox = "", mode
	}
	res, diags := m.load()
	undefined := res != nil && res.Undefined != nil
	var errs diag.List
	for _, d := range diags.Errors() {
		// The selection's own error: the machine has no profile of that name.
		if u := res.Undefined; undefined && d.Pos == u.Pos && d.Code == u.Code && d.Message == u.Message {
			continue
		}
		errs = append(errs, d)
	}
	if res == nil || len(errs) > 0 {
		return fmt.Errorf("the machine's configuration, with profile %q selected, has errors:\n%s",
			art.Name, renderDiags(errs))
	}
	here := res.Policy(art.Name)
	if res.Selected != art.Name {
		here = nil // the older settings do not apply here (a managed allowlist overrides them)
	}
	if here == nil {
		req := res.Requirements
		if req != nil && (req.AllowedPermissionProfiles != nil || req.AllowedSandboxModes != nil) {
			return fmt.Errorf("profile %q is not defined on this machine, whose managed requirements allow "+
				"only what it can compile and compare", art.Name)
		}
		if !undefined {
			return fmt.Errorf("profile %q is not what this machine selects for that name (%s: %s)",
				art.Name, res.Source, res.Selected)
		}
		// A profile only the artifact defines: it is what was built and
		// reviewed. No such profile is unrestricted (none may extend
		// :danger-full-access), whatever its policy.json says.
		if art.Unrestricted {
			return fmt.Errorf("profile %q says it is unrestricted; only %s is", art.Name, passes.DangerFullAccess)
		}
		return nil
	}
	if !passes.SamePolicy(here, art) {
		return fmt.Errorf("profile %q differs from what it compiles to on this machine; "+
			"rebuild it or fix the machine's layers", art.Name)
	}
	return nil
}

func renderDiags(d diag.List) string {
	var b strings.Builder
	d.Render(&b, 10)
	return b.String()
}

func workspace(dir string) (string, error) {
	if dir == "" {
		return os.Getwd()
	}
	a, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(a)
	if err != nil {
		return "", fmt.Errorf("workspace -C %s: %v", dir, unwrapPathErr(err))
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("workspace -C %s: not a directory", dir)
	}
	return filepath.EvalSymlinks(a)
}

// stateDir is permc's private state: $PERMC_STATE_DIR, else
// $XDG_STATE_HOME/permc, else ~/.local/state/permc.
func stateDir(home string) string {
	if d := os.Getenv("PERMC_STATE_DIR"); filepath.IsAbs(d) {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "permc")
	}
	return filepath.Join(home, ".local", "state", "permc")
}

// fullNetworkPos is where the selected policy's network was enabled
// without a domains table, for its full-network warning; empty otherwise.
func fullNetworkPos(p *ir.Policy) map[diag.Pos]bool {
	out := map[diag.Pos]bool{}
	if p == nil || p.Unrestricted || p.Net.Mode() != ir.NetFull {
		return out
	}
	for _, k := range []string{"enabled", "network.enabled"} {
		if o, ok := p.Net.Origins[k]; ok {
			out[o.Pos] = true
		}
	}
	out[p.Origin.Pos] = true // enabled by default or inherited: the profile's own line
	return out
}

// unwrapPathErr drops the operation and path a *fs.PathError repeats
// ("stat /x/y: no such file or directory"): the message names the path.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
