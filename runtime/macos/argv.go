package macos

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/permc/permc/backend/seatbelt"
)

// SandboxExec is run by absolute path, never looked up in $PATH.
const SandboxExec = "/usr/bin/sandbox-exec"

// Argv builds the command line that runs cmd under the profile in
// policyFile: sandbox-exec -f FILE -D NAME=VALUE ... -- CMD...
// The policy goes by file, never on the command line; parameters are
// sorted by name so the same binding gives the same argv.
func Argv(policyFile string, params map[string]string, cmd []string) ([]string, error) {
	if !path.IsAbs(policyFile) {
		return nil, fmt.Errorf("policy file %q is not an absolute path", policyFile)
	}
	if len(cmd) == 0 || cmd[0] == "" {
		return nil, errors.New("no command to run")
	}
	argv := []string{SandboxExec, "-f", policyFile}
	for _, name := range ParamNames(params) {
		if !validParamName(name) {
			return nil, fmt.Errorf("parameter name %q is not NAME_LIKE_THIS", name)
		}
		v := params[name]
		if strings.ContainsRune(v, 0) {
			return nil, fmt.Errorf("parameter %s holds a NUL byte", name)
		}
		argv = append(argv, "-D", name+"="+v)
	}
	return append(append(argv, "--"), cmd...), nil
}

func validParamName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// CheckOutside refuses to run when the sandbox could change any of paths
// (the policy and parameter files, sandbox-exec, permc itself): one run
// could otherwise weaken the next.
func CheckOutside(prog *seatbelt.Program, paths ...string) error {
	for _, p := range paths {
		c, err := canon("path", p)
		if err != nil {
			return err
		}
		for _, op := range []string{"file-write-data", "file-write-create", "file-write-unlink"} {
			if d := prog.Check(op, c); d.Allowed {
				return fmt.Errorf("%s is writable inside the sandbox (%s, sbpl line %d); "+
					"keep permc's files outside writable roots", p, op, d.Rule.Line)
			}
		}
	}
	return nil
}
