// Package windows applies a Windows manifest (windows.json, from
// backend/winacl) on a machine and starts a command in the sandbox it
// describes.
//
// This code has never been executed: the project's machines run Linux.
// The plan and the runner are plain Go, unit-tested here against a model
// of a Windows disk (winacl.Disk) behind a fake System; the system calls
// live in files built only for Windows (sys_windows.go,
// launch_windows.go), which CI cross-compiles and vets with GOOS=windows.
//
// # How it applies a manifest
//
// NewPlan resolves the manifest for one mode on this machine
// (winacl.Manifest.Resolve) and lists the calls that apply it, in order:
//
//  1. identities: look up or create the sandbox's local user and group
//     (NetUserAdd, NetLocalGroupAdd, NetLocalGroupAddMembers), its
//     AppContainer profile (CreateAppContainerProfile), or derive its
//     capability SID (DeriveCapabilitySidsFromName). Names carry an ID
//     hashed from the profile and the bound roots, so two workspaces
//     never share an identity or its grants;
//  2. loopback: let the AppContainer reach the loopback proxy
//     (CheckNetIsolation.exe LoopbackExempt -a -p=SID);
//  3. placeholders: create the folders the manifest protects that do not
//     exist inside a writable folder;
//  4. ACLs: read each path's descriptor (GetNamedSecurityInfo), merge the
//     sandbox's entries into its explicit DACL in canonical order
//     (winacl.MergeExplicit), write it (SetNamedSecurityInfo, which
//     propagates inheritable entries), then set a Low label where an
//     AppContainer writes;
//  5. firewall: one block rule per manifest rule for the sandbox user,
//     through PowerShell's New-NetFirewallRule with -LocalUser, run as
//     PowerShellArgv shows (powershell.exe by absolute path, -NoProfile
//     -NonInteractive -EncodedCommand).
//
// Runner.Apply executes the plan through a System and a Journal.
//
// # Guarantees
//
//   - An unusable mode is refused by NewPlan with the manifest's reason
//     (winacl.ErrUnusable): a restricted profile never runs unsandboxed.
//   - Every change is written to the undo log before it is made. If a
//     step fails, Apply undoes everything it did and returns the error.
//   - Applying twice changes nothing: identities are looked up before
//     being created, the sandbox's entries are replaced rather than
//     added, firewall rules are removed by name before being added.
//   - Runner.Undo reverses a log (entries of the sandbox's SIDs removed,
//     labels restored, placeholders removed when empty, rules removed,
//     identities deleted) and is itself idempotent.
//
// # Starting the command
//
// Launch starts the command. Unelevated, permc makes a write-restricted
// token from its own (restricting SIDs: the capability and the logon
// SID; Administrators deny-only; privileges dropped) and calls
// CreateProcessAsUser. Elevated, permc sets a fresh random password on
// the sandbox user and starts itself as that user with
// CreateProcessWithLogonW and InnerArg; that second stage (RunInner)
// makes the sandbox token from its own token, which needs no privilege:
// an AppContainer process (PROC_THREAD_ATTRIBUTE_SECURITY_CAPABILITIES)
// or a write-restricted one (the sandbox group and logon SID).
//
// # Limitations
//
//   - Not run on Windows, ever, by this project; the fake System models
//     descriptors as NTFS stores them, not the Win32 calls' edge cases.
//   - Console handles are not passed to the second stage
//     (CreateProcessWithLogonW gives it a new console); exit codes are.
//   - The sandbox user's profile is loaded at each logon; identities
//     persist between runs until their undo log is undone.
//   - DNS, SMB and loopback traffic are not filtered by per-user firewall
//     rules; the manifest notes them.
package windows
