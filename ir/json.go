package ir

import (
	"encoding/json"
	"fmt"
	"strings"
)

// UnmarshalText reads an access by name.
func (a *Access) UnmarshalText(b []byte) error {
	v, ok := ParseAccess(string(b))
	if !ok {
		return fmt.Errorf("unknown access %q", b)
	}
	*a = v
	return nil
}

// UnmarshalText reads a base by name.
func (b *BaseKind) UnmarshalText(t []byte) error {
	for k, n := range baseNames {
		if n == string(t) {
			*b = BaseKind(k)
			return nil
		}
	}
	return fmt.Errorf("unknown base %q", t)
}

// UnmarshalText reads a network mode by name.
func (m *NetMode) UnmarshalText(t []byte) error {
	for _, k := range []NetMode{NetOff, NetProxied, NetFull} {
		if k.String() == string(t) {
			*m = k
			return nil
		}
	}
	return fmt.Errorf("unknown network mode %q", t)
}

// ReadPolicy decodes policy.json, restoring what JSON does not carry (the
// shape of each domain pattern).
func ReadPolicy(data []byte) (*Policy, error) {
	var p Policy
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("policy.json: %v", err)
	}
	for i := range p.Net.Domains {
		d := &p.Net.Domains[i]
		switch {
		case d.Pattern == "*":
			d.Kind, d.Host = DomainAny, ""
		case strings.HasPrefix(d.Pattern, "**."):
			d.Kind, d.Host = DomainApexSub, d.Pattern[3:]
		case strings.HasPrefix(d.Pattern, "*."):
			d.Kind, d.Host = DomainSub, d.Pattern[2:]
		default:
			d.Kind, d.Host = DomainExact, d.Pattern
		}
	}
	return &p, nil
}
