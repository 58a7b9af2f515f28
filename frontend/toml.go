package frontend

// This is the only file of permc that imports the TOML library. It turns a
// document into a tree of values that remember where each key and value
// was written; everything else works on that tree.

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/permc/permc/internal/diag"
)

type kind uint8

const (
	kTable kind = iota
	kArray
	kString
	kBool
	kInt
	kFloat
	kDateTime
)

var kindNames = [...]string{"table", "array", "string", "boolean", "integer", "float", "date-time"}

func (k kind) String() string { return kindNames[k] }

// value is one node of the document tree.
type value struct {
	kind   kind
	keyPos diag.Pos // the key that introduced the value
	pos    diag.Pos // the value itself (for tables: the header or inline table)
	str    string
	b      bool
	i      int64
	keys   []string // table keys in order of first appearance
	fields map[string]*value
	elems  []*value
	// header is set for tables defined by a [header]; implicit for tables
	// that exist only as the parent of a header or dotted key.
	header   bool
	implicit bool
	inline   bool
	// dotted is set for tables a dotted key created or added to: a
	// [header] may define tables below them, but not them.
	dotted bool
}

func newTable(keyPos, pos diag.Pos) *value {
	return &value{kind: kTable, keyPos: keyPos, pos: pos, fields: map[string]*value{}}
}

func (v *value) set(k string, c *value) {
	if _, ok := v.fields[k]; !ok {
		v.keys = append(v.keys, k)
	}
	v.fields[k] = c
}

// doc parses TOML into the tree.
type doc struct {
	file  string
	data  []byte
	lines []int // byte offset of each line start
	p     unstable.Parser
	root  *value
	cur   *value
	diags diag.List
}

var utf8BOM = []byte("\xef\xbb\xbf")

// parseTOML parses data. On a syntax error it returns nil and a diagnostic
// at the error's position.
//
// A leading UTF-8 byte order mark is read as whitespace, as Codex's own
// TOML parser skips it; columns on the first line still count its bytes.
func parseTOML(file string, data []byte) (*value, diag.List) {
	if bytes.HasPrefix(data, utf8BOM) {
		data = append([]byte("   "), data[len(utf8BOM):]...)
	}
	d := &doc{file: file, data: data}
	d.lines = lineStarts(data)
	d.root = newTable(diag.Pos{File: file}, diag.Pos{File: file, Line: 1, Col: 1})
	d.cur = d.root
	d.p.Reset(data)
	for d.p.NextExpression() {
		d.expression(d.p.Expression())
	}
	if err := d.p.Error(); err != nil {
		d.diags.Errorf(d.errPos(err), diag.Syntax, "%s", lowerFirst(err.Error()))
		return nil, d.diags
	}
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	return d.root, d.diags
}

func lineStarts(b []byte) []int {
	starts := []int{0}
	for i, c := range b {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// at converts a byte offset into a position.
func (d *doc) at(off int) diag.Pos {
	line := sort.Search(len(d.lines), func(i int) bool { return d.lines[i] > off }) - 1
	if line < 0 {
		line = 0
	}
	return diag.Pos{File: d.file, Line: line + 1, Col: off - d.lines[line] + 1, Offset: off}
}

func (d *doc) posOf(n *unstable.Node) diag.Pos { return d.at(int(n.Raw.Offset)) }

func (d *doc) errPos(err error) diag.Pos {
	var perr *unstable.ParserError
	if errors.As(err, &perr) && perr.Highlight != nil {
		return d.at(int(d.p.Range(perr.Highlight).Offset))
	}
	return diag.Pos{File: d.file, Line: 1, Col: 1}
}

func (d *doc) expression(n *unstable.Node) {
	switch n.Kind {
	case unstable.Table:
		d.header(n, false)
	case unstable.ArrayTable:
		d.header(n, true)
	case unstable.KeyValue:
		d.keyValue(d.cur, n)
	}
}

type keyPart struct {
	name string
	pos  diag.Pos
	end  int // byte offset just past the key
}

func (d *doc) keyParts(it unstable.Iterator) []keyPart {
	var parts []keyPart
	for it.Next() {
		k := it.Node()
		end := int(k.Raw.Offset + k.Raw.Length)
		parts = append(parts, keyPart{name: string(k.Data), pos: d.posOf(k), end: end})
	}
	return parts
}

// header handles [a.b.c] and [[a.b.c]].
func (d *doc) header(n *unstable.Node, array bool) {
	parts := d.keyParts(n.Key())
	t := d.root
	for i, k := range parts {
		last := i == len(parts)-1
		child, ok := t.fields[k.name]
		switch {
		case last && array:
			if !ok {
				child = &value{kind: kArray, keyPos: k.pos, pos: k.pos}
				t.set(k.name, child)
			} else if child.kind != kArray || child.inline {
				d.redefined(k, child)
				d.cur = newTable(k.pos, k.pos)
				return
			}
			tbl := newTable(k.pos, k.pos)
			tbl.header = true
			child.elems = append(child.elems, tbl)
			d.cur = tbl
			return
		case last:
			if !ok {
				child = newTable(k.pos, k.pos)
				t.set(k.name, child)
			} else if child.kind != kTable || child.header || child.inline || !child.implicit || child.dotted {
				d.redefined(k, child)
				d.cur = newTable(k.pos, k.pos)
				return
			}
			child.header, child.implicit = true, false
			child.keyPos, child.pos = k.pos, k.pos
			d.cur = child
			return
		}
		t = d.descend(t, k)
		if t == nil {
			d.cur = newTable(k.pos, k.pos)
			return
		}
	}
}

// descend walks into (or creates) the implicit table k of t.
func (d *doc) descend(t *value, k keyPart) *value {
	child, ok := t.fields[k.name]
	if !ok {
		child = newTable(k.pos, k.pos)
		child.implicit = true
		t.set(k.name, child)
		return child
	}
	switch {
	case child.kind == kTable && !child.inline:
		return child
	case child.kind == kArray && !child.inline && len(child.elems) > 0:
		return child.elems[len(child.elems)-1]
	}
	d.redefined(k, child)
	return nil
}

func (d *doc) redefined(k keyPart, prev *value) {
	e := d.diags.Errorf(k.pos, diag.DuplicateKey, "key %q is defined more than once", k.name)
	e.Related = append(e.Related, diag.Related{Pos: prev.keyPos, Message: "first defined here"})
}

// keyValue handles a = 1 and a.b.c = 1 within table t.
func (d *doc) keyValue(t *value, n *unstable.Node) {
	parts := d.keyParts(n.Key())
	for _, k := range parts[:len(parts)-1] {
		next := d.descendDotted(t, k)
		if next == nil {
			return
		}
		t = next
	}
	k := parts[len(parts)-1]
	if prev, ok := t.fields[k.name]; ok {
		d.redefined(k, prev)
		return
	}
	v := d.value(n.Value(), d.afterEquals(k.end))
	v.keyPos = k.pos
	t.set(k.name, v)
}

func (d *doc) descendDotted(t *value, k keyPart) *value {
	child, ok := t.fields[k.name]
	if !ok {
		child = newTable(k.pos, k.pos)
		child.implicit, child.dotted = true, true
		t.set(k.name, child)
		return child
	}
	if child.kind == kTable && !child.inline && !child.header {
		child.dotted = true
		return child
	}
	d.redefined(k, child)
	return nil
}

// afterEquals is the position of the first character after the '=' that
// follows offset off (a key's end) and the blanks after it: where the
// key's value starts.
func (d *doc) afterEquals(off int) diag.Pos {
	off = min(max(off, 0), len(d.data))
	if i := bytes.IndexByte(d.data[off:], '='); i >= 0 {
		off += i + 1
		for off < len(d.data) && (d.data[off] == ' ' || d.data[off] == '\t') {
			off++
		}
	}
	return d.at(off)
}

// value converts a value node. The parser records no position for an
// array: it is at start (for an array in an array, the outer one's).
func (d *doc) value(n *unstable.Node, start diag.Pos) *value {
	pos := d.posOf(n)
	if n.Kind == unstable.Array {
		pos = start
	}
	switch n.Kind {
	case unstable.String:
		return &value{kind: kString, pos: pos, str: string(n.Data)}
	case unstable.Bool:
		return &value{kind: kBool, pos: pos, b: string(n.Data) == "true"}
	case unstable.Integer:
		i, err := parseInt(string(n.Data))
		if err != nil {
			d.diags.Errorf(pos, diag.Syntax, "integer %s: %v", n.Data, err)
		}
		return &value{kind: kInt, pos: pos, i: i}
	case unstable.Float:
		return &value{kind: kFloat, pos: pos}
	case unstable.Array:
		v := &value{kind: kArray, pos: pos, inline: true}
		it := n.Children()
		for it.Next() {
			v.elems = append(v.elems, d.value(it.Node(), pos))
		}
		return v
	case unstable.InlineTable:
		v := newTable(pos, pos)
		v.inline = true
		it := n.Children()
		for it.Next() {
			d.keyValue(v, it.Node())
		}
		return v
	}
	return &value{kind: kDateTime, pos: pos}
}

func parseInt(s string) (int64, error) {
	s = strings.ReplaceAll(s, "_", "")
	base := 10
	switch {
	case strings.HasPrefix(s, "0x"):
		base, s = 16, s[2:]
	case strings.HasPrefix(s, "0o"):
		base, s = 8, s[2:]
	case strings.HasPrefix(s, "0b"):
		base, s = 2, s[2:]
	}
	i, err := strconv.ParseInt(s, base, 64)
	if err != nil {
		return 0, fmt.Errorf("out of range")
	}
	return i, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
