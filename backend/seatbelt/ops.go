package seatbelt

import "strings"

// Operations holds every exact operation name the evaluator models.
var Operations = []string{
	"file-read-data", "file-read-metadata", "file-read-xattr",
	"file-write-data", "file-write-create", "file-write-unlink", "file-write-mode",
	"file-write-owner", "file-write-flags", "file-write-times", "file-write-setugid",
	"file-write-xattr", "file-ioctl", "file-link", "file-clone", "file-map-executable",
	"file-test-existence",
	"process-exec", "process-fork",
	"process-info-pidinfo", "process-info-listpids", "process-info-rusage",
	"process-info-setcontrol", "process-info-dirtycontrol", "process-info-codesignature",
	"signal", "sysctl-read", "sysctl-write", "mach-lookup",
	"ipc-posix-sem", "ipc-posix-shm-read-data", "ipc-posix-shm-read-metadata",
	"ipc-posix-shm-write-data", "ipc-posix-shm-write-create", "ipc-posix-shm-write-unlink",
	"pseudo-tty", "network-outbound", "network-inbound", "network-bind",
	"system-socket", "user-preference-read",
}

// Families are the wildcard operation names the evaluator models; each
// covers the operations whose name starts with it, without the "*".
// "default" covers every operation.
var Families = []string{
	"default", "file*", "file-read*", "file-write*", "process*", "process-info*",
	"network*", "ipc-posix-shm*", "ipc-posix-shm-read*", "ipc-posix-shm-write*", "sysctl*",
}

var (
	opSet     = toSet(Operations)
	familySet = toSet(Families)
)

func toSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// knownOp reports whether name is an operation or family the reader takes.
func knownOp(name string) bool { return opSet[name] || familySet[name] }

// covers reports whether the operation name or family pattern applies to
// the exact operation op.
func covers(pattern, op string) bool {
	switch {
	case pattern == "default":
		return true
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(op, strings.TrimSuffix(pattern, "*"))
	}
	return pattern == op
}

// filterCategory is which request field a leaf filter looks at.
type filterCategory uint8

const (
	catPath filterCategory = iota
	catNet
	catMach
	catSysctl
	catIPC
	catTarget
)

// opTakes reports whether a filter of category c means something for the
// operation or family op; a form mixing them is rejected.
func opTakes(op string, c filterCategory) bool {
	switch c {
	case catPath:
		return strings.HasPrefix(op, "file") || op == "process-exec"
	case catNet:
		return strings.HasPrefix(op, "network")
	case catMach:
		return op == "mach-lookup"
	case catSysctl:
		return strings.HasPrefix(op, "sysctl")
	case catIPC:
		return strings.HasPrefix(op, "ipc-posix")
	case catTarget:
		return op == "signal" || strings.HasPrefix(op, "process-info")
	}
	return false
}
