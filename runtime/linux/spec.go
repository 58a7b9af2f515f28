package linux

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/permc/permc/backend/bwrap"
)

// Exit statuses of permc run that are not the command's own.
const (
	ExitSetup      = 125 // permc failed; nothing ran
	ExitCannotExec = 126 // the command was found but could not be executed
	ExitNotFound   = 127 // the command was not found
)

// InnerArg is the argument that makes permc run as the inner stage.
const InnerArg = "__permc-inner"

// RelayArg makes permc run as the proxy relay inside the sandbox.
const RelayArg = "__permc-relay"

// Descriptors the parent hands to bwrap, and through it to the inner stage.
// Mount descriptors follow from FirstMountFD on.
const (
	fdArgs       = 3 // bwrap --args: NUL-separated arguments
	fdSpec       = 4 // the inner stage's Spec, as JSON
	fdStatus     = 5 // the inner stage's status records
	fdInfo       = 6 // bwrap --info-fd: the sandboxed child's pid
	fdExe        = 7 // permc itself, executed as /proc/self/fd/7
	fdAck        = 8 // the parent's byte: it holds the seccomp listener
	FirstMountFD = 9
)

// Spec is what the inner stage needs to finish the sandbox and exec.
type Spec struct {
	Argv []string `json:"argv"`
	Env  []string `json:"env"`
	Dir  string   `json:"dir"`
	// Landlock is the resolved ruleset (paths made concrete), applied by
	// ApplyLandlock; nil applies none.
	Landlock json.RawMessage `json:"landlock,omitempty"`
	// Seccomp is the raw filter for this machine's architecture.
	Seccomp []byte `json:"seccomp"`
	// Pins are symlinked metadata whose names the inner stage pins by
	// mounting each link on itself, while it still holds CAP_SYS_ADMIN in
	// the sandbox's user namespace; it then drops every capability.
	Pins []bwrap.Pin `json:"pins,omitempty"`
	// Direct says the inner stage runs without bubblewrap (the Landlock-only
	// mode): there is no user namespace, so an unprivileged caller cannot
	// empty its capability bounding set; no_new_privs then keeps execve from
	// gaining anything from it.
	Direct bool `json:"direct,omitempty"`
	// Broker says the filter hands connect to permc's broker: the inner
	// stage loads it with a listener, reports the listener's descriptor
	// ("L<n>") and waits for the parent's byte on fdAck before it closes
	// its copy and execs.
	Broker bool `json:"broker,omitempty"`
	// Relay, when set, starts the proxy relay before the command.
	Relay *RelaySpec `json:"relay,omitempty"`
	// Verbose makes the inner stage say what it applied, on stderr.
	Verbose bool `json:"verbose,omitempty"`
	// Guards are deny-glob masks the inner stage checks before anything
	// else, with every mount in place (CheckGuards).
	Guards []Guard `json:"guards,omitempty"`
}

// Guard is one deny-glob mask as the sandbox must see it. Masks are
// mounted by path, and bubblewrap creates a destination that is missing;
// another sandbox on the same tree can move a matched folder away for
// that moment, let the mask land on a stand-in, then remove the stand-in
// (which detaches the mask) and move the folder back. The guard sees both
// halves: the folder holding the match must be the one the scan read, and
// the match must be the mask.
type Guard struct {
	Path string `json:"path"`
	// Dev and Ino, when Ino is set, are the mask file's: a file match.
	Dev uint64 `json:"dev,omitempty"`
	Ino uint64 `json:"ino,omitempty"`
	// Mount says Path is a tmpfs mask: a directory on another device
	// than its folder.
	Mount bool `json:"mount,omitempty"`
	// ParentDev and ParentIno, when ParentIno is set, are the folder's
	// identity when the scan read it.
	ParentDev uint64 `json:"parent_dev,omitempty"`
	ParentIno uint64 `json:"parent_ino,omitempty"`
	// Bind says Path is a bind of the plan, Dev and Ino its source's.
	Bind bool `json:"bind,omitempty"`
}

// RelaySpec tells the inner stage where the proxy relay listens inside the
// sandbox and which descriptor reaches the host side.
type RelaySpec struct {
	Listeners []RelayListener `json:"listeners"`
	// DirFD is the descriptor of permc's private socket directory, as the
	// inner stage receives it.
	DirFD int `json:"dir_fd"`
	// Seccomp is the relay's filter: the command's, with Unix sockets
	// allowed so it can reach the proxy.
	Seccomp []byte `json:"seccomp"`
}

// RelayListener is one listener of the relay.
type RelayListener struct {
	Addr   string `json:"addr"`   // host:port inside the network namespace
	Socket string `json:"socket"` // the proxy's socket name in the directory
}

// Status records written by the inner stage on fdStatus. "M" says bwrap's
// mounts are in place; "L<n>" that the seccomp listener is descriptor n
// (with a broker only). "R" means every
// layer is in place and execve is next; "E<code> <message>" is a failure
// of permc's own or of execve. The descriptor is close-on-exec, so after a
// successful execve the parent reads EOF. No record at all means bwrap
// failed before the inner stage started.
type Status struct {
	Ready bool
	Code  int // 0 when no error was reported
	Msg   string
}

// ReadStatus reads records until EOF; the last error wins.
func ReadStatus(r io.Reader) Status {
	data, _ := io.ReadAll(r)
	var st Status
	for _, rec := range strings.Split(string(data), "\x00") {
		switch {
		case rec == "R":
			st.Ready = true
		case strings.HasPrefix(rec, "E"):
			code, msg, _ := strings.Cut(rec[1:], " ")
			n, err := strconv.Atoi(code)
			if err != nil {
				n = ExitSetup
			}
			st.Code, st.Msg = n, msg
		}
	}
	return st
}

func errRecord(code int, format string, args ...any) []byte {
	return []byte(fmt.Sprintf("E%d %s\x00", code, fmt.Sprintf(format, args...)))
}

// CheckUTF8 refuses a value holding a string that is not valid UTF-8: the
// plan reaches the inner stage as JSON, which would carry such a string
// with U+FFFD in place of each bad byte, as another argument or another
// path (a Landlock grant on a sibling folder). Refusing is the safe side
// until the plan has an encoding that keeps bytes.
func CheckUTF8(v any) error {
	if s, ok := badString(reflect.ValueOf(v)); ok {
		return fmt.Errorf("%q is not valid UTF-8, which permc cannot yet pass to the sandbox unchanged; "+
			"nothing ran", shownPrefix(s))
	}
	return nil
}

// shownPrefix is what an error may show of s: the part before its first
// invalid byte, and of a NAME=value string only the name, since an
// environment variable's value can be a secret bound for a CI log.
func shownPrefix(s string) string {
	end := 0
	for end < len(s) {
		r, n := utf8.DecodeRuneInString(s[end:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		end += n
	}
	p := s[:end]
	if i := strings.IndexByte(p, '='); i >= 0 {
		p = p[:i+1]
	}
	if len(p) > 64 {
		p = p[:64]
	}
	return p + "…"
}

func badString(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return v.String(), true
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return badString(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if s, ok := badString(v.Field(i)); ok {
				return s, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // bytes, not text
		}
		for i := range v.Len() {
			if s, ok := badString(v.Index(i)); ok {
				return s, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if s, ok := badString(it.Key()); ok {
				return s, true
			}
			if s, ok := badString(it.Value()); ok {
				return s, true
			}
		}
	}
	return "", false
}
