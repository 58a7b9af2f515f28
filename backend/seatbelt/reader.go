package seatbelt

import (
	"fmt"
	"strings"
	"sync"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The reader is two steps: participle turns the text into s-expressions
// (comments kept as items), then toNodes attaches each comment run to the
// item after it. Program building (program.go) gives the nodes meaning.

type pFile struct {
	Items []*pItem `parser:"@@*"`
}

type pItem struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Comment *string `parser:"  @Comment"`
	Str     *string `parser:"| @String"`
	Num     *string `parser:"| @Number"`
	Sym     *string `parser:"| @Ident"`
	List    *pList  `parser:"| '(' @@ ')'"`
}

type pList struct {
	Items []*pItem `parser:"@@*"`
}

// sbplParser is built on first use: readNodesDirect reads well-formed
// text without it.
var sbplParser = sync.OnceValue(func() *participle.Parser[pFile] {
	return participle.MustBuild[pFile](participle.Lexer(sbplLexer))
})

type nodeKind uint8

const (
	nodeStr nodeKind = iota
	nodeNum
	nodeSym
	nodeList
)

// node is one s-expression item with the comments written right before it.
type node struct {
	kind     nodeKind
	line     int
	comments []string
	text     string // unquoted string, number or symbol; list head
	args     []*node
	src      string // source text of a list
}

// readNodes parses SBPL text into top-level nodes.
func readNodes(src []byte) ([]*node, error) {
	if nodes, ok := readNodesDirect(src); ok {
		return nodes, nil
	}
	f, err := sbplParser().ParseBytes("", src)
	if err != nil {
		return nil, fmt.Errorf("sbpl: %w", err)
	}
	return toNodes(f.Items, string(src))
}

func toNodes(items []*pItem, src string) ([]*node, error) {
	var out []*node
	var comments []string
	for _, it := range items {
		if it.Comment != nil {
			comments = append(comments, strings.TrimSpace(strings.TrimPrefix(*it.Comment, ";")))
			continue
		}
		n, err := toNode(it, src)
		if err != nil {
			return nil, err
		}
		n.comments, comments = comments, nil
		out = append(out, n)
	}
	return out, nil
}

func toNode(it *pItem, src string) (*node, error) {
	n := &node{line: it.Pos.Line}
	switch {
	case it.Str != nil:
		s, err := unquote(*it.Str)
		if err != nil {
			return nil, fmt.Errorf("sbpl:%d: %w", n.line, err)
		}
		n.kind, n.text = nodeStr, s
	case it.Num != nil:
		n.kind, n.text = nodeNum, *it.Num
	case it.Sym != nil:
		n.kind, n.text = nodeSym, *it.Sym
	default:
		return listNode(n, it, src)
	}
	return n, nil
}

func listNode(n *node, it *pItem, src string) (*node, error) {
	n.kind = nodeList
	n.src = strings.TrimRight(src[it.Pos.Offset:it.EndPos.Offset], " \t\r\n")
	args, err := toNodes(it.List.Items, src)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 || args[0].kind != nodeSym {
		return nil, fmt.Errorf("sbpl:%d: a form must start with a name", n.line)
	}
	n.text, n.args = args[0].text, args[1:]
	return n, nil
}

// readNodesDirect reads well-formed SBPL straight into nodes, giving what
// participle and toNodes give, without participle's reflection: it is
// several times faster, which matters for the data files every compile
// reads. On anything else (a lexer error, an unbalanced or empty list, a
// string that does not unquote, a form that does not start with a name)
// it gives up and readNodes asks participle, whose errors the messages
// come from.
func readNodesDirect(src []byte) ([]*node, bool) {
	r := &directReader{s: scanner{src: string(src), pos: lexer.Position{Line: 1, Column: 1}}}
	r.next()
	nodes, ok := r.items(false)
	if !ok || r.err || r.tok.Type != lexer.EOF {
		return nil, false
	}
	return nodes, true
}

type directReader struct {
	s   scanner
	tok lexer.Token
	err bool
}

func (r *directReader) next() {
	t, err := r.s.Next()
	if err != nil {
		r.err = true
		t = lexer.EOFToken(r.s.pos)
	}
	r.tok = t
}

// items reads items up to a closing parenthesis (inList) or the end,
// attaching each comment run to the item after it, as toNodes does.
func (r *directReader) items(inList bool) ([]*node, bool) {
	var out []*node
	var comments []string
	for !r.err {
		t := r.tok
		var n *node
		switch t.Type {
		case lexer.EOF:
			return out, !inList // a comment run at the end belongs to no item
		case tokComment:
			comments = append(comments, strings.TrimSpace(strings.TrimPrefix(t.Value, ";")))
			r.next()
			continue
		case tokString:
			s, err := unquote(t.Value)
			if err != nil {
				return nil, false
			}
			n = &node{kind: nodeStr, line: t.Pos.Line, text: s}
			r.next()
		case tokNumber:
			n = &node{kind: nodeNum, line: t.Pos.Line, text: t.Value}
			r.next()
		case tokIdent:
			n = &node{kind: nodeSym, line: t.Pos.Line, text: t.Value}
			r.next()
		case tokParen:
			if t.Value == ")" {
				return out, inList
			}
			r.next()
			args, ok := r.items(true)
			if !ok || r.err || r.tok.Type != tokParen || r.tok.Value != ")" || len(args) == 0 || args[0].kind != nodeSym {
				return nil, false
			}
			r.next()
			// The source runs to the token after the list, as
			// participle's EndPos does, less the blanks before it.
			n = &node{kind: nodeList, line: t.Pos.Line, text: args[0].text, args: args[1:],
				src: strings.TrimRight(r.s.src[t.Pos.Offset:r.tok.Pos.Offset], " \t\r\n")}
		default:
			return nil, false
		}
		n.comments, comments = comments, nil
		out = append(out, n)
	}
	return nil, false
}
