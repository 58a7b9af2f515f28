// Package review answers the questions of people who review policies and
// policy changes: why a path or a host is allowed or denied, by which line,
// on which target (Explain); what a change of configuration opens up or
// closes (Diff); and the diagnostics of `permc check` as SARIF for
// code-scanning tools (WriteSARIF).
//
// Every answer comes from the same reference functions the backends are
// tested against: ir.Decide for paths, and ir/host's canonical form and
// matcher, with the proxy's order of checks, for hosts. Nothing here looks
// a host name up.
//
// # Enforcement notes
//
// How each target enforces a decision is a short text per target, produced
// by Enforcers. The defaults map the kind of decision to the construct the
// backend emits (a Seatbelt form, a mount, an ACL entry); a package that
// links a backend can replace a target's entry with one that reads the
// backend's own artifact.
//
// # Limitations
//
//   - Diff computes its answer over a probe set at the rule boundaries of
//     both sides, not over a real tree: every rule path, a path below it and
//     one beside it, the :minimal entries, each workspace root's protected
//     metadata, and one example path per glob. A change that shows only at
//     a path no probe reaches (a glob that matches only unusual names) is
//     missed. Symbolic roots are bound to fixed synthetic paths (/home/u,
//     /ws, /tmp/t; C:\Users\u and C:\ws on Windows), so rules whose order
//     depends on where the roots really are compare as on that layout.
//   - Host changes are probed at each pattern's host and at one subdomain
//     of it; a host name that needs resolving is judged by the rules only,
//     since the addresses it resolves to are the proxy's to check.
//   - Policies read back from policy.json carry no origins for network
//     settings (enabled, domains table, proxy flags): a diff of artifact
//     folders names the lines of rules, not of those settings.
//   - SARIF results of diagnostics without a file (a --profile naming no
//     profile, a built-in) carry no location; SARIF allows that, but some
//     code-scanning services drop such results.
//   - Explain decides deny globs on Linux and Windows against the files
//     that exist now, as the loader would; it says when a glob would match
//     a path that does not exist yet.
package review
