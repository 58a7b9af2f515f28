package ir

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func stdIndent(t *testing.T, src []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, src, "", "  "); err != nil {
		t.Fatalf("json.Indent %q: %v", src, err)
	}
	return b.Bytes()
}

func checkIndent(t *testing.T, src []byte) {
	t.Helper()
	want := stdIndent(t, src)
	got, err := IndentJSON([]byte("prefix"), src)
	if err != nil || string(got) != "prefix"+string(want) {
		t.Fatalf("IndentJSON(%q) = %q, %v; json.Indent gives %q", src, got, err, want)
	}
}

// randValue builds a value with nesting, empty containers and strings
// that need escapes.
func randValue(rng *rand.Rand, depth int) any {
	strs := []string{"", "a", `q"uote`, `back\slash`, "nl\n", "<&>", "{[,:]}", "ü\u2028x", "\x01", " sp ace "}
	switch k := rng.Intn(7); {
	case depth > 4 || k == 0:
		return strs[rng.Intn(len(strs))]
	case k == 1:
		return rng.Float64() * 1e6
	case k == 2:
		return []bool{true, false}[rng.Intn(2)]
	case k == 3:
		return nil
	case k == 4:
		var a []any
		for n := rng.Intn(4); n > 0; n-- {
			a = append(a, randValue(rng, depth+1))
		}
		if a == nil {
			return []any{}
		}
		return a
	default:
		m := map[string]any{}
		for n := rng.Intn(4); n > 0; n-- {
			m[strs[rng.Intn(len(strs))]] = randValue(rng, depth+1)
		}
		return m
	}
}

func TestIndentJSON(t *testing.T) {
	for _, s := range []string{`{}`, `[]`, `{}` + "\n", `[[],{},[{}]]`, `"x"`, `1`, `1` + "\n", `{"a":{"b":[]}}`,
		`"\\"`, `["\"",{"\\\"":"}"}]`, `null`} {
		checkIndent(t, []byte(s))
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 5000; i++ {
		v := randValue(rng, 0)
		for _, esc := range []bool{true, false} {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(esc)
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			checkIndent(t, b.Bytes())
			checkIndent(t, bytes.TrimSuffix(b.Bytes(), []byte("\n")))

			var want bytes.Buffer
			enc = json.NewEncoder(&want)
			enc.SetEscapeHTML(esc)
			enc.SetIndent("", "  ")
			enc.Encode(v)
			got, err := EncodeJSON(v, esc)
			if err != nil || !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("EncodeJSON(%#v) = %q, %v; the encoder writes %q", v, got, err, want.Bytes())
			}
		}
	}
	// Whitespace between tokens, and invalid input, go to json.Indent.
	checkIndent(t, []byte(`{ "a" : [ 1 , 2 ] }`+"\n\n"))
	if _, err := IndentJSON(nil, []byte(`{"a`)); err == nil {
		t.Error("an unterminated string was indented")
	}
}

// TestIndentJSONGolden indents every JSON artifact in golden/, compacted.
func TestIndentJSONGolden(t *testing.T) {
	n := 0
	err := filepath.WalkDir("../golden", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var c bytes.Buffer
		if err := json.Compact(&c, data); err != nil {
			return err
		}
		checkIndent(t, c.Bytes())
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no golden JSON")
	}
}

func TestIndentJSONDeep(t *testing.T) {
	var v any = map[string]any{"leaf": `a\"b\\`}
	for range 80 {
		v = []any{v, map[string]any{`\`: `"\\"`}}
		checkIndent(t, mustMarshal(t, v))
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
