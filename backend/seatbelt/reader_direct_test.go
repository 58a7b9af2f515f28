package seatbelt

import (
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// viaParticiple is readNodes without the direct reader.
func viaParticiple(src []byte) ([]*node, error) {
	f, err := sbplParser().ParseBytes("", src)
	if err != nil {
		return nil, err
	}
	return toNodes(f.Items, string(src))
}

// checkDirect fails when the direct reader accepts src and gives other
// nodes than participle, or accepts what participle refuses.
func checkDirect(t *testing.T, name string, src []byte) bool {
	t.Helper()
	got, ok := readNodesDirect(src)
	want, err := viaParticiple(src)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("%s: the direct reader accepts what participle refuses (%v):\n%s", name, err, src)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: the readers differ on\n%s", name, src)
	}
	return true
}

// TestReadNodesDirect compares the readers on every SBPL file of the
// repository: the data files, golden/ and testdata.
func TestReadNodesDirect(t *testing.T) {
	n := 0
	for _, root := range []string{"data", "testdata", "../../golden"} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".sb") {
				return err
			}
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !checkDirect(t, p, src) {
				t.Errorf("%s: the direct reader gave up on a valid file", p)
			}
			n++
			return nil
		})
	}
	if n < 5 {
		t.Fatalf("only %d SBPL files", n)
	}
}

// TestReadNodesDirectRandom compares the readers on token soup.
func TestReadNodesDirectRandom(t *testing.T) {
	toks := []string{"(", "(", ")", ")", "allow", "file-read*", "subpath", `"/a"`, `"a\"b"`, `"\q"`, `"x`, "12", "07",
		"; note", ";", "\n", " ", "\t", "\r\n", "-x", "#t", "(version 1)", "()", "(a ;c\n)", "*"}
	rng := rand.New(rand.NewSource(1))
	accepted := 0
	for i := 0; i < 200000; i++ {
		var b strings.Builder
		for n := rng.Intn(14); n >= 0; n-- {
			b.WriteString(toks[rng.Intn(len(toks))])
			if rng.Intn(3) == 0 {
				b.WriteByte(' ')
			}
		}
		if checkDirect(t, "random", []byte(b.String())) {
			accepted++
		}
	}
	t.Logf("accepted %d", accepted)
	if accepted < 1000 {
		t.Errorf("the direct reader accepted only %d inputs", accepted)
	}
}
