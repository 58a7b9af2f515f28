//go:build !linux && !darwin && !windows

package run

// Run is available on Linux only in this version; the macOS and Windows
// launchers are built and tested separately and not executed here.
func Run(o *Options) (int, error) {
	return ExitSetup, fail(ExitSetup, "permc run supports only linux in this version")
}
