package windows

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/permc/permc/backend/winacl"
)

// Firewall rules are added with PowerShell's New-NetFirewallRule (module
// NetSecurity), the documented interface that scopes a rule to a local
// user (-LocalUser takes an SDDL naming the user). netsh advfirewall has
// no such condition, and INetFwPolicy2 needs COM. The script is passed
// with -EncodedCommand (Base64 of UTF-16LE), so no quoting of the command
// line is involved; values inside it are single-quoted PowerShell strings.

// firewallGroup groups every rule permc adds, for finding them again.
const firewallGroup = "permc"

// firewallStep adds one block rule; its undo removes it by name.
func firewallStep(id string, r *winacl.FirewallRule) Step {
	name := "permc-" + id + "-" + r.Name
	return Step{Op: OpFirewall, Name: name, Script: addRuleScript(name, r),
		Undo: removeRuleScript(name), Origin: r.Origin}
}

// addRuleScript removes a rule of the same name first, so adding is
// idempotent, then adds the rule.
func addRuleScript(name string, r *winacl.FirewallRule) string {
	dir := map[string]string{"out": "Outbound", "in": "Inbound"}[r.Direction]
	args := []string{
		"-Name " + psQuote(name), "-DisplayName " + psQuote(name),
		"-Group " + psQuote(firewallGroup), "-Direction " + dir,
		"-Action Block", "-Profile Any", "-Protocol " + psProtocol(r.Protocol),
		"-LocalUser " + psQuote("O:LSD:(A;;CC;;;"+string(r.LocalUser)+")"),
	}
	if len(r.Remote) > 0 {
		args = append(args, "-RemoteAddress "+psList(r.Remote))
	}
	if len(r.Ports) > 0 {
		args = append(args, "-RemotePort "+psList(r.Ports))
	}
	return "$ErrorActionPreference = 'Stop'\n" + removeRuleScript(name) +
		"New-NetFirewallRule " + strings.Join(args, " ") + " | Out-Null\n"
}

func removeRuleScript(name string) string {
	return "Remove-NetFirewallRule -Name " + psQuote(name) + " -ErrorAction SilentlyContinue\n"
}

func psProtocol(p string) string {
	switch p {
	case "tcp":
		return "TCP"
	case "udp":
		return "UDP"
	}
	return "Any"
}

// psQuote quotes s as a PowerShell single-quoted string.
func psQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func psList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = psQuote(v)
	}
	return "@(" + strings.Join(q, ",") + ")"
}

// PowerShellArgv is the exact argv that runs script: Windows PowerShell by
// absolute path, no profile, no prompts, the script Base64-encoded.
func PowerShellArgv(systemRoot, script string) []string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return []string{systemRoot + `\System32\WindowsPowerShell\v1.0\powershell.exe`,
		"-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
		"-EncodedCommand", base64.StdEncoding.EncodeToString(b)}
}

// placeholders are every placeholder a manifest may hold.
var placeholders = []winacl.SID{winacl.PhSandboxUser, winacl.PhSandboxGroup,
	winacl.PhAppContainer, winacl.PhCapability, winacl.PhLogon, winacl.PhCurrentUser}

// bindText replaces every placeholder in s by its SID, and fails if one
// is left unbound.
func bindText(s string, bind map[winacl.SID]winacl.SID) (string, error) {
	for ph, sid := range bind {
		s = strings.ReplaceAll(s, string(ph), string(sid))
	}
	for _, ph := range placeholders {
		if strings.Contains(s, string(ph)) {
			return "", fmt.Errorf("unbound placeholder %s", ph)
		}
	}
	return s, nil
}
