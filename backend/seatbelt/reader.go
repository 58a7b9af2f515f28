package seatbelt

import (
	"fmt"
	"strings"

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

var sbplParser = participle.MustBuild[pFile](participle.Lexer(sbplLexer))

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
	f, err := sbplParser.ParseBytes("", src)
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
