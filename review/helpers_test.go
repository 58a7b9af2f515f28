package review

import (
	"fmt"
	"testing"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/passes"
)

// files is an in-memory file system for configs.
type files map[string]string

func (f files) read(name string) ([]byte, error) {
	if s, ok := f[name]; ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("open %s: no such file", name)
}

// load reads the named files of fs, in order, and fails on errors.
func load(t *testing.T, fs files, po passes.Options, names ...string) *Loaded {
	t.Helper()
	l, diags := Load(frontend.Options{Files: names, ReadFile: fs.read}, po)
	if l == nil || diags.HasErrors() {
		t.Fatalf("config errors:\n%v", diags.Errors())
	}
	return l
}

// atOf returns r.At, or "" for nil.
func atOf(r *Rule) string {
	if r == nil {
		return ""
	}
	return r.At
}
