package driver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/permc/permc/internal/safefile"
	"github.com/permc/permc/internal/version"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// Folder is one profile folder loaded from disk, its hashes verified.
type Folder struct {
	Dir      string
	Manifest Manifest
	// ManifestSHA256 is the hash of manifest.json itself: the one value a
	// reviewer pins with --expect-sha256, since hashes inside a folder only
	// prove that it agrees with itself.
	ManifestSHA256 string
	Policy         *ir.Policy
	Files          map[string][]byte
}

// LoadFolder reads a profile folder and checks that every artifact the
// manifest lists is present with its hash, and that nothing else is there.
//
// Every file must be a regular file, not a link, of at most MaxFileSize
// bytes; manifest.json and policy.json must be exactly what permc writes
// for what they decode to (JSON decoding alone would accept keys in any
// case, repeated keys and trailing data, which a reviewer reading the
// file would not see as what it means); and the manifest must agree with
// the policy on the profile's name, source and whether it is
// unrestricted.
func LoadFolder(dir string) (*Folder, error) {
	raw, err := readRegular(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %v", dir, err)
	}
	f := &Folder{Dir: dir, ManifestSHA256: Hash(raw), Files: map[string][]byte{}}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f.Manifest); err != nil {
		return nil, fmt.Errorf("artifact %s: manifest.json: %v", dir, err)
	}
	if f.Manifest.ArtifactFormat != version.ArtifactFormat {
		return nil, fmt.Errorf("artifact %s: format %d, this permc reads %d: rebuild it",
			dir, f.Manifest.ArtifactFormat, version.ArtifactFormat)
	}
	if err := f.verify(); err != nil {
		return nil, err
	}
	pol, err := ir.ReadPolicy(f.Files["policy.json"])
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %v", dir, err)
	}
	if !bytes.Equal(mustJSON(&f.Manifest), raw) {
		return nil, fmt.Errorf("artifact %s: manifest.json is not as permc writes it: it was edited by hand", dir)
	}
	if !bytes.Equal(mustJSON(pol), f.Files["policy.json"]) {
		return nil, fmt.Errorf("artifact %s: policy.json is not as permc writes it: it was edited by hand", dir)
	}
	m := &f.Manifest
	if m.Profile != pol.Name || m.Source != pol.Source || m.Unrestricted != pol.Unrestricted {
		return nil, fmt.Errorf("artifact %s: manifest.json (profile %q, %s, unrestricted %v) and policy.json "+
			"(profile %q, %s, unrestricted %v) disagree", dir, m.Profile, m.Source, m.Unrestricted,
			pol.Name, pol.Source, pol.Unrestricted)
	}
	// No profile a config defines can be unrestricted (none may extend
	// :danger-full-access): a folder that says so under another name was
	// edited, whatever its hashes say.
	fullAccess := pol.Name == passes.DangerFullAccess || pol.Name == passes.LegacyName(passes.SandboxFullAccess)
	if pol.Unrestricted && !fullAccess {
		return nil, fmt.Errorf("artifact %s: profile %q says it is unrestricted; only %s and %s are",
			dir, pol.Name, passes.DangerFullAccess, passes.LegacyName(passes.SandboxFullAccess))
	}
	f.Policy = pol
	return f, nil
}

// MaxFileSize bounds each file of a profile folder; a 1,000-rule
// profile's largest is well under a megabyte.
const MaxFileSize = 64 << 20

// MaxFolderSize bounds a profile folder's files together.
const MaxFolderSize = 256 << 20

// readRegular reads an artifact file: regular, not a link, at most
// MaxFileSize bytes.
func readRegular(path string) ([]byte, error) {
	return safefile.ReadRegular(path, MaxFileSize, true)
}

func (f *Folder) verify() error {
	listed := map[string]bool{ManifestFile: true}
	total := 0
	for _, a := range f.Manifest.Artifacts {
		if filepath.Base(a.Path) != a.Path {
			return fmt.Errorf("artifact %s: manifest lists %q outside the folder", f.Dir, a.Path)
		}
		data, err := readRegular(filepath.Join(f.Dir, a.Path))
		if err != nil {
			return fmt.Errorf("artifact %s: %v", f.Dir, err)
		}
		if total += len(data); total > MaxFolderSize {
			return fmt.Errorf("artifact %s: its files come to more than %d bytes", f.Dir, MaxFolderSize)
		}
		if got := Hash(data); got != a.SHA256 {
			return fmt.Errorf("artifact %s: %s has SHA-256 %s, the manifest says %s", f.Dir, a.Path, got, a.SHA256)
		}
		f.Files[a.Path] = data
		listed[a.Path] = true
	}
	ents, err := os.ReadDir(f.Dir)
	if err != nil {
		return err
	}
	var extra []string
	for _, e := range ents {
		if !listed[e.Name()] {
			extra = append(extra, e.Name())
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		return fmt.Errorf("artifact %s: files the manifest does not list: %v", f.Dir, extra)
	}
	if _, ok := f.Files["policy.json"]; !ok {
		return fmt.Errorf("artifact %s: no policy.json", f.Dir)
	}
	return nil
}

// CheckLinux holds a folder to what permc run executes on Linux: the
// folder must carry the Linux artifacts, and they must be exactly what
// this permc compiles from the folder's policy.json, since the runtime
// builds its mount plan and filters from the policy. So what was reviewed
// is what runs, or nothing does.
func (f *Folder) CheckLinux() error {
	if f.Manifest.Unrestricted {
		return nil
	}
	if _, ok := f.Files["linux.json"]; !ok {
		return fmt.Errorf("artifact %s has no Linux artifacts (built for %v): rebuild it with --target linux",
			f.Dir, f.Manifest.Targets)
	}
	o := Options{Targets: f.Manifest.Targets}
	if f.Manifest.Bound != nil {
		o.Bindings = *f.Manifest.Bound
	}
	want, _ := emitLinux(f.Policy, o)
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		got, ok := f.Files[name]
		if !ok {
			return fmt.Errorf("artifact %s lacks %s: rebuild it with this permc", f.Dir, name)
		}
		if !bytes.Equal(got, want[name]) {
			return fmt.Errorf("artifact %s: %s is not what this permc (%s) compiles from its policy.json "+
				"(built by %s): rebuild it", f.Dir, name, version.Version, f.Manifest.Compiler)
		}
	}
	return nil
}
