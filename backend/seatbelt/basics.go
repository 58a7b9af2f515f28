package seatbelt

import (
	"embed"
	"fmt"
	"strings"
	"sync"
)

// The reviewed data files: every form in them carries a note.
//
//   - basics.sb: process, IPC and device basics of every restricted profile
//   - metadata.sb: stat of fixed system paths, emitted after the file rules
//   - network.sb: services needed once the profile has network access
//   - network_full.sb: DNS, only with unfiltered network
//
//go:embed data/*.sb
var dataFS embed.FS

// dataForm is one top-level form of a data file.
type dataForm struct {
	file     string
	line     int
	comments []string
	src      string
}

var (
	dataOnce  sync.Once
	dataForms map[string][]dataForm
	dataErr   error
)

// builtinForms returns the forms of data/name, checked by the reader.
func builtinForms(name string) ([]dataForm, error) {
	dataOnce.Do(loadData)
	if dataErr != nil {
		return nil, dataErr
	}
	forms, ok := dataForms[name]
	if !ok {
		return nil, fmt.Errorf("seatbelt: internal error: no data file %s", name)
	}
	return forms, nil
}

func loadData() {
	dataForms = map[string][]dataForm{}
	for _, name := range []string{"basics.sb", "metadata.sb", "network.sb", "network_full.sb"} {
		forms, err := readData(name)
		if err != nil {
			dataErr = fmt.Errorf("seatbelt: internal error: data/%s: %w", name, err)
			return
		}
		dataForms[name] = forms
	}
}

func readData(name string) ([]dataForm, error) {
	src, err := dataFS.ReadFile("data/" + name)
	if err != nil {
		return nil, err
	}
	nodes, err := readNodes(src)
	if err != nil {
		return nil, err
	}
	if len(nodes) == 0 || !isVersion1(nodes[0]) {
		return nil, fmt.Errorf("must start with (version 1)")
	}
	var out []dataForm
	p := &Parsed{params: map[string]bool{}}
	for _, n := range nodes[1:] {
		if _, err := p.rule(n); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.line, err)
		}
		if len(n.comments) == 0 {
			return nil, fmt.Errorf("line %d: form without a note", n.line)
		}
		out = append(out, dataForm{file: "data/" + name, line: n.line, comments: n.comments, src: n.src})
	}
	if len(p.params) > 0 {
		return nil, fmt.Errorf("data files take no parameters")
	}
	return out, nil
}

// writeBuiltin copies the forms of a data file, each led by its origin and
// its note.
func (w *writer) writeBuiltin(name string) error {
	text, err := builtinText(name)
	if err != nil {
		return err
	}
	w.line(text)
	return nil
}

var builtinTexts sync.Map // data file name -> rendered text

// builtinText renders a data file once.
func builtinText(name string) (string, error) {
	if t, ok := builtinTexts.Load(name); ok {
		return t.(string), nil
	}
	forms, err := builtinForms(name)
	if err != nil {
		return "", err
	}
	var lines []string
	for _, f := range forms {
		lines = append(lines, "; "+commentText(fmt.Sprintf("builtin %s:%d", f.file, f.line)))
		for _, c := range f.comments {
			lines = append(lines, "; "+commentText(c))
		}
		lines = append(lines, strings.TrimSpace(f.src))
	}
	text := strings.Join(lines, "\n")
	builtinTexts.Store(name, text)
	return text, nil
}
