//go:build darwin

package run

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/permc/permc/backend/seatbelt"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/runtime/macos"
)

// runSandboxed runs the command under sandbox-exec with the policy compiled to
// SBPL, and the proxy beside it when the network is filtered. This file
// is cross-compiled and has never run on macOS.
func runSandboxed(o *Options) (int, error) {
	writable := decideWritable(o.Policy, ir.MacOS, o.binding())
	if err := o.checkResolverFiles(ir.MacOS, os.Getenv, writable); err != nil {
		return ExitSetup, err
	}
	dir, err := o.writeSBPL()
	if err != nil {
		return ExitSetup, err
	}
	defer os.RemoveAll(dir)
	m, err := macos.MachineFromEnv(append([]string{o.Dir}, o.Roots...))
	if err != nil {
		return ExitSetup, fail(ExitSetup, "%v", err)
	}
	env := o.Env
	if o.Policy.Net.Mode() == ir.NetProxied {
		srv, err := o.loopbackProxy()
		if err != nil {
			return ExitSetup, fail(ExitSetup, "starting the proxy: %v", err)
		}
		defer srv.Close()
		env = proxyEnv(env, &o.Policy.Net)
	}
	code, err := macos.Run(context.Background(), macos.Launch{Dir: dir, Machine: m, Cmd: o.Argv, Env: env,
		Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr})
	if err != nil {
		return ExitSetup, fail(ExitSetup, "%v", err)
	}
	return code, nil
}

// writeSBPL compiles the policy into a private folder of the state
// directory, outside every writable root (the launcher checks it).
func (o *Options) writeSBPL() (string, error) {
	prof, err := seatbelt.Compile(o.Policy)
	if errors.Is(err, seatbelt.ErrUnrestricted) || err != nil {
		return "", fail(ExitSetup, "seatbelt: %v", err)
	}
	params, err := prof.ParamsJSON()
	if err != nil {
		return "", fail(ExitSetup, "seatbelt: %v", err)
	}
	if err := o.makeStateDir(); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(o.StateDir, "sbpl-")
	if err != nil {
		return "", fail(ExitSetup, "%v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "macos.sb"), []byte(prof.SBPL), 0o600); err != nil {
		return "", fail(ExitSetup, "%v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "macos.params.json"), params, 0o600); err != nil {
		return "", fail(ExitSetup, "%v", err)
	}
	return dir, nil
}

// runUnrestricted replaces permc with the command.
func runUnrestricted(o *Options) (int, error) {
	return ExitSetup, o.runUnsandboxed(syscall.Exec, exec.LookPath)
}
