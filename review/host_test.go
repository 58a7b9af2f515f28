package review

import (
	"strings"
	"testing"

	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// The cases numeric-host-alias and loopback-literal-allowlisted, and the
// network modes.
const netConfig = `default_permissions = "p"

[permissions.p.filesystem]
":root" = "read"

[permissions.p.network]
enabled = true

[permissions.p.network.domains]
"*" = "allow"
"169.254.169.254" = "deny"
"127.0.0.1" = "allow"
"ads.example.com" = "deny"
"**.corp.example" = "allow"

[permissions.off.filesystem]
":root" = "read"

[permissions.off.network]
enabled = false

[permissions.full.filesystem]
":root" = "read"

[permissions.full.network]
enabled = true

[permissions.empty.filesystem]
":root" = "read"

[permissions.empty.network]
enabled = true

[permissions.empty.network.domains]

[permissions.local.filesystem]
":root" = "read"

[permissions.local.network]
enabled = true
allow_local_binding = true

[permissions.local.network.domains]
"localhost" = "allow"
`

func TestExplainHost(t *testing.T) {
	fs := files{"net.toml": netConfig}
	tests := []struct {
		profile string
		host    string
		allowed bool
		canon   string
		port    int
		by      string // the deciding pattern
		allow   []string
		deny    []string
		guard   string // "pass", "refuse" or "" for a name; " (unreached)" when the rules refused first
		resolve bool
		reason  string
	}{
		// Every spelling of a denied address is denied by its rule.
		{"p", "169.254.169.254", false, "169.254.169.254", 0, "169.254.169.254", []string{"*"}, []string{"169.254.169.254"}, "refuse (unreached)", false, "deny wins"},
		{"p", "2852039166", false, "169.254.169.254", 0, "169.254.169.254", nil, nil, "refuse (unreached)", false, "denied by"},
		{"p", "0xa9fea9fe:80", false, "169.254.169.254", 80, "169.254.169.254", nil, nil, "refuse (unreached)", false, "denied by"},
		{"p", "0251.0376.0251.0376", false, "169.254.169.254", 0, "169.254.169.254", nil, nil, "refuse (unreached)", false, "denied by"},
		{"p", "169.254.43518", false, "169.254.169.254", 0, "169.254.169.254", nil, nil, "refuse (unreached)", false, "denied by"},
		{"p", "169.254.169.254.", false, "169.254.169.254", 0, "169.254.169.254", nil, nil, "refuse (unreached)", false, "denied by"},
		{"p", "[::ffff:169.254.169.254]:443", false, "169.254.169.254", 443, "169.254.169.254", nil, nil, "refuse (unreached)", false, "denied by"},
		{"p", "::ffff:a9fe:a9fe", false, "169.254.169.254", 0, "169.254.169.254", nil, nil, "refuse (unreached)", false, "denied by"},
		{"p", "%31%36%39.254.169.254", false, "169.254.169.254", 0, "169.254.169.254", nil, nil, "refuse (unreached)", false, "denied by"},
		// "*" allows names, which the proxy resolves; explain does not.
		{"p", "Example.COM.", true, "example.com", 0, "*", []string{"*"}, nil, "", true, "resolves"},
		{"p", "ads.example.com", false, "ads.example.com", 0, "ads.example.com", []string{"*"}, []string{"ads.example.com"}, "", false, "deny wins"},
		{"p", "corp.example", true, "corp.example", 0, "**.corp.example", []string{"*", "**.corp.example"}, nil, "", true, ""},
		// "*" matches an IP literal, and the guard then decides.
		{"p", "8.8.8.8", true, "8.8.8.8", 0, "*", nil, nil, "pass", false, "not in a local or private range"},
		{"p", "10.0.0.1", false, "10.0.0.1", 0, "*", nil, nil, "refuse", false, "private 10.0.0.0/8"},
		{"p", "2130706433", true, "127.0.0.1", 0, "127.0.0.1", nil, nil, "pass", false, "exact allow entry"},
		{"p", "127.0.0.2", false, "127.0.0.2", 0, "*", nil, nil, "refuse", false, "loopback"},
		{"p", "localhost:8080", false, "localhost", 8080, "*", nil, nil, "refuse", false, `allow "localhost" exactly`},
		{"p", "[::1]", false, "::1", 0, "*", nil, nil, "refuse", false, "loopback"},
		// Modes.
		{"off", "example.com", false, "example.com", 0, "", nil, nil, "", false, "network is off"},
		{"full", "10.0.0.1", true, "10.0.0.1", 0, "", nil, nil, "", false, "unfiltered"},
		{"empty", "example.com", false, "example.com", 0, "", nil, nil, "", false, "domains table is empty"},
		{"local", "localhost", true, "localhost", 0, "localhost", nil, nil, "pass", false, "allow_local_binding"},
		{"local", "example.com", false, "example.com", 0, "", nil, nil, "", false, "not allowlisted"},
		// A literal the rules refuse still shows what the guard would say.
		{"empty", "10.1.2.3", false, "10.1.2.3", 0, "", nil, nil, "refuse (unreached)", false, "domains table is empty"},
		{"empty", "8.8.4.4", false, "8.8.4.4", 0, "", nil, nil, "pass (unreached)", false, "domains table is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.profile+" "+tc.host, func(t *testing.T) {
			l := load(t, fs, passes.Options{Profile: tc.profile}, "net.toml")
			e, err := ExplainHost(l, HostQuery{Host: tc.host, Targets: ir.Targets})
			if err != nil {
				t.Fatal(err)
			}
			if e.Allowed != tc.allowed || e.Host != tc.canon || e.Port != tc.port || e.Resolve != tc.resolve {
				t.Errorf("allowed %v host %q port %d resolve %v; want %v %q %d %v (%s)",
					e.Allowed, e.Host, e.Port, e.Resolve, tc.allowed, tc.canon, tc.port, tc.resolve, e.Reason)
			}
			by := ""
			if e.DecidedBy != nil {
				by = e.DecidedBy.Pattern
			}
			if by != tc.by {
				t.Errorf("decided by %q, want %q", by, tc.by)
			}
			if tc.allow != nil && strings.Join(patterns(e.Allow), " ") != strings.Join(tc.allow, " ") {
				t.Errorf("matching allows %v, want %v", patterns(e.Allow), tc.allow)
			}
			if tc.deny != nil && strings.Join(patterns(e.Deny), " ") != strings.Join(tc.deny, " ") {
				t.Errorf("matching denies %v, want %v", patterns(e.Deny), tc.deny)
			}
			guard := ""
			if e.Guard != nil {
				guard = map[bool]string{true: "pass", false: "refuse"}[e.Guard.Passed]
				if !e.Guard.Reached {
					guard += " (unreached)"
				}
			}
			if guard != tc.guard {
				t.Errorf("guard %q (%+v), want %q", guard, e.Guard, tc.guard)
			}
			if !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", e.Reason, tc.reason)
			}
		})
	}
}

func patterns(rs []DomainRule) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Pattern)
	}
	return out
}

func TestExplainHostText(t *testing.T) {
	l := load(t, files{"net.toml": netConfig}, passes.Options{}, "net.toml")
	e, err := ExplainHost(l, HostQuery{Host: "0xa9.0xfe.0xa9.0xfe:80", Targets: []ir.Target{ir.Linux}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	WriteHostText(&b, e)
	for _, want := range []string{
		`169.254.169.254 port 80 (canonical form of "0xa9.0xfe.0xa9.0xfe:80")`,
		"network: through the domain-filtering proxy (enabled at net.toml:7)",
		`matching allow: "*" = "allow" at net.toml:10`,
		`matching deny:  "169.254.169.254" = "deny" at net.toml:11`,
		"answer: denied:",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	if _, err := ExplainHost(l, HostQuery{Host: "http://localhost"}); err == nil ||
		!strings.Contains(err.Error(), `not a url: remove "http://"`) {
		t.Errorf("a url: %v", err)
	}
	for _, bad := range []string{"bad host", "example.com:0", "example.com:99999", ""} {
		if _, err := ExplainHost(l, HostQuery{Host: bad}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// The network settings' enforceability diagnostics come with the answer.
func TestExplainHostDiagnostics(t *testing.T) {
	l := load(t, files{"net.toml": netConfig}, passes.Options{}, "net.toml")
	e, _ := ExplainHost(l, HostQuery{Host: "example.com", Targets: []ir.Target{ir.Windows}})
	found := false
	for _, d := range e.Diagnostics {
		found = found || d.Target == "windows" && strings.Contains(d.Message, "unelevated")
	}
	if !found {
		t.Errorf("no windows unelevated diagnostic: %v", e.Diagnostics)
	}
}

// The guard's answer for a cloud metadata address does not suggest how to
// open it.
func TestExplainMetadataAddress(t *testing.T) {
	l := load(t, files{"net.toml": netConfig}, passes.Options{Profile: "empty"}, "net.toml")
	e, err := ExplainHost(l, HostQuery{Host: "169.254.169.254"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Guard == nil || e.Guard.Passed || !strings.Contains(e.Guard.Why, "cloud metadata address") ||
		strings.Contains(e.Guard.Why, "allow_local_binding") {
		t.Errorf("guard: %+v", e.Guard)
	}
}
