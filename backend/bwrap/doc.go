// Package bwrap compiles a policy into a bubblewrap mount plan and loads
// that plan on a machine.
//
// # What
//
// [Compile] turns an [ir.Policy] into a [Plan]: relocatable templates that
// name symbolic roots (home, $TMPDIR, workspace roots) and never look at the
// disk, so the plan is identical on every machine and can be reviewed as a
// golden file. Each template carries the origin of the rule it came from.
//
// [Resolve] is the loader: it binds the roots, looks at the disk (exists?
// file or directory? symlink? a .git file that really is a linked worktree
// pointer?), expands deny globs with [ExpandGlobs], and returns a [Resolved]
// plan: ordered bubblewrap operations, placeholders the runtime creates for
// the duration of a run, symlinks to pin, and diagnostics at the TOML line
// that caused each problem. [Resolved.Args] renders the bwrap arguments;
// on Linux [Resolved.Launch] renders them with descriptor-based binds.
//
// [Simulate] answers, for a resolved plan and a real file tree, what a
// process inside the sandbox sees and may do at a path. Tests compare it
// with [ir.Decide] and then run the same plans under /usr/bin/bwrap.
//
// # Example
//
// The runtime's sequence on Linux:
//
//	plan, _ := bwrap.Compile(policy)                 // build time: linux.json
//	res, diags := bwrap.Resolve(plan, binding, opts) // load: refuse on errors
//	made, _ := bwrap.CreatePlaceholders(res.Placeholders) // under the lock
//	l, _ := res.Launch(3)                            // bwrap args, ExtraFiles
//	// inner stage, on its locked thread: bwrap.PinSymlinks(res.Pins), drop
//	// capabilities, Landlock, seccomp, execve
//	bwrap.RemovePlaceholders(made)                   // when the last run ends
//
// # Mount plan
//
// The base is "--ro-bind / /" when the root is readable ("--bind / /" when
// writable); otherwise bubblewrap's empty root stays, made read-only by
// "--remount-ro /" at the end and mode 0111, so a write outside every rule
// fails with EROFS instead of vanishing into a tmpfs. A fresh "--dev /dev"
// and "--proc /proc" always follow the base. Then, ordered by path depth so
// that later mounts shadow earlier ones:
//
//   - a readable path is bound read-only, a writable one read-write; a bind
//     that would not change what the sandbox sees is left out;
//   - a denied directory becomes a tmpfs of mode 0000 (0111 when something
//     below it is reopened), remounted read-only after everything below it
//     is in place; directories bubblewrap must create inside such a tmpfs
//     (or inside the empty root) are made with mode 0111;
//   - a denied file is covered by a read-only bind of an empty mode-0000
//     file from permc's private state directory ([Options.MaskFile]), by
//     path, or with [Resolved.Launch] through a descriptor of its own per
//     mask: bubblewrap consumes a descriptor on first use, so none is
//     shared;
//   - a deny glob match that is a directory is masked as a whole.
//
// # Guarantees
//
//   - Every mount destination exists before bubblewrap runs or lies inside a
//     tmpfs of the plan, so bubblewrap never creates anything on the host.
//     A path that must be masked but does not exist yet inside a writable
//     area gets a [Placeholder]: an empty directory the runtime creates
//     under a per-workspace lock and removes when the last run ends.
//   - A rule path that crosses a symlink the sandbox could rewrite is
//     refused with a diagnostic naming the link and its target. A path that
//     is itself such a symlink (a symlinked .git, .agents or .codex) is
//     enforced at its target, and its name is pinned by mounting the link
//     on itself in the inner stage ([Pin], [PinSymlinks]): bubblewrap
//     follows symlinks at mount destinations, so it cannot do this itself.
//     When the runtime cannot pin ([Options.PinLinks] false) the layout is
//     refused. Symlinks the sandbox cannot rewrite are followed, and
//     recreated with --symlink where the sandbox sees an empty view.
//   - A read-only or denied path inside a writable mount cannot be carried
//     away: every directory between the writable mount and it is bound onto
//     itself, since a mount point cannot be renamed while a plain directory
//     can, taking the mounts below it along, after which the sandbox could
//     recreate the protected path with content of its own. Deny-glob
//     matches are exempt, to keep mounts few: their files stay masked
//     wherever they are moved, but the path they had can be reused.
//   - Glob matches stay within [Options.MatchCap] per glob and the plan
//     within [Options.MountCap] mounts; past either, a diagnostic at the
//     glob's line refuses the plan instead of producing one bubblewrap
//     cannot start.
//
// # Limitations
//
//   - Deny globs cover only what exists when the sandbox starts, at most
//     glob_scan_max_depth below their literal base, as [ir.Decide] says for
//     Linux. Files created later are not masked unless a matched directory
//     holds them.
//   - A read or write grant of a path that does not exist at load is
//     skipped: nothing can be bound there. If its parent is not writable the
//     sandbox cannot create it either, so the grant has no effect.
//   - The root of a restricted-read sandbox is listable by nobody, but the
//     names of bound top-level directories can still be found by probing.
//   - /dev and /proc are the sandbox's own; rules below them are left to
//     Landlock, except masks of existing non-process /proc entries and
//     grants below /dev, which are bound with --dev-bind.
//   - Binds by descriptor ([Resolved.Launch]) fix what is mounted, but
//     bubblewrap still resolves mount destinations by path, and needs to
//     reach each source's directory (it stats the descriptor's path).
//   - A ":minimal" entry that does not exist gets no placeholder: under a
//     writable root, the sandbox could create it.
//   - Running as root, the kernel still sees root inside: files owned by
//     root stay readable through readable roots unless masked. Mode-0000
//     masks hold, because every capability is dropped.
package bwrap
