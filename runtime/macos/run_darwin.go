//go:build darwin

package macos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/permc/permc/backend/seatbelt"
)

// Launch says what to run and where the compiled profile is.
type Launch struct {
	Dir     string // the profile folder holding macos.sb and macos.params.json
	Machine Machine
	Cmd     []string
	Env     []string // the command's environment; nil inherits permc's
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
}

// Run binds the profile in l.Dir to l.Machine, checks that the sandbox
// cannot change the files that run it next time, and runs l.Cmd under
// sandbox-exec. It returns the command's exit status; an error means
// nothing ran.
func Run(ctx context.Context, l Launch) (int, error) {
	argv, err := prepare(l)
	if err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = l.Env, l.Stdin, l.Stdout, l.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("run %s: %w", SandboxExec, err)
	}
	return 0, nil
}

// prepare reads the artifact, binds it and builds the argv.
func prepare(l Launch) ([]string, error) {
	dir, err := filepath.Abs(l.Dir)
	if err != nil {
		return nil, err
	}
	sbFile := filepath.Join(dir, "macos.sb")
	sbpl, err := os.ReadFile(sbFile)
	if err != nil {
		return nil, err
	}
	var m seatbelt.Manifest
	if err := readJSON(filepath.Join(dir, "macos.params.json"), &m); err != nil {
		return nil, err
	}
	if m.Format != seatbelt.FormatVersion {
		return nil, fmt.Errorf("%s: format %d, this permc reads %d", dir, m.Format, seatbelt.FormatVersion)
	}
	b, err := Bind(sbpl, &m, l.Machine)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	paramsFile := filepath.Join(dir, "macos.params.json")
	if err := CheckOutside(b.Program, sbFile, paramsFile, SandboxExec, self); err != nil {
		return nil, err
	}
	return Argv(sbFile, b.Params, l.Cmd)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// MachineFromEnv describes this machine: the home directory, $TMPDIR and
// the given workspace roots with symbolic links resolved, and the gitdir
// of each root that is a linked worktree. Protected paths that are
// symbolic links are resolved when binding.
func MachineFromEnv(roots []string) (Machine, error) {
	var m Machine
	if home, err := os.UserHomeDir(); err == nil {
		m.Home = resolve(home)
	}
	if t := os.Getenv("TMPDIR"); filepath.IsAbs(t) {
		m.Tmpdir = resolve(t)
	}
	m.LinkedGitDirs = map[string]string{}
	for _, r := range roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return Machine{}, err
		}
		abs = resolve(abs)
		m.WorkspaceRoots = append(m.WorkspaceRoots, abs)
		if g, ok := LinkedGitDir(abs, os.ReadFile); ok {
			m.LinkedGitDirs[abs] = resolve(g)
		}
	}
	m.Resolve = resolveLink
	return m, nil
}

// resolve returns p with symbolic links resolved, or p when it cannot.
func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// resolveLink reports the target of p when p is a symbolic link.
func resolveLink(p string) (string, bool) {
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return "", false
	}
	t, err := filepath.EvalSymlinks(p)
	return t, err == nil
}
