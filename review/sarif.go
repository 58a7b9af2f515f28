package review

import (
	"encoding/json"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/permc/permc/internal/diag"
	"github.com/permc/permc/internal/version"
)

// SARIF 2.1.0, the subset code-scanning tools read: one run, the tool with
// one rule per diagnostic code, and one result per diagnostic.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID               string       `json:"id"`
		ShortDescription sarifMessage `json:"shortDescription"`
		Help             sarifMessage `json:"help"`
		Default          sarifConfig  `json:"defaultConfiguration"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID           string          `json:"ruleId"`
		RuleIndex        int             `json:"ruleIndex"`
		Level            string          `json:"level"`
		Message          sarifMessage    `json:"message"`
		Locations        []sarifLocation `json:"locations,omitempty"`
		RelatedLocations []sarifLocation `json:"relatedLocations,omitempty"`
		Properties       map[string]any  `json:"properties,omitempty"`
	}
	sarifLocation struct {
		ID               int                   `json:"id,omitempty"`
		PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
		Message          *sarifMessage         `json:"message,omitempty"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           *sarifRegion          `json:"region,omitempty"`
	}
	sarifArtifactLocation struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
)

// SARIFSchema is the schema URI written into every log.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// WriteSARIF writes diags as a SARIF 2.1.0 log. Locations name the config
// files as given on the command line; a relative file is relative to the
// %SRCROOT% base, the checkout a code-scanning tool knows. A diagnostic
// without a file (a command-line flag, a built-in) has no location.
func WriteSARIF(w io.Writer, diags diag.List) error {
	index := map[diag.Code]int{}
	drv := sarifDriver{Name: "permc", Version: version.Version,
		InformationURI: "https://github.com/permc/permc/blob/main/docs/diagnostics.md"}
	for i, c := range diag.Codes {
		index[c.Code] = i
		help := "Fix: " + c.Fix + "."
		if c.Example != "" {
			help = "Example: " + c.Example + ". " + help
		}
		drv.Rules = append(drv.Rules, sarifRule{ID: string(c.Code), ShortDescription: sarifMessage{c.Summary},
			Help: sarifMessage{help}, Default: sarifConfig{defaultLevel(c.Code)}})
	}
	run := sarifRun{Tool: sarifTool{Driver: drv}, Results: []sarifResult{}}
	for _, d := range diags.Sorted() {
		r := sarifResult{RuleID: string(d.Code), RuleIndex: index[d.Code], Level: level(d.Severity),
			Message: sarifMessage{d.Message}}
		if _, ok := index[d.Code]; !ok {
			r.RuleIndex = index[diag.Internal]
		}
		if loc, ok := location(d.Pos, ""); ok {
			r.Locations = []sarifLocation{loc}
		}
		for i, rel := range d.Related {
			if loc, ok := location(rel.Pos, rel.Message); ok {
				loc.ID = i + 1
				r.RelatedLocations = append(r.RelatedLocations, loc)
			}
		}
		if d.Target != "" {
			r.Properties = map[string]any{"target": d.Target}
		}
		run.Results = append(run.Results, r)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

func level(s diag.Severity) string {
	switch s {
	case diag.Error:
		return "error"
	case diag.Warning:
		return "warning"
	}
	return "note"
}

// defaultLevel is the severity a code is usually reported with.
func defaultLevel(c diag.Code) string {
	switch c {
	case diag.NoFilesystem, diag.Ineffective, diag.LegacyMode, diag.NoProfileSelected, diag.FullNetwork,
		diag.UnboundedGlob, diag.GlobSnapshot, diag.BroadRoot:
		return "warning"
	case diag.ForeignPath:
		return "note"
	}
	return "error"
}

// location is the SARIF location of pos, if it names a file.
func location(pos diag.Pos, msg string) (sarifLocation, bool) {
	if pos.File == "" || strings.HasPrefix(pos.File, "<") {
		return sarifLocation{}, false
	}
	loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: fileURI(pos.File)}}
	if pos.Line > 0 {
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: pos.Line, StartColumn: pos.Col}
	}
	if msg != "" {
		loc.Message = &sarifMessage{msg}
	}
	return loc, true
}

// fileURI turns a path as given into a URI reference: the same path, with
// forward slashes and the characters a URI cannot hold escaped. A Windows
// drive path becomes a file URI, since "C:" would read as a scheme.
func fileURI(file string) sarifArtifactLocation {
	p := strings.ReplaceAll(file, `\`, "/")
	u := (&url.URL{Path: p}).EscapedPath()
	switch {
	case len(p) > 1 && p[1] == ':':
		return sarifArtifactLocation{URI: "file:///" + u}
	case path.IsAbs(p):
		return sarifArtifactLocation{URI: u}
	}
	return sarifArtifactLocation{URI: u, URIBaseID: "%SRCROOT%"}
}
