package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permc/permc/examples"
)

var update = flag.Bool("update", false, "rewrite golden/ from examples/")

// goldenBuild is one folder of golden/: the example files it compiles.
type goldenBuild struct {
	name string
	args []string
}

func goldenBuilds(t *testing.T) []goldenBuild {
	builds := []goldenBuild{
		{"builtins", nil},
		{"legacy", []string{"-c", "examples/legacy.toml"}},
		{"layered", []string{"-c", "examples/layered/system.toml", "-c", "examples/layered/user.toml"}},
		{"org", []string{"-c", "examples/org/system.toml", "-c", "examples/org/user.toml",
			"--requirements", "examples/org/requirements.toml"}},
	}
	specs, err := filepath.Glob("examples/spec/*.toml")
	if err != nil || len(specs) == 0 {
		t.Fatal("no spec examples")
	}
	for _, s := range specs {
		name := strings.TrimSuffix(filepath.Base(s), ".toml")
		args := []string{"-c", "examples/spec/" + filepath.Base(s)}
		builds = append(builds, goldenBuild{"spec-" + name, args})
	}
	limits := examples.Limits()
	for i, b := range builds {
		key := strings.TrimPrefix(b.name, "spec-")
		if strings.HasPrefix(b.name, "spec-") {
			key = "spec/" + key + ".toml"
		}
		if targets, ok := limits[key]; ok {
			builds[i].args = append(b.args, "--target", targets)
		}
	}
	return builds
}

// TestGolden fails when golden/ is stale; `make golden` (go test -update)
// rewrites it.
func TestGolden(t *testing.T) {
	root, _ := filepath.Abs("../..")
	wd, _ := os.Getwd()
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	for _, b := range goldenBuilds(t) {
		t.Run(b.name, func(t *testing.T) {
			dir := filepath.Join("golden", b.name)
			args := append([]string{"build", "-o", dir}, b.args...)
			if !*update {
				args = append(args, "--check")
			}
			var out, errb bytes.Buffer
			if code := realMain(args, &out, &errb); code != 0 {
				t.Errorf("permc %s: exit %d\n%s%s(if the change is intended, `make golden` rewrites golden/)",
					strings.Join(args, " "), code, out.String(), errb.String())
			}
		})
	}
}
