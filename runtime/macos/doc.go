// Package macos is permc's macOS launcher: it binds a compiled Seatbelt
// profile (see backend/seatbelt) to this machine and runs a command under
// /usr/bin/sandbox-exec.
//
// # What it does
//
// Bind reads macos.sb and the manifest of macos.params.json and computes
// the -D parameters from a Machine: home, $TMPDIR and the workspace roots,
// canonicalised the way the sandbox sees them (/tmp, /var and /etc
// resolved into /private), roots this machine lacks pointed below
// seatbelt.UnboundPrefix where nothing exists, regex parameters built with
// seatbelt.FoldRegex and seatbelt.UpRegex, and the protected metadata
// (.git, .agents, .codex, a linked worktree's gitdir, the target of a
// protected path that is a symbolic link) as ir.Decide protects it. Argv
// builds sandbox-exec -f FILE -D NAME=VALUE ... -- CMD...: the policy goes
// by file, never on the command line, and sandbox-exec is run by absolute
// path. CheckOutside refuses to run when the sandbox could change the
// policy files or the programs that run outside it next time. Run (darwin
// only) does all of it and starts the command.
//
// # Guarantees
//
// Bind refuses, with a message naming the rules, what the profile cannot
// enforce on this machine: more workspace roots than the profile's slots;
// an unknown home directory when a rule denies below ~; a root whose name
// holds glob characters under a glob rule; and an emitted rule order that
// differs from ir.Decide's decision order once roots are known (the
// compiler ordered symbolic roots by nominal depths). The order check is
// exact where it must be: on generated policies, every binding on which
// the unchecked profile would disagree with ir.Decide is refused.
//
// # Limitations
//
//   - This package has not been executed on macOS by this project. The
//     pure logic is unit-tested on Linux against the evaluator of
//     backend/seatbelt; the darwin-only file that runs sandbox-exec
//     cross-compiles (GOOS=darwin go build ./runtime/macos/) and nothing
//     more is known about it.
//   - sandbox-exec is deprecated by Apple, though still shipped; its own
//     failures are reported by its exit status, which is passed through.
//   - A linked worktree is recognised only by a .git file whose gitdir
//     names .../.git/worktrees/NAME and points back; other layouts are
//     protected as plain paths.
package macos
