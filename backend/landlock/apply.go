package landlock

import "errors"

// ErrABI is returned by Apply when the kernel's Landlock ABI is older than
// the ruleset needs and best effort was not asked for.
var ErrABI = errors.New("landlock: the kernel's ABI is too old for this ruleset")

// ErrUnsupported is returned by Apply where Landlock does not exist: off
// Linux, or on a kernel without it.
var ErrUnsupported = errors.New("landlock: not supported here")

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// BestEffort drops the rights and scopes the kernel's ABI lacks
	// instead of refusing with ErrABI.
	BestEffort bool
}

// Applied reports what Apply enforced.
type Applied struct {
	ABI int `json:"abi"`
	// Dropped are the rights and scopes left out for an older ABI.
	Dropped []string `json:"dropped,omitempty"`
	// Missing are the granted paths that did not exist in the sandbox.
	Missing []string `json:"missing,omitempty"`
}

// dropped returns the names of the handled rights newer than abi.
func (r *Resolved) dropped(abi int) []string {
	var out []string
	for _, rt := range Rights {
		var set Set
		switch rt.Kind {
		case FS:
			set = r.HandledFS
		case Net:
			set = r.HandledNet
		case Scope:
			set = r.Scoped
		}
		if set&Set(rt.Bit) != 0 && rt.ABI > abi {
			out = append(out, rt.Name)
		}
	}
	return out
}
