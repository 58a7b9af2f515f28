package seatbelt

import (
	"testing"
)

// TestDataFilesHaveNotes: every form of the reviewed data files has a note,
// and a form listing several names starts their list with one.
func TestDataFilesHaveNotes(t *testing.T) {
	for _, name := range []string{"basics.sb", "metadata.sb", "network.sb", "network_full.sb"} {
		src, err := dataFS.ReadFile("data/" + name)
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := readNodes(src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, n := range nodes[1:] {
			if len(n.comments) == 0 {
				t.Errorf("%s:%d: form without a note", name, n.line)
			}
			if filters := n.args[len(opsOf(n)):]; len(filters) > 1 && len(filters[0].comments) == 0 {
				t.Errorf("%s:%d: the list of %s starts without a note", name, n.line, n.text)
			}
		}
		if _, err := builtinForms(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func opsOf(n *node) []*node {
	i := 0
	for i < len(n.args) && n.args[i].kind == nodeSym {
		i++
	}
	return n.args[:i]
}

// TestBasicsGrantNoFiles: the data files never grant file reads or writes;
// file access comes from the :minimal table and the profile alone.
func TestBasicsGrantNoFiles(t *testing.T) {
	for _, name := range []string{"basics.sb", "metadata.sb", "network.sb", "network_full.sb"} {
		forms, err := builtinForms(name)
		if err != nil {
			t.Fatal(err)
		}
		src := "(version 1)\n(deny default)\n"
		for _, f := range forms {
			src += f.src + "\n"
		}
		p, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		prog, err := p.Resolve(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/", "/etc", "/private/etc/passwd", "/Users/dev/.ssh/id_ed25519", "/dev/ttys001"} {
			for _, op := range []string{"file-read-data", "file-write-data", "file-write-unlink", "file-link"} {
				if d := prog.Check(op, path); d.Allowed {
					t.Errorf("%s allows %s on %s (line %d)", name, op, path, d.Rule.Line)
				}
			}
		}
	}
}
