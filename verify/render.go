package verify

import (
	"fmt"
	"io"
	"strings"
)

// WriteText renders the report for a terminal: per profile folder, one
// line per check with its details indented below it, then the result.
func WriteText(w io.Writer, r *Report) {
	if len(r.Checks) > 0 {
		fmt.Fprintf(w, "build folder %s\n", r.Dir)
	}
	for _, c := range r.Checks {
		writeCheck(w, "  ", c)
	}
	for _, p := range r.Profiles {
		if p.Profile == "" {
			fmt.Fprintf(w, "profile folder %s\n", p.Folder)
		} else {
			fmt.Fprintf(w, "profile %s (%s)\n", p.Profile, p.Folder)
		}
		for _, c := range p.Checks {
			writeCheck(w, "  ", c)
		}
	}
	n, failed := 0, 0
	for _, c := range r.Checks {
		n, failed = n+1, failed+btoi(c.Status == Failed)
	}
	for _, p := range r.Profiles {
		for _, c := range p.Checks {
			n, failed = n+1, failed+btoi(c.Status == Failed)
		}
	}
	if failed > 0 {
		fmt.Fprintf(w, "result: FAILED: %d of %d check(s) failed in %s\n", failed, n, r.Dir)
		return
	}
	fmt.Fprintf(w, "result: ok: %d check(s) of %d profile folder(s) passed\n", n, len(r.Profiles))
}

func writeCheck(w io.Writer, indent string, c Check) {
	fmt.Fprintf(w, "%s%-7s %s: %s\n", indent, c.Status, c.Name, c.Summary)
	for _, d := range c.Details {
		for _, line := range strings.Split(d, "\n") {
			fmt.Fprintf(w, "%s        %s\n", indent, line)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
