package driver_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/permc/permc/driver"
	"github.com/permc/permc/examples"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// compileConfig does what `permc build -c FILE` does before writing:
// load, run the passes, compile every target.
func compileConfig(tb testing.TB, file string, data []byte) *driver.Build {
	cfg, diags := frontend.Load(frontend.Options{Files: []string{file},
		ReadFile: func(string) ([]byte, error) { return data, nil }})
	if cfg == nil || diags.HasErrors() {
		tb.Fatal(diags)
	}
	res := passes.Run(cfg, passes.Options{})
	if res.Diags.HasErrors() {
		tb.Fatal(res.Diags)
	}
	b := driver.Compile(res.Policies, res.Selected, driver.Options{Targets: ir.Targets,
		Inputs: []driver.Input{{Path: file, Data: data}}})
	if b.Diags.HasErrors() {
		tb.Fatal(b.Diags)
	}
	return b
}

func benchCompile(b *testing.B, file string, data []byte) {
	for b.Loop() {
		compileConfig(b, file, data)
	}
}

// BenchmarkCompile1000Rules is the whole compile of the 1,000-rule
// profile permc-bench times (target: the whole process under 50 ms).
func BenchmarkCompile1000Rules(b *testing.B) {
	benchCompile(b, "rules-1000.toml", []byte(examples.Rules(1000)))
}

// BenchmarkCompileProjectEdit is the compile of a typical profile.
func BenchmarkCompileProjectEdit(b *testing.B) {
	data, err := os.ReadFile("../examples/spec/project-edit.toml")
	if err != nil {
		b.Fatal(err)
	}
	benchCompile(b, "examples/spec/project-edit.toml", data)
}

// BenchmarkWrite1000Rules writes the 1,000-rule build atomically.
func BenchmarkWrite1000Rules(b *testing.B) {
	build := compileConfig(b, "rules-1000.toml", []byte(examples.Rules(1000)))
	dir := filepath.Join(b.TempDir(), "out")
	for b.Loop() {
		if err := build.Write(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteProjectEdit writes a typical build atomically.
func BenchmarkWriteProjectEdit(b *testing.B) {
	data, err := os.ReadFile("../examples/spec/project-edit.toml")
	if err != nil {
		b.Fatal(err)
	}
	build := compileConfig(b, "examples/spec/project-edit.toml", data)
	dir := filepath.Join(b.TempDir(), "out")
	for b.Loop() {
		if err := build.Write(dir); err != nil {
			b.Fatal(err)
		}
	}
}
