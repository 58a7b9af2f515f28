package verify_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
	"github.com/permc/permc/verify"
)

// Build a folder as permc build does, then verify it: hashes, that it is
// what the configuration compiles to, and each artifact's decisions.
func ExampleDir() {
	config := []byte(`default_permissions = "edit"

[permissions.edit.filesystem]
":minimal" = "read"
"~/.ssh" = "deny"

[permissions.edit.filesystem.":workspace_roots"]
"." = "write"
`)
	compile := func(built driver.Manifest) *driver.Build {
		read := func(string) ([]byte, error) { return config, nil }
		cfg, _ := frontend.Load(frontend.Options{Files: []string{"config.toml"}, ReadFile: read})
		res := passes.Run(cfg, passes.Options{})
		return driver.Compile(res.Policies, res.Selected, driver.Options{Targets: built.Targets,
			Inputs: []driver.Input{{Path: "config.toml", Data: config}}})
	}
	dir, _ := os.MkdirTemp("", "permc-example-")
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "out")
	if err := compile(driver.Manifest{Targets: []ir.Target{ir.MacOS, ir.Linux}}).Write(out); err != nil {
		fmt.Println(err)
		return
	}

	r, err := verify.Dir(out, verify.Options{Against: compile})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range r.Profiles {
		for _, c := range p.Checks {
			fmt.Println(p.Profile, c.Name, c.Status)
		}
	}
	fmt.Println("ok:", r.OK)
	// Output:
	// edit hashes ok
	// edit against ok
	// edit macos ok
	// edit linux ok
	// edit seccomp x86_64 ok
	// edit seccomp aarch64 ok
	// ok: true
}
