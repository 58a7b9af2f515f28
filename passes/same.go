package passes

import (
	"encoding/json"
	"strings"

	"github.com/permc/permc/ir"
)

// SamePolicy reports whether two policies decide alike: equal but for
// where their settings were written (every origin, in rules and in the
// settings' own origins) and the description.
func SamePolicy(a, b *ir.Policy) bool {
	return string(stripped(a)) == string(stripped(b))
}

// stripped is p's JSON without origins and description, keys sorted.
func stripped(p *ir.Policy) []byte {
	data, err := json.Marshal(p)
	if err != nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil
	}
	out, _ := json.Marshal(dropOrigins(v))
	return out
}

// dropOrigins removes, at every level, the keys that record where a
// setting was written: "origin", "origins", "*_origin", and the policy's
// "description".
func dropOrigins(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "origin" || k == "origins" || k == "description" || strings.HasSuffix(k, "_origin") {
				delete(v, k)
				continue
			}
			v[k] = dropOrigins(x)
		}
	case []any:
		for i, x := range v {
			v[i] = dropOrigins(x)
		}
	}
	return v
}
