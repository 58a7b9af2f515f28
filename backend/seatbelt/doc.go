// Package seatbelt compiles an ir.Policy into SBPL for macOS sandbox-exec,
// and reads and evaluates the SBPL subset it emits, so that tests can hold
// every compiled profile to ir.Decide.
//
// # What it emits
//
// Compile returns a Profile: SBPL (macos.sb) and a Manifest
// (macos.params.json, from Profile.ParamsJSON) listing the parameters the
// loader binds with sandbox-exec -D and the file-rule templates it needs
// to bind them. The text is, in order:
//
//   - (version 1) and (deny default);
//   - the reviewed basics of data/basics.sb: exec, fork, signals within
//     the sandbox, pseudo-terminals, POSIX semaphores, a listed set of
//     mach services and sysctl names, each with a note;
//   - network: nothing when off; every IP endpoint plus DNS when on
//     without domains; with domains, outbound only to the proxy's
//     loopback ports (PROXY_PORT, SOCKS_PORT, SOCKS_UDP_PORT), judged on
//     the remote endpoint; bind and inbound on loopback with
//     allow_local_binding; listed unix sockets, or all of them with
//     dangerously_allow_all_unix_sockets (denied entries still denied);
//   - the file rules of the policy, the :minimal table when a grant names
//     it, the implicit grants, and the protected metadata, from least to
//     most specific (path components, :minimal entries by their real
//     depth), read before write before deny at equal depth, deny globs
//     last;
//   - rename guards: file-write-unlink denied on the directories above
//     each exact-path deny and on the literal prefix of each deny glob;
//   - metadata of fixed system paths (data/metadata.sb).
//
// A read rule is (allow file-read* F) then (deny file-write* F); a write
// rule (allow file-read* file-write* F); a deny (deny file-read*
// file-write* F), with the operation names the grants use. Every form is
// led by a ";" comment naming the TOML file:line and the rule, so a golden
// diff reads as a policy review.
//
// # Guarantees
//
// Paths enter the text only as escaped string literals (Quote), as
// (param "...") values joined with string-append, or in regexes built
// from RegexQuote or FoldRegex of them: no path can change the structure
// of the profile (FuzzEscape checks this). Denies match every spelling
// that differs in case, through bracket expressions ([Ee][Nn][Vv]), never
// (?i), as ir.Decide compares denies on macOS. Rules under /tmp, /var and
// /etc are emitted in both spellings. Compiling is deterministic and reads
// nothing from the host.
//
// The tests compile generated policies, bind them as runtime/macos does,
// and check that for read, write and create on every probe the evaluator
// below agrees with ir.Decide(p, ir.MacOS, binding, path).
//
// # Symbolic roots
//
// ~ is HOME, :tmpdir is TMPDIR, and :workspace_roots are WorkspaceSlots
// slots WORKSPACE_ROOT_0.. for grants and one alternation,
// WORKSPACE_ROOTS_RE, for denies and guards. Regex forms of roots
// (HOME_RE, ...) are built by the loader with FoldRegex and UpRegex. The
// loader binds a root this machine lacks (no $TMPDIR, unused slots) to a
// path below UnboundPrefix, under /dev/null, where nothing can exist.
// Rules are ordered with roots at nominal depths (HomeDepth, TmpdirDepth,
// WorkspaceDepth); the loader checks the real order once roots are known
// and refuses a binding on which it differs. Protected metadata
// (.git, .agents, .codex, a linked worktree's gitdir) is bound by the
// loader into PROTECTED_READ_RE or PROTECTED_DENY_RE, since whether a rule
// names it and whether its root is readable are known only then.
//
// # The evaluator
//
// Parse reads SBPL with participle; Parsed.Resolve binds parameters;
// Program.Evaluate answers a Request. Semantics, as modelled:
//
//	form                              meaning
//	(version 1)                       required first form
//	(allow OPS F...) (deny OPS F...)  a rule; the last rule whose OPS cover the
//	                                  operation and whose filters match decides
//	(deny default)                    "default" covers every operation; a profile
//	                                  must have an unfiltered default rule
//	OPS                               exact names (Operations) or families
//	                                  (Families): "X*" covers names starting X
//	F... (none)                       matches every request of the operation
//	F1 F2 ...                         any of them matches
//	(literal S)                       the path equals S
//	(subpath S)                       the path is S or below S
//	(regex R)                         R matches the path (unanchored search)
//	(require-all F...)                all match
//	(require-any F...)                one matches
//	(require-not F)                   F does not match
//	(remote ip "H:P")                 outbound only; remote endpoint, H is
//	                                  localhost (any loopback address) or *,
//	                                  P a port or *
//	(local ip "H:P")                  the local endpoint (bind, inbound; also
//	                                  the local side of an outbound socket)
//	(remote unix-socket [(path-literal S)])  outbound to that socket, or any
//	(local unix-socket [(path-literal S)])   bind or inbound on it, or any
//	(global-name S)                   mach-lookup of service S
//	(sysctl-name S) (sysctl-name-prefix S)   sysctl names
//	(ipc-posix-name S)                POSIX IPC object S
//	(target same-sandbox)             signal and process-info to this sandbox
//	"..."                             string: \" \\ \n \t \r \xHH escapes
//	(param "N")                       the value bound to N; unbound is an error
//	(string-append S...)              concatenation
//	(regex-quote S)                   S with \.+*?()|[]{}^$ escaped
//
// Regexes must be in the dialect compileRegex documents (POSIX extended
// and Go read it alike); (?i), backreferences, intervals, character class
// names and raw #"..." strings are rejected, as is every form, filter,
// operation and modifier (with ...) not in the table.
//
// # Limitations
//
//   - Nothing here has been run under sandbox-exec on macOS by this
//     project: the evaluator models the semantics above, which follow the
//     public descriptions of SBPL; where macOS differs, so may the
//     sandbox.
//   - Regexes are evaluated rune by rune (Go); whether Apple's matcher
//     treats a multi-byte letter in a bracket expression as one character
//     is not verified. Case folding follows unicode.ToLower as ir.Decide
//     does, not the volume's own folding or normalisation (NFD).
//   - Glob negation ([!x]), "**" inside a component, braces holding "/" or
//     "**", and "*" right before braces are refused: doublestar, which
//     ir.Decide uses, gives them meanings no regex can follow.
//   - Deny globs under the root itself or exactly /private are not
//     emitted in /tmp, /var, /etc spellings; the kernel checks resolved
//     paths, so only the /private form matters there.
//   - A deny glob guards names: renaming a directory it matches through
//     (not its literal prefix) can move files out of its reach.
//   - process-exec is allowed everywhere; a denied binary cannot be read
//     but can be run. Metadata of the paths in data/metadata.sb stays
//     readable under any deny.
//   - The per-user cache directory Codex makes writable with network on is
//     not granted: grant it in the profile if a tool needs it.
//   - :slash_tmp is /private/tmp, which always exists on macOS; the
//     binding's SlashTmp is not consulted.
//   - Unix socket rules apply only when the profile has network; with
//     enabled = false no socket is reachable but the syslog one.
//   - At most WorkspaceSlots workspace roots (runtime and profile roots
//     together); the loader refuses more.
package seatbelt
