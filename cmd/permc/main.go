// Command permc compiles permission profiles into native sandbox artifacts
// and runs commands inside them. See the README for the command table.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/permc/permc/runtime/linux"
)

// Exit codes shared by every command but run.
const (
	exitOK    = 0
	exitNo    = 1 // the answer is no: errors, stale golden files, widened access
	exitUsage = 2
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands []command

// platformInner runs the second stage of an OS's launcher, when args ask
// for it.
var platformInner func(args []string) (int, bool)

func init() {
	commands = []command{
		{"check", "report diagnostics for the configs, per target", runCheck},
		{"build", "write artifacts per profile (-o DIR), or compare them (--check)", runBuild},
		{"explain", "why a path or host is allowed or denied: permc explain PATH [--write] | --host HOST[:PORT]", runExplain},
		{"diff", "semantic difference of two configs or build folders: permc diff OLD NEW", runDiff},
		{"verify", "check a build folder: hashes, --against CONFIG, each artifact's decisions", runVerify},

		{"run", "run a command in the sandbox: permc run [flags] -- CMD [ARGS...]", runRun},
		{"proxy", "serve the profile's domain-filtering proxy on its proxy_url and socks_url", runProxy},
		{"migrate", "print older sandbox settings as permission-profile TOML", runMigrate},
		{"version", "print permc's version and artifact format version", runVersion},
	}
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == linux.InnerArg {
		return linux.Inner()
	}
	if len(args) == 1 && args[0] == linux.RelayArg {
		return linux.Relay()
	}
	if platformInner != nil {
		if code, ok := platformInner(args); ok {
			return code
		}
	}
	if len(args) == 2 && args[0] == "help" {
		// permc help COMMAND is COMMAND -h.
		args = []string{args[1], "-h"}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "permc: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: permc COMMAND [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nrun 'permc COMMAND -h' for a command's flags")
}
