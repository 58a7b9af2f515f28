package bwrap

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permc/permc/ir"
)

// genTree creates a random tree below root and returns its paths.
func genTree(t testing.TB, rng *rand.Rand, root string) []string {
	names := []string{"a", "b", "c", "src", ".git", ".codex", "x.env", "k.key", "cache", "data"}
	var rels []string
	var grow func(dir string, depth int)
	grow = func(dir string, depth int) {
		for i := rng.IntN(4); i >= 0; i-- {
			name := names[rng.IntN(len(names))]
			rel := filepath.Join(dir, name)
			if depth < 4 && rng.IntN(2) == 0 {
				rels = append(rels, rel+"/")
				grow(rel, depth+1)
				continue
			}
			rels = append(rels, rel)
		}
	}
	grow("", 1)
	var made []string
	for _, rel := range rels {
		p := filepath.Join(root, rel)
		if _, err := os.Lstat(strings.TrimSuffix(p, "/")); err == nil {
			continue
		}
		if strings.HasSuffix(rel, "/") {
			if os.MkdirAll(p, 0o755) != nil {
				continue // a parent is a file
			}
		} else if err := os.WriteFile(p, []byte(rel), 0o644); err != nil {
			continue // a parent is a file
		}
		made = append(made, strings.TrimSuffix(rel, "/"))
	}
	return made
}

var globPatterns = []string{"**/*.env", "*/k.key", "a/**", "**/b", "*.env", "*/cache/**", "**/data"}

// genPolicy draws a random Linux policy over the tree's paths.
func genPolicy(rng *rand.Rand, ws string, rels []string) *ir.Policy {
	accs := []ir.Access{ir.Read, ir.Write, ir.Deny}
	p := &ir.Policy{Name: "random"}
	line := 1
	add := func(base ir.BaseKind, path string, a ir.Access) {
		p.FS.Rules = append(p.FS.Rules, rule(base, path, a, line))
		line++
	}
	if n := rng.IntN(4); n < 3 {
		add(ir.BaseRoot, "", accs[n])
		if accs[n] == ir.Write {
			// permc's state (the mask file) must stay out of reach.
			add(ir.BaseAbs, "/var/tmp", ir.Read)
		}
	}
	if rng.IntN(2) == 0 {
		add(ir.BaseMinimal, "", ir.Read)
	}
	if n := rng.IntN(4); n < 3 {
		add(ir.BaseWorkspaceRoots, "", accs[n])
	}
	for i := rng.IntN(6); i > 0; i-- {
		rel := "missing/" + fmt.Sprint(i)
		if len(rels) > 0 && rng.IntN(5) > 0 {
			rel = rels[rng.IntN(len(rels))]
		}
		if rng.IntN(2) == 0 {
			add(ir.BaseWorkspaceRoots, rel, accs[rng.IntN(3)])
		} else {
			add(ir.BaseAbs, filepath.Join(ws, rel), accs[rng.IntN(3)])
		}
	}
	for i := rng.IntN(3); i > 0; i-- {
		add(ir.BaseWorkspaceRoots, globPatterns[rng.IntN(len(globPatterns))], ir.Deny)
	}
	p.FS.GlobScanMaxDepth = rng.IntN(5)
	p.FS.ProtectMetadata = rng.IntN(2) == 0
	return p
}

// known reports the documented divergences from ir.Decide: a grant of a
// path that does not exist, which nothing can be bound at, and a :minimal
// entry that does not exist, which no placeholder stands for.
func known(p *ir.Policy, b ir.Binding, path string) bool {
	d := ir.Decide(p, ir.Linux, b, path)
	if d.By == nil || d.By.Access == ir.Deny && d.By.Kind != ir.MatchMinimal {
		return false
	}
	_, err := os.Lstat(d.By.Path)
	return err != nil
}

func TestRandomPoliciesEqualDecide(t *testing.T) {
	const seeds = 300
	failed := 0
	for seed := uint64(1); seed <= seeds && failed < 3; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		ws := realTemp(t)
		rels := genTree(t, rng, ws)
		p := genPolicy(rng, ws, rels)
		plan, diags := Compile(p)
		if diags.HasErrors() {
			t.Fatalf("seed %d: compile: %v", seed, diags)
		}
		res, diags := Resolve(plan, Binding{WorkspaceRoots: []string{ws}}, Options{MaskFile: maskFile(t), PinLinks: true})
		if diags.HasErrors() {
			t.Errorf("seed %d: resolve: %v", seed, diags)
			failed++
			continue
		}
		if probs := Simulate(res).Problems; len(probs) > 0 {
			t.Errorf("seed %d: simulation problems: %v", seed, probs)
		}
		b := res.Binding()
		for path, m := range mismatches(p, res, probes(t, ws)) {
			if known(p, b, path) {
				continue
			}
			failed++
			t.Errorf("seed %d: %s: %s\nrules: %+v\nops:\n%s", seed, path, m, p.FS.Rules, opsText(res))
			break
		}
	}
}
