package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/safefile"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/verify"
)

const verifyHelp = `usage: permc verify DIR [--against CONFIG]... [flags]

Checks a folder written by permc build (DIR holds one folder per profile)
or one profile folder of it:

  hashes     every artifact has the SHA-256 manifest.json lists, and
             nothing else is in the folder
  against    with --against: the folder is byte for byte what those
             config files compile to (read like permc build: only the files
             given, plus --requirements and --system-layers), for the
             targets and bindings the manifests record
  macos, linux, seccomp ARCH, windows MODE
             each artifact decides as the policy in policy.json does
             (ir.Decide) at every rule boundary: macos.sb through permc's
             SBPL evaluator, linux.json's mount plan and Landlock ruleset
             over a synthetic tree (Landlock never denying what the policy
             allows), each seccomp program in a BPF interpreter over every
             syscall number, windows.json applied to a model of a stock
             Windows install; roots are bound to a synthetic machine

Hashes alone only prove that a folder agrees with itself: anyone who can
change an artifact can change manifest.json too. What proves more is
--against (the folder is what the reviewed config compiles to) and the
decision checks (each artifact enforces what its policy.json says). Pin the
reviewed manifest.json itself with permc run --expect-sha256.

manifest.json records the config paths as they were given to permc
build, and the artifacts quote them. --against may name the same files
another way (from another folder, or absolute): a file whose content is
what the manifest records for the config in its place is compiled under
the recorded name. The build's other settings (targets,
--bind, --requirements, --sandbox, --config-profile, --windows-tool-folders)
are taken from manifest.json unless given here.

Exit status: 0 every check passed, 1 some check failed, 2 usage.

flags:
`

func runVerify(args []string, stdout, stderr io.Writer) int {
	var c common
	var against listFlag
	fs := newFlagSet("verify", stderr)
	c.register(fs, false)
	c.registerBuild(fs)
	fs.Var(&against, "against", "config `FILE` the folder must be compiled from (repeatable, lowest precedence first)")
	fs.Usage = func() {
		fmt.Fprint(stderr, verifyHelp)
		verifyFlags(fs, stderr).PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: permc verify DIR [--against CONFIG]... [flags]   (permc verify -h for more)")
		return exitUsage
	}
	if len(c.configs) > 0 || len(c.binds) > 0 {
		fmt.Fprintln(stderr, "permc verify: -c and --bind do not apply: give the configs with --against; the bindings are the ones the manifests record")
		return exitUsage
	}
	if !c.textOrJSON("verify", stderr) {
		return exitUsage
	}
	o := verify.Options{}
	if fs.Lookup("target").Value.String() != "all" {
		if o.Targets, err = c.parseTargets(); err != nil {
			fmt.Fprintf(stderr, "permc verify: %v\n", err)
			return exitUsage
		}
	}
	if len(against) == 0 {
		// Without --against nothing is compiled: the flags that say how
		// would be ignored.
		for _, name := range []string{"profile", "P", "config-profile", "sandbox", "requirements",
			"windows-tool-folders", "system-layers"} {
			if flagGiven(fs, name) {
				fmt.Fprintf(stderr, "permc verify: %s applies only with --against\n", dashed(name))
				return exitUsage
			}
		}
	}
	if len(against) > 0 {
		// Each --against file is read once, here: it may be a pipe.
		given := map[string][]byte{}
		for _, f := range against {
			if _, ok := given[f]; ok {
				continue
			}
			data, err := frontend.Reader(os.Getenv)(f)
			if err != nil {
				fmt.Fprintf(stderr, "permc verify: %v\n", err)
				return exitUsage
			}
			given[f] = data
		}
		o.Against = func(m driver.Manifest) *driver.Build {
			// The build's own settings, unless given here.
			var binds passes.Bindings
			if m.Bound != nil {
				binds = *m.Bound
			}
			c.winTools = c.winTools || m.WindowsToolFolders
			if c.sandbox == "" {
				c.sandbox = m.Sandbox
			}
			if c.configProfile == "" {
				c.configProfile = m.ConfigProfile
			}
			// Requirements a manifest names are read only if they are
			// regular files: the manifest may have been edited.
			recordedReqs := map[string]bool{}
			if len(c.requirements) == 0 {
				for _, r := range m.Requirements {
					c.requirements = append(c.requirements, r.Path)
					recordedReqs[r.Path] = true
				}
			}
			var read func(string) ([]byte, error)
			c.configs, read = asRecorded(against, m.Inputs, given, recordedReqs)
			c.useReader(read)
			build, _ := c.compile(m.Targets, binds)
			if c.verbose {
				c.printDiags(stderr, build.Diags)
			}
			return build
		}
	}
	r, err := verify.Dir(pos[0], o)
	if err != nil {
		fmt.Fprintf(stderr, "permc verify: %v\n", err)
		return exitUsage
	}
	if c.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		enc.Encode(r)
	} else {
		verify.WriteText(stdout, r)
	}
	if !r.OK {
		return exitNo
	}
	return exitOK
}

// asRecorded lets --against name the build's configs in another spelling
// (./cfg.toml, an absolute path, from another folder): when each given
// file has the content the manifest records for the config in its place,
// the configs are compiled under their recorded names, which the
// artifacts quote, reading the given files. Otherwise the given names
// stand, and the comparison shows what differs.
func asRecorded(given []string, recorded []driver.FileHash, data map[string][]byte,
	recordedReqs map[string]bool) ([]string, func(string) ([]byte, error)) {
	machine := frontend.Reader(os.Getenv)
	read := func(name string) ([]byte, error) {
		if d, ok := data[name]; ok {
			return d, nil
		}
		if recordedReqs[name] {
			return safefile.ReadRegular(name, frontend.MaxFile, false)
		}
		return machine(name)
	}
	if len(given) != len(recorded) {
		return given, read
	}
	from := map[string]string{}
	for i, g := range given {
		if driver.Hash(data[g]) != recorded[i].SHA256 {
			return given, read
		}
		if prev, ok := from[recorded[i].Path]; ok && prev != g {
			return given, read
		}
		from[recorded[i].Path] = g
	}
	names := make([]string, len(recorded))
	for i, r := range recorded {
		names[i] = r.Path
	}
	return names, func(name string) ([]byte, error) {
		if g, ok := from[name]; ok {
			return data[g], nil
		}
		return read(name)
	}
}

// verifyFlags is fs as the help shows it: without the flags verify
// refuses, and with what --target means here.
func verifyFlags(fs *flag.FlagSet, w io.Writer) *flag.FlagSet {
	help := flag.NewFlagSet("permc verify", flag.ContinueOnError)
	help.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Name {
		case "c", "bind":
			return
		case "format":
			help.Var(f.Value, f.Name, "text or json")
			return
		case "target":
			help.Var(f.Value, f.Name, "run the decision checks of these targets only: macos,linux,windows or all")
			return
		}
		help.Var(f.Value, f.Name, f.Usage)
	})
	return help
}
