package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// common holds the flags every config-reading command shares.
type common struct {
	configs       listFlag
	profile       string
	configProfile string
	sandbox       string
	requirements  listFlag
	targets       string
	binds         listFlag
	format        string
	allErrors     bool
	systemLayers  bool
	// layers are the config layers the last load read.
	layers   []*ir.Layer
	verbose  bool
	winTools bool
	// noBind leaves --bind out, for commands that bind roots themselves.
	noBind bool
	// enforcing is set by the commands that enforce a policy (run,
	// proxy): they read the machine's requirements whatever
	// --system-layers says.
	enforcing bool
	// readFile reads the files named by configs and requirements, and
	// the machine's; nil means frontend.Reader. Set it with useReader.
	readFile func(string) ([]byte, error)
	// read keeps what each file read held (see read).
	readCache map[string]readResult
}

type readResult struct {
	data []byte
	err  error
}

// read reads a config, requirements or machine file once per command and
// keeps its bytes: a -c file may be a pipe (-c <(generate-config)), which
// a second read finds empty, and a build's manifest must hash the bytes
// that were compiled, not what a file holds a moment later.
func (c *common) read(name string) ([]byte, error) {
	if r, ok := c.readCache[name]; ok {
		return r.data, r.err
	}
	if c.readCache == nil {
		c.readCache = map[string]readResult{}
	}
	read := c.readFile
	if read == nil {
		read = frontend.Reader(os.Getenv)
	}
	data, err := read(name)
	c.readCache[name] = readResult{data, err}
	return data, err
}

// useReader makes read read through f from now on.
func (c *common) useReader(f func(string) ([]byte, error)) {
	c.readFile, c.readCache = f, nil
}

// registerBuild adds the permc-only build settings.
func (c *common) registerBuild(fs *flag.FlagSet) {
	fs.BoolVar(&c.winTools, "windows-tool-folders", false,
		"make per-user tool folders under %LOCALAPPDATA% (Programs, Microsoft\\WindowsApps) readable wherever :minimal is")
}

// register adds the common flags; systemDefault says whether the command
// reads the machine's layers unless told otherwise.
func (c *common) register(fs *flag.FlagSet, systemDefault bool) {
	fs.Var(&c.configs, "c", "config `FILE` (repeatable, lowest precedence first)")
	fs.Var(nonEmpty{&c.profile}, "profile", "the permission `PROFILE` to use")
	fs.Var(nonEmpty{&c.profile}, "P", "alias of --profile `PROFILE`")
	fs.Var(nonEmpty{&c.configProfile}, "config-profile", "Codex config `PROFILE` to select")
	fs.Var(nonEmpty{&c.sandbox}, "sandbox",
		"force the older sandbox settings: `MODE` is read-only, workspace-write or danger-full-access")
	fs.Var(&c.requirements, "requirements", "managed requirements `FILE` to add (repeatable)")
	c.targets = "all"
	fs.Var(targetsFlag{&c.targets}, "target", "`TARGETS`: macos,linux,windows or all")
	if !c.noBind {
		fs.Var(&c.binds, "bind", "bind a root: home=PATH, tmpdir=PATH, workspace=PATH (repeatable)")
	}
	c.format = "text"
	fs.Var(formatFlag{&c.format}, "format",
		"output `FORMAT`: text or json (sarif for check, markdown for diff)")
	fs.BoolVar(&c.allErrors, "all-errors", false, "print every diagnostic, not the first 10")
	fs.BoolVar(&c.systemLayers, "system-layers", systemDefault, "also read /etc/codex/config.toml, "+
		"$CODEX_HOME/config.toml and the machine's requirements (run and proxy always read the requirements)")
	fs.BoolVar(&c.verbose, "v", false, "verbose")
}

// errLine renders err for "permc CMD: ...", without repeating a package
// prefix that already names the command ("proxy: proxy: ...").
func errLine(cmd string, err error) string {
	msg := err.Error()
	for {
		rest, ok := strings.CutPrefix(msg, cmd+": ")
		if !ok {
			break
		}
		msg = rest
	}
	return "permc " + cmd + ": " + msg
}

// parseExit is the exit status after a flag error: 0 when -h asked for
// the help text, the usage status otherwise.
func parseExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// flagGiven reports whether the command line set the flag name.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

// dashed is a flag's name as a command line spells it: -C, --profile.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// notApplicable refuses flags a command would otherwise ignore: given,
// they say the user expects something the command does not do.
func notApplicable(fs *flag.FlagSet, cmd string, stderr io.Writer, names ...string) bool {
	for _, n := range names {
		if flagGiven(fs, n) {
			fmt.Fprintf(stderr, "permc %s: %s does not apply\n", cmd, dashed(n))
			return true
		}
	}
	return false
}

// textOrJSON refuses the formats only check and diff write; the
// diagnostics of the other commands are text, or JSON with --format json.
func (c *common) textOrJSON(cmd string, stderr io.Writer) bool {
	if c.format == "text" || c.format == "json" {
		return true
	}
	fmt.Fprintf(stderr, "permc %s: format %q is for check or diff: use text or json\n", cmd, c.format)
	return false
}

// targetsFlag is --target: a comma-separated list of targets, or "all",
// checked when given, by every command.
type targetsFlag struct{ p *string }

func (v targetsFlag) String() string { return nonEmpty(v).String() }

func (v targetsFlag) Set(s string) error {
	if err := (nonEmpty(v)).Set(s); err != nil {
		return err
	}
	_, err := (&common{targets: s}).parseTargets()
	return err
}

// formatFlag is --format: text or json for every command; check also
// writes sarif and diff markdown, and say so themselves. A value no
// command knows is refused when given, never ignored.
type formatFlag struct{ p *string }

func (v formatFlag) String() string { return nonEmpty(v).String() }

func (v formatFlag) Set(s string) error {
	switch s {
	case "text", "json", "sarif", "markdown":
		*v.p = s
		return nil
	}
	return fmt.Errorf("unknown format %q: use text or json (sarif for check, markdown for diff)", s)
}

// nonEmpty is a string flag that refuses an empty value: given on a
// command line, it is a script's unset variable, and taking it for "not
// given" would select another profile or target without a word.
type nonEmpty struct{ p *string }

func (v nonEmpty) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v nonEmpty) Set(s string) error {
	if s == "" {
		return errors.New("empty value (an unset variable?)")
	}
	*v.p = s
	return nil
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("permc "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseTargets reads --target.
func (c *common) parseTargets() ([]ir.Target, error) {
	if c.targets == "" || c.targets == "all" {
		return ir.Targets, nil
	}
	var out []ir.Target
	for _, t := range strings.Split(c.targets, ",") {
		switch ir.Target(t) {
		case ir.MacOS, ir.Linux, ir.Windows:
			out = append(out, ir.Target(t))
		default:
			return nil, fmt.Errorf("unknown target %q: use macos, linux, windows or all", t)
		}
	}
	return out, nil
}

// frontendOptions names the files the command reads, read through
// c.read (each once).
func (c *common) frontendOptions() frontend.Options {
	return frontend.Options{
		Files: c.configs, SystemLayers: c.systemLayers, Requirements: c.requirements,
		MachineRequirements: c.enforcing, ReadFile: c.read,
	}
}

// load reads the configs and runs the passes.
func (c *common) load() (*passes.Result, diag.List) {
	cfg, diags := frontend.Load(c.frontendOptions())
	if cfg == nil {
		return nil, diags
	}
	c.layers = cfg.Layers
	// Run the passes even after shape errors, so one run reports them all.
	res := passes.Run(cfg, passes.Options{
		Profile: c.profile, ConfigProfile: c.configProfile, Sandbox: c.sandbox,
	})
	pd := res.Diags
	if diags.HasErrors() {
		// A file with errors was dropped: "nothing selects a profile"
		// would only be a consequence of that.
		pd = nil
		for _, d := range res.Diags {
			if d.Code != diag.NoProfileSelected {
				pd = append(pd, d)
			}
		}
	}
	return res, append(diags, pd...)
}

// printDiags renders diagnostics as text or, with --format json, as one
// JSON object on one line (a command may print several batches, and its
// own messages stay text lines).
func (c *common) printDiags(w io.Writer, diags diag.List) {
	if c.format == "json" {
		if len(diags) > 0 {
			writeJSONDiagsIndent(w, diags, nil, "")
		}
		return
	}
	max := 10
	if c.allErrors {
		max = 0
	}
	diags.Render(w, max)
}
