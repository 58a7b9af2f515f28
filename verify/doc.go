// Package verify checks folders written by permc build, for people who
// receive prebuilt artifacts and want to know they enforce the reviewed
// policy: it is `permc verify`, and the cross-backend equivalence test of
// the test suite runs the same checks.
//
// # What it checks
//
// [Dir] takes a build folder (one subfolder per profile) or one profile
// folder and runs, per profile folder:
//
//   - hashes: every artifact has the SHA-256 manifest.json lists and
//     nothing else is there (driver.LoadFolder). This proves only that the
//     folder agrees with itself: whoever can change an artifact can change
//     the manifest too.
//   - against ([Options.Against]): the folder is byte for byte what a
//     configuration compiles to, for the targets and bindings the
//     manifests record (driver.Build.Compare). A build folder must also
//     hold a folder for each profile the configuration compiles.
//   - decisions ([Decisions]): each backend artifact decides as the
//     folder's policy.json does, by ir.Decide, over the probe set of
//     [Probes]: every rule path, one below it and one beside it, each
//     workspace root's protected metadata, every :minimal entry, example
//     paths of each glob, and on macOS and Windows the same with the last
//     component in the other case. The symbolic roots are bound to a
//     synthetic machine ([Binding]).
//
// The decision checks, per target the folder was built for:
//
//   - macos: macos.sb is parsed, its parameters bound from
//     macos.params.json by the launcher's own binder (runtime/macos.Bind),
//     and permc's SBPL evaluator answers file-read-data, file-write-data
//     and file-write-create on every probe.
//   - linux: the mount plan of linux.json is resolved (backend/bwrap)
//     against a synthetic tree holding every probe, and simulated; the
//     Landlock ruleset is resolved for the same roots. Landlock must never
//     deny what the policy allows, and the two together must equal
//     ir.Decide. In the sandbox's own /dev and /proc, which bubblewrap
//     mounts fresh, Landlock decides alone.
//   - seccomp ARCH: each seccomp-ARCH.bpf runs in x/net/bpf's VM over
//     every syscall number of ir's table and past it, with plain and
//     high-bit arguments, every value the argument conditions name in each
//     argument they test, a fixed-seed sample of combinations, x32
//     numbers, the compat ABIs and a foreign architecture; each result must
//     be ir.SyscallPolicy's for the profile's network settings.
//   - windows MODE: windows.json is applied, for each mode it marks
//     usable, to backend/winacl's model of a stock Windows install (stock
//     ACLs, the synthetic user's profile folder, every probe), and the
//     sandbox token's access is compared with ir.Decide.
//
// A difference is a failure unless the enforceability pass
// (passes.Enforceability) reported the deciding rule for that target (and,
// on Windows, that mode), or it is one of the limitations below, which
// the check counts as "known" and names.
//
// # Example
//
//	r, err := verify.Dir("golden/app", verify.Options{})
//	if err != nil {
//		return err // not a build folder
//	}
//	verify.WriteText(os.Stdout, r)
//	if !r.OK {
//		// some check failed
//	}
//
// # Guarantees
//
//   - Nothing on the host is read but the folder (and, with --against,
//     the configuration): the synthetic tree is in memory, so a case-
//     folding host file system (macOS, Windows) cannot merge probes.
//   - The checks run what the runtime runs: the launcher's binder, the
//     loader's resolver, the bytes of each BPF program.
//
// # Limitations
//
//   - The probe set sits at the rule boundaries, not on a real tree: a
//     difference only a path no probe reaches would show (a glob matching
//     only unusual names) is missed.
//   - The machine is synthetic: ~ is /home/u on Linux, /Users/u on macOS
//     and C:\Users\u on Windows; the workspace is /ws (Linux), C:\ws
//     (Windows) and, on macOS, /Users/u/src/ws with $TMPDIR below
//     /private/var/folders, the depths the Seatbelt compiler orders rules
//     for. Rules whose order depends on where the roots are compare as on
//     that layout. When the macOS launcher refuses the layout, failing
//     closed, the macos check is skipped and says so; so is a Windows mode
//     the applier refuses on the model machine.
//   - macOS and Windows are judged by evaluators written for permc, which
//     model those systems from their documentation; nothing here runs on
//     them.
//   - Known limitations, counted and not failed: on Linux the sandbox's
//     fresh /proc is readable as a whole (backend/landlock) and read-only
//     whatever the profile grants (permc run remounts it); a narrower
//     entry inside the sandbox's own /dev or /proc (a deny, or a read-only
//     device such as /dev/random inside a writable root) cannot take away
//     what a broader grant gives there, since Landlock only allows and the
//     mount plan leaves those fresh mounts alone. On Windows, the model
//     machine's stock ACLs give the sandbox less than ir.Decide in folders
//     the applier cannot or must not change (TrustedInstaller's, other
//     users' profiles, administrators-only folders, network shares):
//     failing closed.
package verify
