package review

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permc/permc/frontend"
	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// The log is read back as plain JSON, so that the test checks SARIF's
// field names, not this package's structs.
func TestSARIF(t *testing.T) {
	fs := files{"dir/bad config.toml": `default_permissions = "p"

[permissions.p.filesystem]
"/srv" = "rw"
"/data/*.txt" = "read"

[permissions.p.network]
enabled = true
`}
	cfg, diags := frontend.Load(frontend.Options{Files: []string{"dir/bad config.toml"}, ReadFile: fs.read})
	res := passes.Run(cfg, passes.Options{})
	diags = append(diags, res.Diags...)
	for _, p := range res.Policies {
		diags = append(diags, passes.Enforceability(p, ir.Linux)...)
	}
	diags = append(diags, diag.Diagnostic{Pos: diag.Pos{File: "<command line>"}, Severity: diag.Error,
		Code: diag.UnknownProfile, Message: "no position"})
	diags = diags.Sorted()

	var buf bytes.Buffer
	if err := WriteSARIF(&buf, diags); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID               string `json:"id"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || log.Schema != SARIFSchema || len(log.Runs) != 1 {
		t.Fatalf("header: version %q schema %q runs %d", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "permc" || len(run.Tool.Driver.Rules) != len(diag.Codes) {
		t.Fatalf("driver %q with %d rules", run.Tool.Driver.Name, len(run.Tool.Driver.Rules))
	}
	for i, c := range diag.Codes {
		r := run.Tool.Driver.Rules[i]
		if r.ID != string(c.Code) || r.ShortDescription.Text != c.Summary {
			t.Errorf("rule %d: %q %q", i, r.ID, r.ShortDescription.Text)
		}
	}
	if len(run.Results) != len(diags) {
		t.Fatalf("%d results for %d diagnostics", len(run.Results), len(diags))
	}
	type loc struct {
		URI, Base string
		Line, Col int
	}
	levels := map[string]int{}
	for i, d := range diags {
		r := run.Results[i]
		levels[r.Level]++
		if r.RuleID != string(d.Code) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID ||
			r.Level != d.Severity.String() || r.Message.Text != d.Message {
			t.Errorf("result %d: %+v for %v", i, r, d)
		}
		if d.Pos.File == "<command line>" {
			if len(r.Locations) != 0 {
				t.Errorf("result %d: a location for the command line: %+v", i, r.Locations)
			}
			continue
		}
		if len(r.Locations) != 1 {
			t.Fatalf("result %d: %d locations", i, len(r.Locations))
		}
		pl := r.Locations[0].PhysicalLocation
		got := loc{pl.ArtifactLocation.URI, pl.ArtifactLocation.URIBaseID, pl.Region.StartLine, pl.Region.StartColumn}
		want := loc{"dir/bad%20config.toml", "%SRCROOT%", d.Pos.Line, d.Pos.Col}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("result %d location (-want +got):\n%s", i, diff)
		}
	}
	if levels["error"] < 2 || levels["warning"] < 1 {
		t.Errorf("levels %v: want errors (bad access, unenforceable glob) and warnings (full network)", levels)
	}
}

func TestSARIFEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, nil); err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	runs := log["runs"].([]any)
	results, ok := runs[0].(map[string]any)["results"].([]any)
	if !ok || len(results) != 0 {
		t.Errorf("results %v: want an empty list, not null", runs[0].(map[string]any)["results"])
	}
}

func TestFileURI(t *testing.T) {
	tests := []struct{ in, uri, base string }{
		{"config.toml", "config.toml", "%SRCROOT%"},
		{"a b/c#d.toml", "a%20b/c%23d.toml", "%SRCROOT%"},
		{"/etc/codex/config.toml", "/etc/codex/config.toml", ""},
		{`C:\codex\config.toml`, "file:///C:/codex/config.toml", ""},
	}
	for _, tc := range tests {
		got := fileURI(tc.in)
		if got.URI != tc.uri || got.URIBaseID != tc.base {
			t.Errorf("fileURI(%q) = %+v, want %q %q", tc.in, got, tc.uri, tc.base)
		}
	}
}
