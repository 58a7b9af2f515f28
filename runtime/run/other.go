//go:build !linux && !darwin && !windows

package run

// runSandboxed has no sandbox to offer on this OS.
func runSandboxed(o *Options) (int, error) {
	return ExitSetup, fail(ExitSetup, "permc run has no sandbox for this operating system")
}

// runUnrestricted is refused too: permc runs nothing here.
func runUnrestricted(o *Options) (int, error) { return runSandboxed(o) }
