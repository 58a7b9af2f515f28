package review

import (
	"fmt"
	"io"
	"strings"
)

// WritePathText renders e for a terminal.
func WritePathText(w io.Writer, e *PathExplanation) {
	fmt.Fprintf(w, "%s (%s)\n", e.Path, e.Access)
	writePolicy(w, e.Policy, e.Legacy)
	var yes, no, skipped []string
	for _, v := range e.Targets {
		if v.Skipped != "" {
			fmt.Fprintf(w, "%s: skipped: %s\n", v.Target, v.Skipped)
			skipped = append(skipped, string(v.Target))
			continue
		}
		fmt.Fprintf(w, "%s: %s: read %s, write %s\n", v.Target, v.Path, yesNo(v.Read), yesNo(v.Write))
		switch {
		case v.DecidedBy != nil:
			fmt.Fprintf(w, "  decided by: %s\n", v.DecidedBy)
		case e.Policy.Unrestricted:
			fmt.Fprintf(w, "  decided by: the profile is unrestricted: no sandbox\n")
		default:
			fmt.Fprintf(w, "  decided by: no entry covers it, so the restricted profile denies it\n")
		}
		for _, r := range v.Overridden {
			fmt.Fprintf(w, "  overrides:  %s\n", r)
		}
		if v.Enforcement != "" {
			fmt.Fprintf(w, "  enforced:   %s\n", v.Enforcement)
		}
		for _, d := range v.Diagnostics {
			fmt.Fprintf(w, "  %s\n", d)
		}
		for _, n := range v.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		if s := v.Shadowed; s != nil {
			fmt.Fprintf(w, "  not in effect: profile %s would decide read %s, write %s", s.Profile, yesNo(s.Read), yesNo(s.Write))
			if s.DecidedBy != nil {
				fmt.Fprintf(w, ", by %s", s.DecidedBy)
			}
			fmt.Fprintln(w)
			for _, n := range s.Notes {
				fmt.Fprintf(w, "  note (profile %s): %s\n", s.Profile, n)
			}
		}
		if v.Allowed {
			yes = append(yes, string(v.Target))
		} else {
			no = append(no, string(v.Target))
		}
	}
	switch {
	case e.Allowed:
		fmt.Fprintf(w, "answer: %s allowed on %s\n", e.Access, strings.Join(yes, ", "))
	default:
		fmt.Fprintf(w, "answer: %s denied on %s\n", e.Access, strings.Join(no, ", "))
	}
}

func writePolicy(w io.Writer, p PolicyRef, l *Legacy) {
	fmt.Fprintf(w, "in effect: %s (%s, at %s)", p.Name, p.Source, p.At)
	if len(p.Extends) > 0 {
		fmt.Fprintf(w, ", extends %s", strings.Join(p.Extends, " < "))
	}
	fmt.Fprintln(w)
	if l != nil {
		set := fmt.Sprintf("sandbox_mode %q at %s is set", l.Mode, l.At)
		if l.At == "<command line>" {
			set = fmt.Sprintf("--sandbox %s is given", l.Mode)
		}
		fmt.Fprintf(w, "mode: the older settings decided it: %s, so permission profiles are not in effect", set)
		if l.Profile != "" {
			fmt.Fprintf(w, " (without it, profile %s would apply)", l.Profile)
		}
		fmt.Fprintln(w)
	}
}

func yesNo(b bool) string {
	if b {
		return "allowed"
	}
	return "denied"
}

// WriteHostText renders e for a terminal.
func WriteHostText(w io.Writer, e *HostExplanation) {
	fmt.Fprintf(w, "%s", e.Host)
	if e.Port != 0 {
		fmt.Fprintf(w, " port %d", e.Port)
	}
	if e.Input != e.Host {
		fmt.Fprintf(w, " (canonical form of %q)", e.Input)
	}
	fmt.Fprintln(w)
	writePolicy(w, e.Policy, e.Legacy)
	fmt.Fprintf(w, "network: %s", netWords(e))
	if e.NetworkAt != "" {
		fmt.Fprintf(w, " (enabled at %s)", e.NetworkAt)
	}
	fmt.Fprintln(w)
	for _, r := range e.Allow {
		fmt.Fprintf(w, "  matching allow: %s\n", r)
	}
	for _, r := range e.Deny {
		fmt.Fprintf(w, "  matching deny:  %s\n", r)
	}
	if g := e.Guard; g != nil {
		pass := "passes"
		if !g.Passed {
			pass = "refuses"
		}
		rng := ""
		if g.Range != "" {
			rng = " (" + g.Range + ")"
		}
		if g.Reached {
			fmt.Fprintf(w, "  guard: %s %s%s: %s\n", pass, g.Addr, rng, g.Why)
		} else {
			fmt.Fprintf(w, "  guard: not reached (the rules refused first); on its own it %s %s%s: %s\n", pass, g.Addr, rng, g.Why)
		}
	}
	if e.Resolve {
		fmt.Fprintf(w, "  resolution: a host name; resolved at the proxy, not by explain\n")
	}
	for _, d := range e.Diagnostics {
		fmt.Fprintf(w, "  %s\n", d)
	}
	answer := "denied"
	if e.Allowed {
		answer = "allowed"
	}
	fmt.Fprintf(w, "answer: %s: %s\n", answer, e.Reason)
}

func netWords(e *HostExplanation) string {
	switch {
	case e.Policy.Unrestricted:
		return "unrestricted (no sandbox)"
	case e.Network.String() == "off":
		return "network is off"
	case e.Network.String() == "full":
		return "unfiltered"
	}
	return "through the domain-filtering proxy"
}
