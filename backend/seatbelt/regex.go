package seatbelt

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// compileRegex checks that re is in the regex dialect the evaluator models
// and compiles it with Go's regexp, with "." matching newlines as in POSIX.
//
// The dialect: literal characters; "\" before one of \.+*?()|[]{}^$; ".";
// "^" and "$"; bracket expressions with an optional "^", ranges, "]" only
// first, "\\" for a backslash, "-" first or last, no "[:", "[." or "[=";
// groups "(...)" with "|" between non-empty branches; "*", "+" and "?"
// after an atom. Everything else is rejected, (?i) included: POSIX and Go
// would read it differently, or sandbox-exec is reported to break on it.
func compileRegex(re string) (*regexp.Regexp, error) {
	p := &reParser{s: re}
	if err := p.alternation(0); err != nil {
		return nil, fmt.Errorf("regex %q: %w", re, err)
	}
	if p.i != len(p.s) {
		return nil, fmt.Errorf("regex %q: unexpected %q at %d", re, p.s[p.i], p.i)
	}
	return regexp.Compile("(?s)" + re)
}

type reParser struct {
	s string
	i int
}

func (p *reParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *reParser) alternation(depth int) error {
	for {
		n, err := p.concat(depth)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("empty branch at %d", p.i)
		}
		if p.peek() != '|' {
			return nil
		}
		p.i++
	}
}

// concat parses atoms with their quantifiers and returns how many.
func (p *reParser) concat(depth int) (int, error) {
	n := 0
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '|' || (c == ')' && depth > 0) {
			return n, nil
		}
		quantifiable, err := p.atom(depth)
		if err != nil {
			return 0, err
		}
		n++
		if q := p.peek(); q == '*' || q == '+' || q == '?' {
			if !quantifiable {
				return 0, fmt.Errorf("%q after an anchor at %d", q, p.i)
			}
			p.i++
		}
	}
	return n, nil
}

func (p *reParser) atom(depth int) (bool, error) {
	c := p.s[p.i]
	switch c {
	case '^', '$':
		p.i++
		return false, nil
	case '.':
		p.i++
		return true, nil
	case '(':
		p.i++
		if err := p.alternation(depth + 1); err != nil {
			return false, err
		}
		if p.peek() != ')' {
			return false, fmt.Errorf("unclosed group")
		}
		p.i++
		return true, nil
	case '[':
		return true, p.class()
	case '\\':
		if p.i+1 >= len(p.s) || strings.IndexByte(regexMeta, p.s[p.i+1]) < 0 {
			return false, fmt.Errorf("unsupported escape at %d", p.i)
		}
		p.i += 2
		return true, nil
	case '*', '+', '?', ')', ']', '{', '}':
		return false, fmt.Errorf("unexpected %q at %d", c, p.i)
	}
	_, n := utf8.DecodeRuneInString(p.s[p.i:])
	p.i += n
	return true, nil
}

// class parses a bracket expression starting at "[".
func (p *reParser) class() error {
	start := p.i
	p.i++
	if p.peek() == '^' {
		p.i++
	}
	first := p.i
	var prev rune = -1
	for {
		if p.i >= len(p.s) {
			return fmt.Errorf("unclosed bracket expression at %d", start)
		}
		c := p.s[p.i]
		switch {
		case c == ']' && p.i > first:
			p.i++
			return nil
		case c == '[' && p.i+1 < len(p.s) && strings.IndexByte(":.=", p.s[p.i+1]) >= 0:
			return fmt.Errorf("character class names are not supported at %d", p.i)
		case c == '\\':
			if p.i+1 >= len(p.s) || p.s[p.i+1] != '\\' {
				return fmt.Errorf("a backslash in brackets must be doubled at %d", p.i)
			}
			p.i += 2
			prev = '\\'
			continue
		case c == '-':
			if err := p.dash(first, prev); err != nil {
				return err
			}
			prev = -1
			continue
		}
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		p.i += n
		prev = r
	}
}

// dash handles "-" inside brackets: literal first or last, else a range.
func (p *reParser) dash(first int, prev rune) error {
	at := p.i
	p.i++
	if at == first || p.peek() == ']' {
		return nil
	}
	hi, n := utf8.DecodeRuneInString(p.s[p.i:])
	special := strings.ContainsRune(classSpecial, prev) || strings.ContainsRune(classSpecial, hi)
	if prev < 0 || special || hi < prev {
		return fmt.Errorf("malformed range at %d", at)
	}
	p.i += n
	return nil
}
