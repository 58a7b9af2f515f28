package passes_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/passes"
)

// generatedCodes are asserted by tests that generate their configs.
var generatedCodes = []diag.Code{diag.ExtendsTooLarge}

// A small config of many profiles extending one large one is refused
// once, at the first profile past the budget, before it takes gigabytes.
func TestExtendsTooLarge(t *testing.T) {
	var b strings.Builder
	b.WriteString("default_permissions = \"c000\"\n[permissions.big.filesystem]\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "\"/srv/d%d\" = \"deny\"\n", i)
	}
	for j := range 200 {
		fmt.Fprintf(&b, "[permissions.c%03d]\nextends = \"big\"\n", j)
	}
	opts := frontend.Options{Files: []string{"amp.toml"}}
	_, diags := run(t, files{"amp.toml": b.String()}, opts, passes.Options{})
	var got []diag.Diagnostic
	for _, d := range diags {
		if d.Code == diag.ExtendsTooLarge {
			got = append(got, d)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0].Message, `profile "c100" extends "big"`) {
		t.Fatalf("want one extends-too-large error at c100, got %v", got)
	}
	// Under the budget, the same shape compiles.
	small := strings.Replace(b.String(), "[permissions.c100]", "[permissions.x]\n[permissions.c100]", 1)
	small = small[:strings.Index(small, "[permissions.c100]")]
	if _, diags := run(t, files{"amp.toml": small}, opts, passes.Options{}); diags.HasErrors() {
		t.Errorf("100 children of a 2,000-rule profile: %v", diags.Errors())
	}
}
