// Package driver assembles the artifacts of `permc build`: it runs the
// backends over each policy and lays out one folder per profile with
// policy.json, network.json, each backend's files and manifest.json.
//
// Output is deterministic: no timestamps, no machine paths (inputs are
// recorded as the paths given), sorted keys, and roots left symbolic unless
// bound. Writing is atomic for the whole output folder.
package driver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/internal/version"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// Backend emits the files of one target for a policy.
type Backend struct {
	Target ir.Target
	// Emit returns file name → contents. Diagnostics with errors mean the
	// target cannot be built for this policy.
	Emit func(p *ir.Policy, o Options) (map[string][]byte, diag.List)
}

// Backends are the registered backends, in output order.
var Backends []Backend

// Input is one config file read for the build.
type Input struct {
	Path string // as given on the command line
	Data []byte
}

// Build is the compiled output: folder name → file name → contents.
type Build struct {
	Folders map[string]map[string][]byte
	Diags   diag.List
}

// Options control a build.
type Options struct {
	Targets  []ir.Target
	Bindings passes.Bindings
	Inputs   []Input
	// WindowsToolFolders makes the per-user tool folders under
	// %LOCALAPPDATA% readable wherever :minimal is (a permc-only setting,
	// outside the Codex config).
	WindowsToolFolders bool
	// Requirements, Sandbox and ConfigProfile are recorded in the
	// manifest, so that the build can be repeated from it.
	Requirements  []Input
	Sandbox       string
	ConfigProfile string
	// SystemLayers are the machine's files a build with --system-layers
	// read (its config layers and requirements): recorded, so that a
	// folder names everything it was compiled from.
	SystemLayers []Input

	// checks holds, while a profile compiles, each target's
	// enforceability findings, so that a backend need not redo them.
	checks map[ir.Target]diag.List
}

// Compile builds every policy. A build with errors has no folders.
//
// Profiles are compiled concurrently, and so are the backends of a
// profile and the encoding of its policy.json: they only read the
// policy. Results are put together in the order of pols and of Backends,
// so the output and the diagnostics are those of a sequential build.
func Compile(pols []*ir.Policy, selected string, o Options) *Build {
	b := &Build{Folders: map[string]map[string][]byte{}}
	type result struct {
		files map[string][]byte
		diags diag.List
	}
	results := make([]result, len(pols))
	var wg sync.WaitGroup
	for i, p := range pols {
		wg.Go(func() {
			p = passes.Bind(p, o.Bindings)
			files, diags := compileOne(p, p.Name == selected, o)
			results[i] = result{files, diags}
		})
	}
	wg.Wait()
	for i, p := range pols {
		b.Diags = append(b.Diags, results[i].diags...)
		b.Folders[FolderName(p.Name)] = results[i].files
	}
	if b.Diags.HasErrors() {
		b.Folders = nil
	}
	return b
}

func compileOne(p *ir.Policy, selected bool, o Options) (map[string][]byte, diag.List) {
	files := map[string][]byte{}
	var diags diag.List
	var policyJSON, networkJSON []byte
	var encoded sync.WaitGroup
	encoded.Go(func() {
		policyJSON = mustJSON(p)
		networkJSON = mustJSON(NetworkSummary(p))
	})
	// The targets' checks run concurrently; the Linux backend reuses
	// its target's, which it reports as notes.
	checks := make([]diag.List, len(o.Targets))
	var checked sync.WaitGroup
	for i, t := range o.Targets {
		checked.Go(func() { checks[i] = enforceability(p, t) })
	}
	checked.Wait()
	o.checks = map[ir.Target]diag.List{}
	for i, t := range o.Targets {
		diags = append(diags, checks[i]...)
		o.checks[t] = checks[i]
	}
	type result struct {
		out   map[string][]byte
		diags diag.List
	}
	var results []result
	if !p.Unrestricted && !diags.HasErrors() {
		results = make([]result, len(Backends))
		var wg sync.WaitGroup
		for i, be := range Backends {
			if !hasTarget(o.Targets, be.Target) {
				continue
			}
			wg.Go(func() {
				out, ds := be.Emit(p, o)
				results[i] = result{out, ds}
			})
		}
		wg.Wait()
	}
	encoded.Wait()
	files["policy.json"] = policyJSON
	files["network.json"] = networkJSON
	for _, r := range results {
		diags = append(diags, r.diags...)
		for n, c := range r.out {
			files[n] = c
		}
	}
	files["manifest.json"] = mustJSON(manifest(p, selected, o, files, diags))
	return files, diags
}

func enforceability(p *ir.Policy, t ir.Target) diag.List { return passes.Enforceability(p, t) }

func hasTarget(ts []ir.Target, t ir.Target) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// Manifest describes one profile folder.
type Manifest struct {
	Compiler       string           `json:"compiler"`
	ArtifactFormat int              `json:"artifact_format"`
	Profile        string           `json:"profile"`
	Selected       bool             `json:"selected"`
	Source         ir.Source        `json:"source"`
	Unrestricted   bool             `json:"unrestricted,omitempty"`
	Targets        []ir.Target      `json:"targets"`
	Bound          *passes.Bindings `json:"bound,omitempty"`
	// WindowsToolFolders records --windows-tool-folders.
	WindowsToolFolders bool `json:"windows_tool_folders,omitempty"`
	// Sandbox and ConfigProfile record --sandbox and --config-profile.
	Sandbox       string     `json:"sandbox,omitempty"`
	ConfigProfile string     `json:"config_profile,omitempty"`
	Inputs        []FileHash `json:"inputs"`
	// Requirements are the --requirements files, as given.
	Requirements []FileHash `json:"requirements,omitempty"`
	// SystemLayers are the machine's config layers and requirements that
	// a build with --system-layers read.
	SystemLayers []FileHash `json:"system_layers,omitempty"`
	Artifacts    []FileHash `json:"artifacts"`
	Warnings     []string   `json:"warnings,omitempty"`
}

// FileHash names a file and its SHA-256.
type FileHash struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// ManifestFile is the manifest's own name; it is not listed in itself.
const ManifestFile = "manifest.json"

func manifest(p *ir.Policy, selected bool, o Options, files map[string][]byte, diags diag.List) Manifest {
	m := Manifest{
		Compiler: "permc " + version.Version, ArtifactFormat: version.ArtifactFormat,
		Profile: p.Name, Selected: selected, Source: p.Source, Unrestricted: p.Unrestricted,
		Targets: o.Targets, Inputs: []FileHash{}, Artifacts: []FileHash{},
	}
	if !o.Bindings.Empty() {
		b := o.Bindings
		m.Bound = &b
	}
	m.WindowsToolFolders = o.WindowsToolFolders
	m.Sandbox, m.ConfigProfile = o.Sandbox, o.ConfigProfile
	for _, in := range o.Inputs {
		m.Inputs = append(m.Inputs, FileHash{Path: in.Path, SHA256: Hash(in.Data)})
	}
	for _, in := range o.Requirements {
		m.Requirements = append(m.Requirements, FileHash{Path: in.Path, SHA256: Hash(in.Data)})
	}
	for _, in := range o.SystemLayers {
		m.SystemLayers = append(m.SystemLayers, FileHash{Path: in.Path, SHA256: Hash(in.Data)})
	}
	for _, n := range sortedKeys(files) {
		if n != ManifestFile {
			m.Artifacts = append(m.Artifacts, FileHash{Path: n})
		}
	}
	// Large profiles have megabytes of artifacts: hash them concurrently.
	var hashed sync.WaitGroup
	for i := range m.Artifacts {
		a := &m.Artifacts[i]
		hashed.Go(func() { a.SHA256 = Hash(files[a.Path]) })
	}
	hashed.Wait()
	for _, d := range diags.Sorted() {
		if d.Severity == diag.Warning {
			m.Warnings = append(m.Warnings, d.String())
		}
	}
	return m
}

// Hash is the hex SHA-256 of b.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func sortedKeys[T any](m map[string]T) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// mustJSON is v as a json.Encoder with SetEscapeHTML(false) and
// SetIndent("", "  ") writes it.
func mustJSON(v any) []byte {
	b, err := ir.EncodeJSON(v, false)
	if err != nil {
		panic(fmt.Sprintf("permc bug: cannot encode artifact: %v", err))
	}
	return b
}

// FolderName is passes.FolderName: a profile's folder name.
func FolderName(name string) string { return passes.FolderName(name) }
