package frontend

import (
	"github.com/permc/permc/internal/safefile"
	"os"
	"path/filepath"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
)

// Machine paths Codex reads its layers and requirements from.
const (
	SystemConfig       = "/etc/codex/config.toml"
	SystemRequirements = "/etc/codex/requirements.toml"
)

// Options says which files make up a configuration.
type Options struct {
	// Files are the -c files, lowest precedence first.
	Files []string
	// SystemLayers reads the machine's layers first: SystemConfig, then
	// $CODEX_HOME/config.toml (CODEX_HOME defaults to ~/.codex), and the
	// machine's requirements file.
	SystemLayers bool
	// MachineRequirements reads the machine's requirements file even
	// without SystemLayers: what runs a command (permc run, permc proxy)
	// is held to it whatever layers it is told to read.
	MachineRequirements bool
	// Requirements are --requirements files; they add restrictions to the
	// machine's file, never replace it.
	Requirements []string
	// ReadFile reads a file; nil means Reader(Getenv).
	ReadFile func(string) ([]byte, error)
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// Load reads every layer and requirements file the options name.
func Load(o Options) (*ir.Config, diag.List) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.ReadFile == nil {
		o.ReadFile = Reader(o.Getenv)
	}
	cfg := &ir.Config{}
	var diags diag.List
	add := func(file string, k ir.LayerKind, optional bool) {
		data, err := o.ReadFile(file)
		if err != nil {
			if optional && os.IsNotExist(err) {
				return
			}
			d := diags.Errorf(diag.Pos{File: file}, diag.ReadFile, "cannot read config: %v", unwrapPath(err))
			if k == ir.LayerUser && os.IsPermission(err) {
				d.Message += " (CODEX_HOME, else HOME, names another user's folder: set them for this user, " +
					"or pass --system-layers=false)"
			}
			return
		}
		l, ds := ParseLayer(file, data, k)
		diags = append(diags, ds...)
		if l != nil {
			cfg.Layers = append(cfg.Layers, l)
		}
	}
	reqFiles := o.Requirements
	if o.SystemLayers {
		add(SystemConfig, ir.LayerSystem, true)
		if home := codexHome(o.Getenv); home != "" {
			add(filepath.Join(home, "config.toml"), ir.LayerUser, true)
		}
	}
	if o.SystemLayers || o.MachineRequirements {
		// Only a file that is not there is skipped: one that cannot be
		// read is an error, never a machine without requirements.
		if _, err := o.ReadFile(SystemRequirements); !os.IsNotExist(err) {
			reqFiles = append([]string{SystemRequirements}, reqFiles...)
		}
	}
	for _, f := range o.Files {
		add(f, ir.LayerFile, false)
	}
	req, ds := loadRequirements(reqFiles, o.ReadFile)
	diags = append(diags, ds...)
	cfg.Requirements = req
	return cfg, diags
}

// Reader is how Load reads files when Options.ReadFile is nil. The
// machine's files (MachineFiles) are read only if regular: a FIFO put at
// /etc/codex/requirements.toml would stall every run. A -c file may be a
// pipe (-c <(generate-config)); it can then be read only once, so a
// caller that needs a file's bytes again keeps them (see cmd/permc).
func Reader(getenv func(string) string) func(string) ([]byte, error) {
	machine := map[string]bool{}
	for _, f := range MachineFiles(getenv) {
		machine[f] = true
	}
	return func(name string) ([]byte, error) {
		if machine[name] {
			return safefile.ReadRegular(name, MaxFile, false)
		}
		return safefile.ReadBounded(name, MaxFile)
	}
}

// MaxFile bounds a machine layer or requirements file, and any other
// config file.
const MaxFile = 64 << 20

// MachineFiles lists every file the machine's layers are read from,
// whether or not it exists: the system config, the user's config and the
// machine's requirements.
func MachineFiles(getenv func(string) string) []string {
	out := []string{SystemConfig, SystemRequirements}
	if home := codexHome(getenv); home != "" {
		out = append(out, filepath.Join(home, "config.toml"))
	}
	return out
}

func codexHome(getenv func(string) string) string {
	if h := getenv("CODEX_HOME"); h != "" {
		return h
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".codex")
	}
	return ""
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
