package seatbelt

import (
	"net/url"
	"strings"
)

// UnboundPrefix is where the loader points a parameter whose root does not
// exist on this machine (no $TMPDIR, an unused workspace slot). /dev/null
// is a character device, so nothing can exist below it: subpath, literal
// and regex rules rooted there match no file the sandbox can reach.
const UnboundPrefix = "/dev/null/.permc-unbound/"

// paramDocs describes every parameter a profile can use, in manifest order.
var paramDocs = []Param{
	{Name: "HOME", Source: "home", Form: "path",
		Meaning: "the user's home directory, absolute and canonical (/private form)"},
	{Name: "HOME_RE", Source: "home", Form: "regex",
		Meaning: "FoldRegex(HOME): the home directory as a case-folded regex fragment"},
	{Name: "HOME_UP_RE", Source: "home", Form: "anchored-regex",
		Meaning: "UpRegex(HOME): the home directory and each of its ancestors"},
	{Name: "TMPDIR", Source: "tmpdir", Form: "path",
		Meaning: "$TMPDIR, absolute and canonical (/private/var/folders/...); " +
			"when unset, UnboundPrefix+\"TMPDIR\""},
	{Name: "TMPDIR_RE", Source: "tmpdir", Form: "regex",
		Meaning: "FoldRegex(TMPDIR)"},
	{Name: "TMPDIR_UP_RE", Source: "tmpdir", Form: "anchored-regex",
		Meaning: "UpRegex(TMPDIR); when unset, a regex matching only the unbound path"},
	{Name: "WORKSPACE_ROOTS_RE", Source: "workspace_roots", Form: "regex",
		Meaning: "\"(\" + the FoldRegex of each bound workspace root joined by \"|\" + \")\""},
	{Name: "WORKSPACE_ROOTS_UP_RE", Source: "workspace_roots", Form: "anchored-regex",
		Meaning: "the workspace roots and their ancestors: " +
			"UpRegex of each root, joined by \"|\" inside ^(...)$"},
	{Name: "PROTECTED_READ_RE", Source: "protected_read", Form: "regex",
		Meaning: "\"(\" + RegexQuote of each protected path (.git, .agents, .codex, " +
			"a linked worktree's gitdir) of the readable workspace roots, " +
			"minus those a rule names, joined by \"|\" + \")\""},
	{Name: "PROTECTED_READ_FOLD_RE", Source: "protected_read", Form: "regex",
		Meaning: "the same paths as PROTECTED_READ_RE, each as its FoldRegex: the \"no writes\" half " +
			"of the protection is a deny, folded as every deny is"},
	{Name: "PROTECTED_DENY_RE", Source: "protected_deny", Form: "regex",
		Meaning: "the same for workspace roots the profile does not let the sandbox read"},
	{Name: "PROXY_PORT", Source: "proxy_port", Form: "port",
		Meaning: "the loopback port of permc's HTTP proxy"},
	{Name: "SOCKS_PORT", Source: "socks_port", Form: "port",
		Meaning: "the loopback port of permc's SOCKS5 proxy"},
	{Name: "SOCKS_UDP_PORT", Source: "socks_udp_port", Form: "port",
		Meaning: "the loopback port of the SOCKS5 UDP relay, by default the SOCKS port; " +
			"the proxy must announce this fixed port"},
}

// paramList returns the documented parameters the profile uses: fixed
// ones in paramDocs order, then the workspace slots.
func (c *compiler) paramList() []Param {
	var out []Param
	for _, d := range paramDocs {
		if c.w.params[d.Name] {
			d.Default = c.portDefault(d.Source)
			out = append(out, d)
		}
	}
	for i := 0; i < WorkspaceSlots; i++ {
		if !c.w.params[slotName(i)] {
			continue
		}
		slot := i
		out = append(out, Param{Name: slotName(i), Source: "workspace_root", Form: "path", Slot: &slot,
			Meaning: "a workspace root (runtime roots first, then the profile's), canonical; " +
				"unused slots UnboundPrefix+name"})
	}
	return out
}

// portDefault is the port the policy configured for a proxy listener.
func (c *compiler) portDefault(source string) string {
	switch source {
	case "proxy_port":
		return urlPort(c.p.Net.ProxyURL)
	case "socks_port", "socks_udp_port":
		return urlPort(c.p.Net.SOCKSURL)
	}
	return ""
}

func urlPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Port() == "" {
		return ""
	}
	return strings.TrimSpace(u.Port())
}
