package review

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// Side is one side of a diff: the policies of a configuration, or of a
// folder that `permc build` wrote.
type Side struct {
	Label    string                // as given
	Policies map[string]*ir.Policy // by profile name
	Selected string                // the policy in effect, if known
	// ToolFolders names the profiles of a build folder made with
	// --windows-tool-folders: their Windows artifacts grant per-user
	// tool folders that policy.json does not name.
	ToolFolders map[string]bool
}

// SideOptions say how to read a config file given as a side.
type SideOptions struct {
	// Frontend is used with the side's file added after Files, which are
	// lower layers read under both sides.
	Frontend frontend.Options
	Passes   passes.Options
}

// ErrNotSide is wrapped by LoadSide when path is neither a config file
// nor a build folder.
var ErrNotSide = errors.New("not a config file or a build folder")

// LoadSide reads one side of a diff: a directory holding profile folders
// with policy.json (the output of permc build, or one profile folder), or
// a TOML config file. Diagnostics are those of the config; an error means
// the side could not be read at all.
func LoadSide(path string, o SideOptions) (*Side, diag.List, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		s, err := loadFolder(path)
		return s, nil, err
	}
	o.Frontend.Files = append(append([]string(nil), o.Frontend.Files...), path)
	l, diags := Load(o.Frontend, o.Passes)
	if l == nil || diags.HasErrors() {
		return nil, diags, nil
	}
	s := &Side{Label: path, Policies: map[string]*ir.Policy{}, Selected: l.Result.Selected}
	for _, p := range l.Result.Policies {
		s.Policies[p.Name] = p
	}
	return s, diags, nil
}

// loadFolder reads dir/policy.json, or dir/*/policy.json.
func loadFolder(dir string) (*Side, error) {
	s := &Side{Label: dir, Policies: map[string]*ir.Policy{}}
	if _, err := os.Stat(filepath.Join(dir, "policy.json")); err == nil {
		return s, s.readProfile(filepath.Join(dir))
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		sub := filepath.Join(dir, e.Name())
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(sub, "policy.json")); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := s.readProfile(sub); err != nil {
			return nil, err
		}
	}
	if len(s.Policies) == 0 {
		return nil, fmt.Errorf("%s: %w: no policy.json in it or in its folders", dir, ErrNotSide)
	}
	return s, nil
}

func (s *Side) readProfile(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, "policy.json"))
	if err != nil {
		return err
	}
	p, err := ir.ReadPolicy(data)
	if err != nil {
		return fmt.Errorf("%s: %v", dir, err)
	}
	if _, dup := s.Policies[p.Name]; dup {
		return fmt.Errorf("%s: profile %q appears twice", dir, p.Name)
	}
	s.Policies[p.Name] = p
	var m struct {
		Selected           bool `json:"selected"`
		WindowsToolFolders bool `json:"windows_tool_folders"`
	}
	data, err = os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		// What the folder's artifacts add to its policy is in the
		// manifest: without it the comparison would be incomplete.
		return fmt.Errorf("%s: manifest.json: %v", dir, err)
	}
	if m.Selected {
		s.Selected = p.Name
	}
	if m.WindowsToolFolders {
		if s.ToolFolders == nil {
			s.ToolFolders = map[string]bool{}
		}
		s.ToolFolders[p.Name] = true
	}
	return nil
}

// names returns the profile names of both sides, sorted.
func names(a, b *Side) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range []*Side{a, b} {
		for n := range s.Policies {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}
