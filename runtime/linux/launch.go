package linux

import "os"

// Launch is everything the parent needs to start one sandbox.
type Launch struct {
	Spec Spec
	// NetNamespace unshares the network (every mode but full network).
	NetNamespace bool
	// MountArgs are the resolved mount plan's bwrap arguments; descriptor
	// numbers in them count from FirstMountFD, matching MountFiles.
	MountArgs  []string
	MountFiles []*os.File
	Stdin      *os.File
	Stdout     *os.File
	Stderr     *os.File
	// Log receives one line per side effect when verbose; nil is quiet.
	Log func(format string, args ...any)
	// Prepare, when set, completes Spec once the sandbox has started
	// and before the inner stage can read it: work that only the inner
	// stage needs (its seccomp and Landlock programs) then overlaps
	// bubblewrap's setup. The inner stage reads the whole Spec before it
	// does anything. When Prepare fails, the sandbox is killed before it
	// gets a Spec, and Run returns ExitSetup with Prepare's error.
	Prepare func(*Spec) error
	// Mounted, when set, runs once bubblewrap's mounts are in place (the
	// inner stage has started and says so) and before the inner stage
	// gets its Spec; when it fails, the sandbox is killed and Run returns
	// ExitSetup with its error.
	Mounted func() error
	// Started, when set, runs once the inner stage has handed over to
	// the command (or failed to), while the command runs: work that must
	// not compete with the sandbox's start waits for it.
	Started func()
	// Broker, when set, serves the filter's connect calls; Spec.Broker
	// must be set with it.
	Broker *Broker
	// Direct runs the inner stage without bubblewrap: the Landlock-only
	// mode, with no namespace at all. NetNamespace and the mount plan must
	// be empty; Spec.Direct must be set.
	Direct bool
}
