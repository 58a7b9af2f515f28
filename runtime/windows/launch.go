package windows

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/permc/permc/backend/winacl"
)

// InnerArg is the argument by which permc, started as the sandbox user,
// knows it is the second stage of a launch: argv is then
// [permc, InnerArg, encoded InnerSpec]. The CLI's main dispatches it to
// RunInner before anything else.
const InnerArg = "__permc-windows-inner"

// InnerSpec is what the first stage (permc as the invoking user, elevated
// to apply the manifest) hands the second (permc as the sandbox user),
// which builds the sandbox token from its own and starts the command.
// A restricted or AppContainer token made from one's own token needs no
// privilege; one made for another user would.
type InnerSpec struct {
	Model winacl.Model `json:"model"`
	// AppContainer and Capabilities: the appcontainer model.
	AppContainer winacl.SID `json:"app_container,omitempty"`
	Capabilities []string   `json:"capabilities,omitempty"`
	// Restricting SIDs: the sandbox-user and write-restricted models;
	// the second stage adds its own logon SID.
	Restricting []winacl.SID `json:"restricting,omitempty"`
	// DenyOnly SIDs are turned deny-only in the token.
	DenyOnly []winacl.SID `json:"deny_only,omitempty"`
	Argv     []string     `json:"argv"`
	Dir      string       `json:"dir"`
	Env      []string     `json:"env"`
}

// Encode renders the spec as one command-line argument.
func (s *InnerSpec) Encode() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodeInner parses an argument made by Encode.
func DecodeInner(arg string) (*InnerSpec, error) {
	b, err := base64.RawURLEncoding.DecodeString(arg)
	if err != nil {
		return nil, fmt.Errorf("inner spec: %w", err)
	}
	var s InnerSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("inner spec: %w", err)
	}
	if len(s.Argv) == 0 {
		return nil, fmt.Errorf("inner spec: no command")
	}
	return &s, nil
}

// innerSpec builds the spec of an applied plan: the token the manifest
// describes, with every placeholder but {logon} bound.
func innerSpec(p *Plan, a *Applied, argv []string, dir string, env []string) (*InnerSpec, error) {
	t := p.Resolved.Token
	if t == nil {
		return nil, fmt.Errorf("plan has no token")
	}
	s := &InnerSpec{Model: p.Resolved.Model, Capabilities: t.Capabilities, Argv: argv,
		Dir: dir, Env: env, DenyOnly: t.DenyOnly}
	if t.AppContainer != "" {
		s.AppContainer = a.SIDs[t.AppContainer]
	}
	for _, r := range t.Restricting {
		if r == winacl.PhLogon {
			continue // the second stage's own logon SID
		}
		sid, ok := a.SIDs[r]
		if !ok {
			return nil, fmt.Errorf("unbound restricting sid %s", r)
		}
		s.Restricting = append(s.Restricting, sid)
	}
	return s, nil
}

// sandboxUser returns the account name the plan logs on as.
func sandboxUser(p *Plan) (string, bool) {
	for _, s := range p.Steps {
		if s.Op == OpEnsureUser {
			return s.Name, true
		}
	}
	return "", false
}
