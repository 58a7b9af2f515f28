package diag

import (
	"os"
	"testing"
)

// docs/diagnostics.md must match the code table; `make docs` rewrites it.
func TestDocsUpToDate(t *testing.T) {
	got, err := os.ReadFile("../../docs/diagnostics.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != Markdown() {
		t.Error("docs/diagnostics.md is stale: run make docs")
	}
}

func TestCodesDocumented(t *testing.T) {
	for _, c := range Codes {
		if c.Summary == "" || c.Fix == "" {
			t.Errorf("code %s lacks a summary or fix", c.Code)
		}
	}
}
