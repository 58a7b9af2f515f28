package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/ir"
)

// Status is the outcome of one check.
type Status string

// Outcomes of a check. Skipped is not a failure: the check had nothing to
// look at (an unrestricted profile, a target not built, a Windows mode the
// manifest marks unusable).
const (
	OK      Status = "ok"
	Failed  Status = "FAILED"
	Skipped Status = "skipped"
)

// Check is one check of one profile folder, or of the build folder as a
// whole.
type Check struct {
	Name    string   `json:"name"`
	Status  Status   `json:"status"`
	Summary string   `json:"summary"`
	Details []string `json:"details,omitempty"`
	// Compared counts the probes (or, for seccomp, the calls) a decision
	// check compared.
	Compared int `json:"compared,omitempty"`
	// Known counts the differences from the reference that a backend
	// documents as a limitation, by limitation; they are not failures.
	Known map[string]int `json:"known,omitempty"`
	// Excused counts the differences at rules the enforceability pass
	// reported for the target; they are not failures.
	Excused int `json:"excused,omitempty"`
}

// Profile is the checks of one profile folder.
type Profile struct {
	// Folder is the folder's path as given or found below DIR.
	Folder string `json:"folder"`
	// Profile is the name its manifest records, when it could be read.
	Profile string  `json:"profile,omitempty"`
	Checks  []Check `json:"checks"`
}

// Report is the outcome of Dir.
type Report struct {
	Dir string `json:"dir"`
	// Checks are about DIR as a whole: with Against, the profile folders
	// the configuration compiles that DIR lacks.
	Checks   []Check   `json:"checks,omitempty"`
	Profiles []Profile `json:"profiles"`
	OK       bool      `json:"ok"`
}

// Options control Dir.
type Options struct {
	// Against compiles the configuration to compare with, with what the
	// folder's manifests record (targets, bindings, requirements files,
	// --sandbox, --config-profile, --windows-tool-folders); nil skips the
	// check.
	Against func(built driver.Manifest) *driver.Build
	// Targets limits the decision checks; nil checks every target the
	// folder was built for.
	Targets []ir.Target
}

// ErrNotArtifact is matched (errors.Is) by the error of Dir for a path
// that is neither a profile folder nor a folder of them.
var ErrNotArtifact = errors.New("not a folder written by permc build")

// Dir verifies dir, a folder written by permc build (one subfolder per
// profile) or one profile folder of it.
func Dir(dir string, o Options) (*Report, error) {
	folders, single, err := profileFolders(dir)
	if err != nil {
		return nil, err
	}
	r := &Report{Dir: dir}
	var build *driver.Build
	if o.Against != nil {
		var c *Check
		build, c = compileAgainst(folders, o)
		if c != nil {
			r.Checks = append(r.Checks, *c)
		}
		if build != nil && !single {
			r.Checks = append(r.Checks, missingFolders(dir, folders, build))
		}
	}
	for _, f := range folders {
		r.Profiles = append(r.Profiles, verifyFolder(f, build, o))
	}
	r.OK = !failed(r.Checks)
	for _, p := range r.Profiles {
		r.OK = r.OK && !failed(p.Checks)
	}
	return r, nil
}

func failed(cs []Check) bool {
	for _, c := range cs {
		if c.Status == Failed {
			return true
		}
	}
	return false
}

// profileFolders returns the profile folders of dir, and whether dir is
// itself one.
func profileFolders(dir string) ([]string, bool, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, false, err
	}
	if !fi.IsDir() {
		return nil, false, fmt.Errorf("%s: %w", dir, ErrNotArtifact)
	}
	if _, err := os.Lstat(filepath.Join(dir, driver.ManifestFile)); err == nil {
		return []string{dir}, true, nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, false, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	_, marked := os.Lstat(filepath.Join(dir, driver.Marker))
	if marked != nil && len(out) == 0 {
		return nil, false, fmt.Errorf("%s: %w (no %s, no %s, no profile folders)", dir, ErrNotArtifact,
			driver.ManifestFile, driver.Marker)
	}
	sort.Strings(out)
	return out, false, nil
}

// verifyFolder runs every check of one profile folder.
func verifyFolder(dir string, build *driver.Build, o Options) Profile {
	pr := Profile{Folder: dir}
	f, err := driver.LoadFolder(dir)
	if err != nil {
		pr.Checks = append(pr.Checks, Check{Name: "hashes", Status: Failed, Summary: err.Error()})
	} else {
		pr.Profile = f.Manifest.Profile
		pr.Checks = append(pr.Checks, Check{Name: "hashes", Status: OK, Summary: fmt.Sprintf(
			"%d artifact(s) match the SHA-256 in manifest.json (sha256 %s); this proves only that the folder agrees with itself",
			len(f.Manifest.Artifacts), f.ManifestSHA256)})
	}
	if build != nil {
		pr.Checks = append(pr.Checks, compareFolder(dir, f, build))
	}
	if f == nil {
		pr.Checks = append(pr.Checks, Check{Name: "decisions", Status: Skipped,
			Summary: "not checked: the folder does not load"})
		return pr
	}
	pr.Checks = append(pr.Checks, Decisions(f.Policy, f.Manifest.Targets, f.Files, o.Targets)...)
	return pr
}

// compileAgainst compiles the configuration with the targets and
// bindings the folders were built with. A check is returned when that
// fails.
func compileAgainst(folders []string, o Options) (*driver.Build, *Check) {
	m, err := recorded(folders)
	if err != nil {
		return nil, &Check{Name: "against", Status: Failed, Summary: err.Error()}
	}
	if len(m.SystemLayers) > 0 {
		var names []string
		for _, f := range m.SystemLayers {
			names = append(names, f.Path)
		}
		return nil, &Check{Name: "against", Status: Failed, Summary: "the folder was built with the " +
			"machine's layers (" + strings.Join(names, ", ") + "), which --against cannot repeat: " +
			"build with --system-layers=false and -c for each file to pin a folder to its sources"}
	}
	b := o.Against(*m)
	if b.Diags.HasErrors() {
		c := &Check{Name: "against", Status: Failed, Summary: "the configuration does not compile"}
		for _, d := range b.Diags.Errors().Sorted() {
			c.Details = append(c.Details, d.String())
		}
		return nil, c
	}
	return b, nil
}

// recorded returns what the manifests record the build was made with:
// targets, bindings and the other settings of permc build. Every folder
// of one build records the same.
func recorded(folders []string) (*driver.Manifest, error) {
	var first *driver.Manifest
	key := func(m *driver.Manifest) string {
		var reqs []string
		for _, r := range m.Requirements {
			reqs = append(reqs, r.Path)
		}
		for _, r := range m.SystemLayers {
			reqs = append(reqs, r.Path+" "+r.SHA256)
		}
		return fmt.Sprint(m.Targets, m.Bound, m.WindowsToolFolders, m.Sandbox, m.ConfigProfile, reqs)
	}
	for _, dir := range folders {
		m, err := readManifest(dir)
		if err != nil {
			continue
		}
		if first == nil {
			first = m
			continue
		}
		if key(first) != key(m) {
			return nil, fmt.Errorf("%s was built with other targets, bindings or settings than the folders before it", dir)
		}
	}
	if first == nil {
		return nil, errors.New("no manifest.json could be read, so the targets and bindings to compile for are unknown")
	}
	return first, nil
}

// readManifest reads a manifest without checking hashes, for what the
// folder was built with.
func readManifest(dir string) (*driver.Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, driver.ManifestFile))
	if err != nil {
		return nil, err
	}
	var m driver.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// compareFolder compares one profile folder with the folder of the same
// profile in the compiled build.
func compareFolder(dir string, f *driver.Folder, build *driver.Build) Check {
	c := Check{Name: "against"}
	name := filepath.Base(dir)
	if f != nil {
		name = driver.FolderName(f.Manifest.Profile)
	}
	files, ok := build.Folders[name]
	if !ok {
		c.Status, c.Summary = Failed, fmt.Sprintf("the configuration compiles no profile folder %s", name)
		return c
	}
	one := &driver.Build{Folders: map[string]map[string][]byte{"": files}}
	diffs, err := one.Compare(dir)
	if err != nil {
		c.Status, c.Summary = Failed, err.Error()
		return c
	}
	if len(diffs) == 0 {
		c.Status = OK
		c.Summary = fmt.Sprintf("byte-for-byte what the configuration compiles to (%d file(s))", len(files))
		return c
	}
	c.Status = Failed
	c.Summary = fmt.Sprintf("%d file(s) differ from what the configuration compiles to", len(diffs))
	for _, d := range diffs {
		c.Details = append(c.Details, clip(strings.TrimRight(d, "\n"), maxDiffLines))
	}
	return c
}

// maxDiffLines bounds the unified diff shown per file.
const maxDiffLines = 40

// clip keeps the first max lines of s.
func clip(s string, max int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= max {
		return s
	}
	return strings.Join(lines[:max], "\n") + fmt.Sprintf("\n... %d more line(s)", len(lines)-max)
}

// missingFolders reports the profile folders the configuration compiles
// that dir does not hold.
func missingFolders(dir string, folders []string, build *driver.Build) Check {
	have := map[string]bool{}
	for _, f := range folders {
		have[filepath.Base(f)] = true
	}
	var missing []string
	for _, name := range sortedKeys(build.Folders) {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return Check{Name: "against", Status: Failed, Details: missing,
			Summary: fmt.Sprintf("%d profile folder(s) the configuration compiles are missing from %s", len(missing), dir)}
	}
	return Check{Name: "against", Status: OK,
		Summary: fmt.Sprintf("%s holds a folder for each of the %d profile(s) the configuration compiles", dir, len(build.Folders))}
}

func sortedKeys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
