// Package winacl compiles an ir.Policy into the Windows artifact,
// windows.json: an ACL and firewall manifest per mode (elevated and
// unelevated), and holds the DACL evaluator that shows what Windows would
// grant the sandbox under it.
//
// # What it produces
//
// Compile (or CompileWith, for permc-only options) returns a Manifest;
// Manifest.JSON gives the bytes of windows.json, identical for identical
// policies on every machine. Nothing machine-specific is inside: paths
// are templates over symbolic roots (%SystemRoot%, %ProgramFiles%,
// %ProgramFiles(x86)%, %ProgramData%, %USERPROFILE% for ~,
// {workspace_roots}, %TEMP% for :tmpdir), identities are placeholders
// ({sandbox_user}, {sandbox_group}, {app_container}, {capability},
// {logon}, {current_user}), and deny globs stay patterns. Every rule, ACL
// entry and firewall rule carries the origin of the TOML line it came from.
//
// Each mode records its enforcement model, whether it may be used, every
// finding (unenforceable rules, snapshots, notes), the sandbox token,
// the identities to create, the entries each rule places, and, elevated,
// the firewall rules:
//
//   - appcontainer (elevated, read-restricted profiles: no :root grant).
//     The sandbox user's token runs in an AppContainer at Low integrity.
//     Access is the intersection of a pass over the user's groups and a
//     pass over the container SID and ALL APPLICATION PACKAGES, so reads
//     are denied by construction: the system folders admit application
//     packages (the files below them explicitly, owned by
//     TrustedInstaller), user data does not, and each permitted path gets
//     entries for the sandbox group and the container SID, plus a Low
//     label where it is writable. A :root deny places no entry at all.
//   - sandbox-user (elevated, profiles that read :root). The sandbox
//     user's token, write-restricted to the sandbox group: reads follow
//     the machine's ACLs (the home folder, whose inheritance is cut,
//     gets the entries of the rule above it), writes need an entry.
//   - write-restricted (unelevated). The invoking user's token,
//     write-restricted to a capability SID, Administrators deny-only:
//     writes are restricted, reads are not, and there is no identity to
//     scope firewall rules to.
//
// Manifest.Resolve binds a manifest on one machine (the applier in
// runtime/windows calls it with the real disk): every path a rule, a
// :minimal root, a protected metadata name or a deny-glob match names gets
// the entries of the access ir.Decide gives it there, ordered so that
// Windows' first-match evaluation reproduces "the most specific rule
// wins": a read-only grant denies writes first, and a nearer entry, being
// inherited from a nearer folder, comes before a farther one.
//
// # Guarantees
//
//   - A mode whose profile uses a feature ir's capability table marks
//     unenforceable for it is unusable, with the first such rule and its
//     origin; Resolve refuses it (ErrUnusable), so the applier never runs a
//     restricted profile unsandboxed. Check reports the same per mode.
//   - Resolve never widens access to make up for what it cannot do: it
//     fails with a LoadError at the rule's line (an entry on a volume
//     root, a narrowing on a network share, a deny of a folder an
//     AppContainer always reads, a walk past MaxWalk) or leaves a grant
//     out, failing closed, with a note.
//   - Tests apply resolved manifests to a model of a stock install and
//     compare the evaluator with ir.Decide over generated profiles, per
//     usable mode: no path is ever more open than Decide says, and every
//     path that is less open falls in a documented case below.
//   - Applying twice changes nothing: MergeExplicit first removes every
//     entry of the sandbox's own SIDs.
//
// # The evaluator
//
// AccessCheck models Windows' access check: owner rights (and the OWNER
// RIGHTS SID), ordered allow and deny entries decided per right by the
// first entry naming it, generic rights, deny-only groups, restricted and
// write-restricted tokens (a second pass over the restricting SIDs),
// AppContainer and less-privileged AppContainer tokens (a second pass
// over the package and capability SIDs), and mandatory integrity
// (no-write-up). Disk models volumes and shares: inheritance as NTFS
// computes it after propagation (object and container inherit,
// no-propagate, inherit-only, CREATOR OWNER, cut inheritance), labels,
// and applying a resolved manifest with the applier's own rights, so
// that changing a TrustedInstaller-owned folder fails as it would.
// StockDisk seeds it with the ACLs of a stock install.
//
// # Limitations
//
//   - Entries reach only what inherits them. A folder whose inheritance
//     is cut (another user's profile, an admin-only folder, one a tool
//     protected) keeps its own ACLs: grants above it do not reach it (the
//     sandbox gets less), and denies above it are placed again on it by
//     a walk, bounded by MaxWalk. Only the home folder is re-granted
//     without a walk.
//   - An AppContainer reads whatever admits ALL APPLICATION PACKAGES:
//     the system folders on a stock install, and anything a program
//     opened to them. A read-restricted profile must therefore read
//     :minimal, and cannot deny a folder an AppContainer always reads.
//   - Entries are placed only on paths that exist when the manifest is
//     applied. A read-only or denied path missing inside a writable
//     folder gets a placeholder folder; elsewhere a missing path is not
//     covered until the next apply, and a grant on a missing path
//     under a folder the sandbox cannot write stays closed.
//   - Deny globs cover only files present when the manifest is applied,
//     up to glob_scan_max_depth.
//   - permc never changes a server's ACLs: grants on network shares are
//     left out, and narrowing one is refused outside an AppContainer.
//   - DNS (DNS Client service) and SMB (kernel redirector) run as system
//     identities, and Windows Firewall does not filter loopback: the
//     manifest notes each at the network setting's line.
//   - Nothing here has run on Windows: the evaluator is a model, checked
//     against documented behaviour, not against a live access check.
package winacl
