//go:build windows

package run

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/permc/permc/backend/winacl"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/runtime/windows"
)

// runSandboxed applies the policy's Windows manifest in the strongest usable mode,
// starts the proxy beside the sandbox when the network is filtered, runs
// the command, and undoes the manifest. This file is cross-compiled and
// has never run on Windows.
func runSandboxed(o *Options) (int, error) {
	writable := decideWritable(o.Policy, ir.Windows, o.binding())
	if err := o.checkResolverFiles(ir.Windows, os.Getenv, writable); err != nil {
		return ExitSetup, err
	}
	m, err := winacl.Compile(o.Policy)
	if err != nil {
		return ExitSetup, fail(ExitSetup, "windows manifest: %v", err)
	}
	sys := windows.NewSystem()
	plan, err := o.windowsPlan(m, sys)
	if err != nil {
		return ExitSetup, err
	}
	runner := &windows.Runner{Sys: sys, Journal: windows.FileJournal{Path: filepath.Join(o.StateDir, "undo.json")}}
	applied, err := runner.Apply(plan)
	if err != nil {
		return ExitSetup, fail(ExitSetup, "applying the manifest: %v", err)
	}
	defer runner.Undo(applied.Undo)
	env := o.Env
	if o.Policy.Net.Mode() == ir.NetProxied {
		srv, err := o.loopbackProxy()
		if err != nil {
			return ExitSetup, fail(ExitSetup, "starting the proxy: %v", err)
		}
		defer srv.Close()
		env = proxyEnv(env, &o.Policy.Net)
	}
	env = append(env, "TEMP="+o.Tmpdir, "TMP="+o.Tmpdir)
	p, err := windows.Launch(plan, applied, o.Argv, o.Dir, env)
	if err != nil {
		return ExitSetup, fail(ExitSetup, "%v", err)
	}
	code, err := p.Wait()
	if err != nil {
		return ExitSetup, fail(ExitSetup, "%v", err)
	}
	return int(code), nil
}

// windowsPlan resolves the manifest in the elevated mode, else the
// unelevated one; a mode the manifest marks unusable is never used.
func (o *Options) windowsPlan(m *winacl.Manifest, fs winacl.FS) (*windows.Plan, error) {
	var last error
	for _, mode := range []ir.Mode{ir.ModeElevated, ir.ModeUnelevated} {
		plan, err := windows.NewPlan(m, mode, o.binding(), fs)
		if err == nil {
			return plan, nil
		}
		last = err
	}
	return nil, fail(ExitSetup, "no usable windows sandbox mode: %v", last)
}

// runUnrestricted runs the command directly and waits for it.
func runUnrestricted(o *Options) (int, error) {
	fmt.Fprintf(o.Stderr, "permc: profile %s has no restrictions; running the command without a sandbox\n", o.Policy.Name)
	cmd := exec.Command(o.Argv[0], o.Argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Dir, o.Env, o.Stdin, o.Stdout, o.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), nil
	case errors.Is(err, exec.ErrNotFound):
		return ExitNotFound, fail(ExitNotFound, "%s: not found", o.Argv[0])
	case err != nil:
		return ExitCannotExec, fail(ExitCannotExec, "cannot execute %s: %v", o.Argv[0], err)
	}
	return 0, nil
}
