package frontend_test

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/permc/permc/frontend"
)

// The machine's requirements file is read by what enforces a policy even
// when the machine's layers are not, and one that exists but cannot be
// read is an error, never a machine without requirements.
func TestMachineRequirements(t *testing.T) {
	req := "allowed_permission_profiles = [\":read-only\"]\n"
	files := map[string]string{frontend.SystemRequirements: req}
	var readErr error
	read := func(name string) ([]byte, error) {
		if name == frontend.SystemRequirements && readErr != nil {
			return nil, readErr
		}
		if d, ok := files[name]; ok {
			return []byte(d), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
	}
	load := func(system, machine bool) (allowed bool, errs int) {
		cfg, diags := frontend.Load(frontend.Options{SystemLayers: system, MachineRequirements: machine,
			ReadFile: read, Getenv: func(string) string { return "" }})
		return cfg.Requirements != nil && cfg.Requirements.AllowedPermissionProfiles != nil, len(diags.Errors())
	}
	if got, _ := load(false, false); got {
		t.Error("read without SystemLayers or MachineRequirements")
	}
	for _, o := range [][2]bool{{true, false}, {false, true}} {
		if got, errs := load(o[0], o[1]); !got || errs > 0 {
			t.Errorf("SystemLayers %v, MachineRequirements %v: requirements read %v, %d errors", o[0], o[1], got, errs)
		}
	}
	readErr = &fs.PathError{Op: "open", Path: frontend.SystemRequirements, Err: os.ErrPermission}
	if _, errs := load(false, true); errs == 0 {
		t.Error("an unreadable requirements file was skipped")
	}
}

// A byte order mark opens a config like whitespace.
func TestByteOrderMark(t *testing.T) {
	data := "\xef\xbb\xbfdefault_permissions = \"p\"\n[permissions.p.filesystem]\n\":root\" = \"rd\"\n"
	read := func(string) ([]byte, error) { return []byte(data), nil }
	cfg, diags := frontend.Load(frontend.Options{Files: []string{"bom.toml"}, ReadFile: read})
	if len(cfg.Layers) != 1 || cfg.Layers[0].DefaultPermissions == nil || cfg.Layers[0].DefaultPermissions.Value != "p" {
		t.Fatalf("not read: %v", diags)
	}
	if got := cfg.Layers[0].DefaultPermissions.Pos.String(); got != "bom.toml:1:26" {
		t.Errorf("default_permissions value at %s, want bom.toml:1:26 (the mark's three bytes counted)", got)
	}
}

// A user layer that cannot be read says how to point permc elsewhere: a
// service user often inherits another user's HOME.
func TestUnreadableUserLayer(t *testing.T) {
	read := func(name string) ([]byte, error) {
		if name == "/home/other/.codex/config.toml" {
			return nil, &fs.PathError{Op: "open", Path: name, Err: os.ErrPermission}
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
	}
	getenv := func(k string) string {
		if k == "HOME" {
			return "/home/other"
		}
		return ""
	}
	_, diags := frontend.Load(frontend.Options{SystemLayers: true, ReadFile: read, Getenv: getenv})
	errs := diags.Errors()
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "--system-layers=false") {
		t.Errorf("diagnostics: %v", diags)
	}
}

// A value of the wrong type is reported where it is written, arrays too
// (the TOML parser records no position for them).
func TestArrayValuePositions(t *testing.T) {
	data := "default_permissions = \"p\"\n" +
		"[permissions.p]\n" +
		"extends = [\"a\"]\n" +
		"workspace_roots =  [\n  \"/a\",\n]\n" +
		"[permissions.p.filesystem]\n" +
		"\"/x[=]\" = [\"read\"]\n" +
		"\"/y\" = [[\"read\"]]\n"
	read := func(string) ([]byte, error) { return []byte(data), nil }
	_, diags := frontend.Load(frontend.Options{Files: []string{"a.toml"}, ReadFile: read})
	var got []string
	for _, d := range diags.Errors() {
		got = append(got, d.Pos.String())
	}
	want := []string{"a.toml:3:11", "a.toml:4:20", "a.toml:8:11", "a.toml:9:8"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("errors at %v, want %v\n%v", got, want, diags)
	}
}
