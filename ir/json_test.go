package ir

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permc/permc/internal/diag"
)

func TestPolicyJSONRoundTrip(t *testing.T) {
	o := Origin{Pos: diag.Pos{File: "c.toml", Line: 3, Col: 1, Offset: 20}, Profile: "p"}
	want := &Policy{Name: "p", Source: SourceProfile, Origin: o, Extends: []string{":workspace"},
		FS: FSPolicy{Rules: []FSRule{
			{Base: BaseWorkspaceRoots, Path: "**/*.env", Glob: true, Access: Deny, Origin: o},
			{Base: BaseHome, Path: "Documents", Access: Read, Origin: o},
			{Base: BaseRoot, Access: Write, Origin: o},
		}, WorkspaceRoots: []WorkspaceRoot{{Path: "~/code", Origin: o}}, GlobScanMaxDepth: 3, ProtectMetadata: true},
		Net: NetPolicy{Enabled: true, HasDomains: true, Domains: []DomainRule{
			{Pattern: "*.example.com", Kind: DomainSub, Host: "example.com", Allow: true, Origin: o},
			{Pattern: "**.x.org", Kind: DomainApexSub, Host: "x.org", Origin: o},
			{Pattern: "*", Kind: DomainAny, Allow: true, Origin: o},
			{Pattern: "127.0.0.1", Kind: DomainExact, Host: "127.0.0.1", Allow: true, Origin: o},
		}, ProxyURL: DefaultProxyURL, SOCKSURL: DefaultSOCKSURL},
	}
	data, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadPolicy(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := ReadPolicy([]byte(`{"name":"p","bogus":1}`)); err == nil {
		t.Error("unknown fields must be rejected")
	}
}
