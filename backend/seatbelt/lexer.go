package seatbelt

import (
	"fmt"
	"io"

	"github.com/alecthomas/participle/v2/lexer"
)

// sbplLexer is a hand-written scanner for participle: SBPL has five token
// kinds, and a scanner reading bytes is many times faster than matching a
// regex at every offset. Whitespace is skipped, not returned.
type sbplLexDef struct{}

var sbplLexer lexer.Definition = sbplLexDef{}

// Token types, as participle numbers them: negative, EOF first.
const (
	tokComment lexer.TokenType = -2 - iota
	tokString
	tokNumber
	tokIdent
	tokParen
)

// Symbols names the token types for participle.
func (sbplLexDef) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{"EOF": lexer.EOF, "Comment": tokComment, "String": tokString,
		"Number": tokNumber, "Ident": tokIdent, "Paren": tokParen}
}

// Lex scans everything r holds.
func (d sbplLexDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexBytes(filename, b)
}

// LexBytes scans b; participle prefers it to Lex.
func (sbplLexDef) LexBytes(filename string, b []byte) (lexer.Lexer, error) {
	return &scanner{src: string(b), pos: lexer.Position{Filename: filename, Line: 1, Column: 1}}, nil
}

type scanner struct {
	src string
	pos lexer.Position
}

// advance moves the position over n bytes.
func (s *scanner) advance(n int) {
	for _, c := range []byte(s.src[s.pos.Offset : s.pos.Offset+n]) {
		if c == '\n' {
			s.pos.Line++
			s.pos.Column = 1
		} else {
			s.pos.Column++
		}
	}
	s.pos.Offset += n
}

// Next returns the next token, skipping whitespace.
func (s *scanner) Next() (lexer.Token, error) {
	for s.pos.Offset < len(s.src) && isSpace(s.src[s.pos.Offset]) {
		s.advance(1)
	}
	start := s.pos
	if start.Offset >= len(s.src) {
		return lexer.EOFToken(start), nil
	}
	typ, n, err := s.token(s.src[start.Offset:])
	if err != nil {
		return lexer.Token{}, fmt.Errorf("%d:%d: %w", start.Line, start.Column, err)
	}
	s.advance(n)
	return lexer.Token{Type: typ, Value: s.src[start.Offset : start.Offset+n], Pos: start}, nil
}

// token classifies the token at the start of rest and returns its length.
func (s *scanner) token(rest string) (lexer.TokenType, int, error) {
	c := rest[0]
	switch {
	case c == '(' || c == ')':
		return tokParen, 1, nil
	case c == ';':
		n := 0
		for n < len(rest) && rest[n] != '\n' {
			n++
		}
		return tokComment, n, nil
	case c == '"':
		return tokString, stringLen(rest), nil
	case c >= '0' && c <= '9':
		return tokNumber, span(rest, isDigit), nil
	case isIdentStart(c):
		return tokIdent, span(rest, isIdent), nil
	}
	return 0, 0, fmt.Errorf("unexpected %q", c)
}

// stringLen returns the length of the string literal at the start of s,
// or of s when it never closes (the reader then rejects it).
func stringLen(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s)
}

func span(s string, ok func(byte) bool) int {
	n := 0
	for n < len(s) && ok(s[n]) {
		n++
	}
	return n
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '*'
}

func isIdent(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '-' || c == '.' }
