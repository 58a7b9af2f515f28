package host

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// TestSimpleAST checks that the tree built without the parser is the
// parser's, for every key simpleAST takes.
func TestSimpleAST(t *testing.T) {
	keys := []string{"api.openai.com", "*.github.com", "**.example.com", "a", "A-b_c.D9", "r3---sn-abc.googlevideo.com",
		"*", "**", "***.a", "*.", "a..b", ".a", "a.", "*a.b", "a*.b", "a.b:80", "[::1]", "http://a.b", "a b", "xn--bcher-kva.ch"}
	rng := rand.New(rand.NewSource(1))
	alphabet := []string{"a", "Z", "0", "-", "_", ".", ".", "*", "**", ":", "/", "[", "]", "@", " ", "é", "%", "\\"}
	for i := 0; i < 100000; i++ {
		var b strings.Builder
		for n := rng.Intn(8); n >= 0; n-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		keys = append(keys, b.String())
	}
	took := 0
	for _, k := range keys {
		got, ok := simpleAST(k)
		if !ok {
			continue
		}
		took++
		want, err := patternParser().ParseString("", k)
		if err != nil {
			t.Fatalf("%q: simpleAST takes what the parser refuses: %v", k, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: simpleAST gives %s, the parser %s", k, dump(got), dump(want))
		}
	}
	t.Logf("took %d keys", took)
	if took < 1000 {
		t.Errorf("simpleAST took only %d keys", took)
	}
}

func dump(a *patternAST) string {
	var b strings.Builder
	if a.Wild != nil {
		b.WriteString("wild" + a.Wild.Stars)
	}
	if a.Host != nil {
		for _, t := range a.Host.Bare {
			b.WriteString(" " + t.Text + "@" + string(rune('0'+t.Pos.Offset)))
		}
	}
	return b.String()
}
