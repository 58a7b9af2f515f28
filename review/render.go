package review

import (
	"fmt"
	"io"
	"strings"

	"github.com/permc/permc/ir"
)

// WriteDiffText renders r as plain text, fit for a pull-request comment.
// Lines of widening changes start with "+", of narrowing ones with "-",
// of neutral ones with "~".
func WriteDiffText(w io.Writer, r *Report) {
	fmt.Fprintf(w, "permc diff %s %s%s\n", r.Old, r.New, belowText(r, "", ""))
	if len(r.Profiles) == 0 && r.InEffect == nil {
		fmt.Fprintln(w, "no semantic change")
		writeUnchanged(w, r)
		return
	}
	for i := range r.Profiles {
		writeProfileText(w, r, &r.Profiles[i], "profile "+r.Profiles[i].Name)
	}
	if ie := r.InEffect; ie != nil {
		head := fmt.Sprintf("in effect: %s → %s", ie.Old, ie.New)
		if ie.Diff == nil {
			fmt.Fprintln(w, head)
		} else {
			writeProfileText(w, r, ie.Diff, head)
		}
	}
	writeUnchanged(w, r)
	if r.Widened {
		fmt.Fprintln(w, "result: access widened")
	} else {
		fmt.Fprintln(w, "result: access did not widen")
	}
}

func writeUnchanged(w io.Writer, r *Report) {
	if len(r.Unchanged) > 0 {
		fmt.Fprintf(w, "unchanged: %s\n", strings.Join(r.Unchanged, ", "))
	}
}

func writeProfileText(w io.Writer, r *Report, d *ProfileDiff, head string) {
	switch d.Status {
	case Added:
		switch {
		case d.Widened:
			fmt.Fprintf(w, "%s: added (widens access: it can be selected)\n", head)
		case d.NoWiderThan != "":
			fmt.Fprintf(w, "%s: added, opening nothing that %s, the old policy in effect, did not\n", head, d.NoWiderThan)
		default:
			fmt.Fprintf(w, "%s: now compiled (a built-in; see the policy in effect)\n", head)
		}
		return
	case Removed:
		fmt.Fprintf(w, "%s: removed\n", head)
		return
	}
	if d.empty() {
		fmt.Fprintf(w, "%s: equivalent (every probe decides the same)\n", head)
		return
	}
	fmt.Fprintf(w, "%s: %s\n", head, widenWords(d.Widened))
	if len(d.Paths) > 0 {
		fmt.Fprintln(w, "  paths:")
	}
	for _, c := range d.Paths {
		fmt.Fprintf(w, "    %s %s: %s → %s%s%s\n", mark(c.Widens, true), c.Path,
			accessWords(c.From), accessWords(c.To), targetWords(r, c.Targets), whenWords(c.When))
		fmt.Fprintf(w, "        old: %s\n", ruleWords(c.Old))
		fmt.Fprintf(w, "        new: %s\n", ruleWords(c.New))
	}
	if len(d.Network) > 0 {
		fmt.Fprintln(w, "  settings:")
	}
	for _, c := range d.Network {
		fmt.Fprintf(w, "    %s %s: %s → %s%s\n", mark(c.Widens, narrows(c)), c.Setting, c.From, c.To, atWords(c.Old, c.New))
	}
	if len(d.Hosts) > 0 {
		fmt.Fprintln(w, "  hosts:")
	}
	for _, c := range d.Hosts {
		fmt.Fprintf(w, "    %s %s: %s → %s\n", mark(c.Widens, true), c.Host, c.From, c.To)
		fmt.Fprintf(w, "        old: %s\n", c.Old)
		fmt.Fprintf(w, "        new: %s\n", c.New)
	}
	if len(d.Sockets) > 0 {
		fmt.Fprintln(w, "  unix sockets:")
	}
	for _, c := range d.Sockets {
		fmt.Fprintf(w, "    %s %s: %s (%s)\n", mark(c.Widens, true), c.Path, socketWords(c.Allowed), c.At)
	}
	if len(d.Globs) > 0 {
		fmt.Fprintln(w, "  glob rules (compared rule by rule: a changed pattern is its old rule removed "+
			"and the new one added):")
	}
	for _, c := range d.Globs {
		fmt.Fprintf(w, "    %s %s: %s → %s\n", mark(c.Widens, true), c.Setting, c.From, c.To)
		if c.Old != "" {
			fmt.Fprintf(w, "        old: %s\n", c.Old)
		}
		if c.New != "" {
			fmt.Fprintf(w, "        new: %s\n", c.New)
		}
	}
	if len(d.Build) > 0 {
		fmt.Fprintln(w, "  build options:")
	}
	for _, c := range d.Build {
		fmt.Fprintf(w, "    %s %s: %s → %s%s\n", mark(c.Widens, true), c.Setting, c.From, c.To,
			buildWords(c))
	}
}

// buildWords says what a build option grants on Windows.
func buildWords(c SettingChange) string {
	if c.Setting == "--windows-tool-folders" {
		return " (windows: the sandbox may read and run what is under %LOCALAPPDATA%\\Programs and " +
			"%LOCALAPPDATA%\\Microsoft\\WindowsApps)"
	}
	return ""
}

// narrows reports whether a setting change that does not widen closes
// something (a neutral change, such as a listener URL, does neither).
func narrows(c SettingChange) bool {
	switch c.Setting {
	case "proxy_url", "socks_url":
		return false
	case "network mode":
		return true
	}
	return c.From == "true" || c.Setting == "glob_scan_max_depth"
}

// mark is "+" for widening, "-" for narrowing, "~" otherwise.
func mark(widens, changes bool) string {
	switch {
	case widens:
		return "+"
	case changes:
		return "-"
	}
	return "~"
}

func widenWords(w bool) string {
	if w {
		return "changed, widens access"
	}
	return "changed, does not widen access"
}

func accessWords(a ir.Access) string {
	switch a {
	case ir.Write:
		return "write"
	case ir.Read:
		return "read"
	}
	return "no access"
}

func socketWords(allowed bool) string {
	if allowed {
		return "now allowed"
	}
	return "no longer allowed"
}

func targetWords(r *Report, ts []ir.Target) string {
	if len(ts) == len(r.Targets) {
		return ""
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return " (" + strings.Join(s, ", ") + ")"
}

func ruleWords(r *Rule) string {
	if r == nil {
		return "no entry covers it"
	}
	return r.String()
}

func atWords(old, new string) string {
	switch {
	case old != "" && new != "":
		return fmt.Sprintf(" (old: %s; new: %s)", old, new)
	case new != "":
		return fmt.Sprintf(" (new: %s)", new)
	case old != "":
		return fmt.Sprintf(" (old: %s)", old)
	}
	return ""
}

// belowText names the layers beneath both sides, each between open and
// close, or is empty when there are none.
func belowText(r *Report, open, close string) string {
	if len(r.Below) == 0 {
		return ""
	}
	names := make([]string, len(r.Below))
	for i, b := range r.Below {
		names[i] = open + b + close
	}
	return " (each on top of " + strings.Join(names, ", ") + ")"
}

// WriteDiffMarkdown renders r as Markdown for a pull-request comment.
func WriteDiffMarkdown(w io.Writer, r *Report) {
	verdict := "access did not widen"
	if r.Widened {
		verdict = "**access widened**"
	}
	fmt.Fprintf(w, "### permc diff: %s\n\n", verdict)
	fmt.Fprintf(w, "`%s` → `%s`%s\n\n", r.Old, r.New, belowText(r, "`", "`"))
	if len(r.Profiles) == 0 && r.InEffect == nil {
		fmt.Fprintf(w, "No semantic change.\n")
	}
	for i := range r.Profiles {
		writeProfileMarkdown(w, r, &r.Profiles[i], "Profile `"+r.Profiles[i].Name+"`")
	}
	if ie := r.InEffect; ie != nil {
		head := fmt.Sprintf("In effect: `%s` → `%s`", ie.Old, ie.New)
		if ie.Diff == nil {
			fmt.Fprintf(w, "#### %s\n\n", head)
		} else {
			writeProfileMarkdown(w, r, ie.Diff, head)
		}
	}
	if len(r.Unchanged) > 0 {
		fmt.Fprintf(w, "\nUnchanged: %s\n", "`"+strings.Join(r.Unchanged, "`, `")+"`")
	}
}

func writeProfileMarkdown(w io.Writer, r *Report, d *ProfileDiff, head string) {
	switch d.Status {
	case Added:
		switch {
		case d.Widened:
			fmt.Fprintf(w, "#### %s: added (widens access)\n\n", head)
		case d.NoWiderThan != "":
			fmt.Fprintf(w, "#### %s: added, no wider than `%s` (the old policy in effect)\n\n", head, d.NoWiderThan)
		default:
			fmt.Fprintf(w, "#### %s: now compiled (built-in)\n\n", head)
		}
		return
	case Removed:
		fmt.Fprintf(w, "#### %s: removed\n\n", head)
		return
	}
	if d.empty() {
		fmt.Fprintf(w, "#### %s: equivalent (every probe decides the same)\n\n", head)
		return
	}
	fmt.Fprintf(w, "#### %s: %s\n\n", head, widenWords(d.Widened))
	fmt.Fprintln(w, "| | what | old | new | responsible |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, c := range d.Paths {
		what := "`" + c.Path + "`" + targetWords(r, c.Targets) + whenWords(c.When)
		fmt.Fprintf(w, "| %s | %s | %s | %s | old: %s<br>new: %s |\n", mdMark(c.Widens, true), cell(what),
			accessWords(c.From), accessWords(c.To), mdRule(c.Old), mdRule(c.New))
	}
	for _, c := range d.Network {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdMark(c.Widens, narrows(c)), mdSetting(c.Setting),
			mdText(c.From), mdText(c.To), mdText(strings.TrimPrefix(strings.TrimSuffix(atWords(c.Old, c.New), ")"), " (")))
	}
	for _, c := range d.Hosts {
		fmt.Fprintf(w, "| %s | host `%s` | %s | %s | old: %s<br>new: %s |\n", mdMark(c.Widens, true), cell(c.Host),
			c.From, c.To, mdText(c.Old), mdText(c.New))
	}
	for _, c := range d.Sockets {
		fmt.Fprintf(w, "| %s | unix socket `%s` | %s | %s | %s |\n", mdMark(c.Widens, true), cell(c.Path),
			socketState(!c.Allowed), socketState(c.Allowed), mdText(c.At))
	}
	for _, c := range d.Globs {
		fmt.Fprintf(w, "| %s | glob rule `%s` | %s | %s | old: %s<br>new: %s |\n", mdMark(c.Widens, true),
			cell(c.Setting), c.From, c.To, mdText(c.Old), mdText(c.New))
	}
	for _, c := range d.Build {
		fmt.Fprintf(w, "| %s | build option `%s` | %s | %s | %s |\n", mdMark(c.Widens, true), c.Setting,
			c.From, c.To, mdText(strings.TrimPrefix(strings.TrimSuffix(buildWords(c), ")"), " (")))
	}
	fmt.Fprintln(w)
}

func socketState(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "not allowed"
}

func mdMark(widens, changes bool) string {
	switch {
	case widens:
		return "widens"
	case changes:
		return "narrows"
	}
	return "changes"
}

// mdSetting renders a TOML key as code and other names as text.
func mdSetting(s string) string {
	if strings.Contains(s, " ") {
		return mdText(s)
	}
	return "`" + s + "`"
}

// mdRule renders a rule with its entry as code.
func mdRule(r *Rule) string {
	if r == nil {
		return "no entry covers it"
	}
	s := "`" + cell(strings.ReplaceAll(r.Entry, "`", "'")) + "` at " + mdText(r.At)
	if r.Via != "" {
		s += " (" + mdText(r.Via) + ")"
	}
	return s
}

// mdText escapes text for a Markdown table cell outside code spans.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|#", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return strings.ReplaceAll(b.String(), "\n", " ")
}

// cell escapes a table cell inside a code span, where only "|" matters.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// whenWords says under which placement of the roots a change shows, when
// it shows only under one.
func whenWords(when string) string {
	if when == "" {
		return ""
	}
	return " (" + when + ")"
}
