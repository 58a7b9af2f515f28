package verify

import (
	"slices"

	"github.com/permc/permc/ir"
)

// Decisions checks that each backend artifact in files decides as policy
// p does over the probe set: macos.sb for macOS; linux.json's mount plan
// and Landlock ruleset, and each seccomp program, for Linux; windows.json
// per usable mode for Windows. built are the targets the folder was built
// for (its manifest's); only, when not nil, narrows them.
func Decisions(p *ir.Policy, built []ir.Target, files map[string][]byte, only []ir.Target) []Check {
	if p.Unrestricted {
		return []Check{{Name: "decisions", Status: Skipped,
			Summary: "the profile is unrestricted (:danger-full-access): no sandbox, no artifact to check"}}
	}
	var out []Check
	for _, t := range ir.Targets {
		if !slices.Contains(built, t) || only != nil && !slices.Contains(only, t) {
			continue
		}
		switch t {
		case ir.MacOS:
			out = append(out, checkMacOS(p, files))
		case ir.Linux:
			out = append(out, checkLinux(p, files)...)
		case ir.Windows:
			out = append(out, checkWindows(p, files)...)
		}
	}
	if len(out) == 0 {
		out = append(out, Check{Name: "decisions", Status: Skipped, Summary: "no target to check"})
	}
	return out
}
