package ir

import (
	"path"
	"strings"
)

// IsPosixAbs reports whether p is an absolute macOS/Linux path.
func IsPosixAbs(p string) bool { return strings.HasPrefix(p, "/") }

// IsWindowsAbs reports whether p is an absolute Windows path: a drive path
// (C:\x or C:/x), a UNC path (\\server\share), or a verbatim \\?\ form.
func IsWindowsAbs(p string) bool {
	_, ok := splitWindows(p)
	return ok
}

// SplitPath returns the components of the absolute path p as target t
// sees it, or false when p is not an absolute path of t. On macOS the
// /tmp, /var and /etc links are resolved into /private, in any case (on
// the case-insensitive volume macOS boots from, /TMP is the /tmp link).
// Windows drive and UNC prefixes become the first component.
func SplitPath(t Target, p string) ([]string, bool) {
	if t == Windows {
		return splitWindows(p)
	}
	if !IsPosixAbs(p) {
		return nil, false
	}
	comps := splitPosix(path.Clean(p))
	if t == MacOS && len(comps) > 0 {
		switch link := strings.ToLower(comps[0]); link {
		case "tmp", "var", "etc":
			comps = append([]string{"private", link}, comps[1:]...)
		}
	}
	return comps, true
}

func splitPosix(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// splitWindows splits a Windows absolute path, normalising verbatim forms.
func splitWindows(p string) ([]string, bool) {
	p = strings.ReplaceAll(p, "/", `\`)
	switch {
	case strings.HasPrefix(p, `\\?\UNC\`):
		p = `\\` + p[len(`\\?\UNC\`):]
	case strings.HasPrefix(p, `\\?\`), strings.HasPrefix(p, `\\.\`):
		p = p[4:]
	}
	var head string
	var rest string
	switch {
	case strings.HasPrefix(p, `\\`):
		parts := strings.SplitN(p[2:], `\`, 3)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return nil, false
		}
		head = `\\` + parts[0] + `\` + parts[1]
		if len(parts) == 3 {
			rest = parts[2]
		}
	case len(p) >= 3 && isDriveLetter(p[0]) && p[1] == ':' && p[2] == '\\':
		head = strings.ToUpper(p[:2])
		rest = p[3:]
	case len(p) == 2 && isDriveLetter(p[0]) && p[1] == ':':
		head = strings.ToUpper(p)
	default:
		return nil, false
	}
	comps := []string{head}
	for _, c := range strings.Split(rest, `\`) {
		switch c {
		case "", ".":
		case "..":
			if len(comps) > 1 {
				comps = comps[:len(comps)-1]
			}
		default:
			comps = append(comps, c)
		}
	}
	return comps, true
}

func isDriveLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// JoinPath renders components produced by SplitPath as a path of t.
func JoinPath(t Target, comps []string) string {
	if t == Windows {
		if len(comps) == 0 {
			return ""
		}
		if len(comps) == 1 && !strings.HasPrefix(comps[0], `\\`) {
			return comps[0] + `\`
		}
		return strings.Join(comps, `\`)
	}
	return "/" + strings.Join(comps, "/")
}

// CleanPath returns the canonical spelling of the absolute path p on t.
func CleanPath(t Target, p string) (string, bool) {
	c, ok := SplitPath(t, p)
	if !ok {
		return "", false
	}
	return JoinPath(t, c), true
}

// foldComp returns the comparison key of one component on t. Windows
// compares case-insensitively; macOS too when fold is set (denies).
func foldComp(t Target, c string, fold bool) string {
	if t == Windows || (t == MacOS && fold) {
		return strings.ToLower(c)
	}
	return c
}

// hasPrefixComps reports whether pre is an ancestor-or-self of p.
func hasPrefixComps(t Target, pre, p []string, fold bool) bool {
	if len(pre) > len(p) {
		return false
	}
	for i := range pre {
		if foldComp(t, pre[i], fold) != foldComp(t, p[i], fold) {
			return false
		}
	}
	return true
}

// HasGlobMeta reports whether s holds glob metacharacters of the spec's
// dialect (*, ?, [).
func HasGlobMeta(s string) bool { return strings.ContainsAny(s, "*?[") }
