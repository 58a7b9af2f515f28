package seatbelt

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
)

// maxGlobAlternatives bounds brace expansion ({a,b}{c,d} gives four).
const maxGlobAlternatives = 64

// globRegex translates a pattern of the spec's glob dialect, as ir.Decide
// hands it to doublestar (the components below the literal prefix, joined
// by "/"), into a regex matching exactly the names doublestar accepts.
// With fold the pattern and the names compare lower-cased, as Decide does
// for denies on macOS. The regex has no anchors.
func globRegex(pat string, fold bool) (string, error) {
	if fold {
		pat = strings.ToLower(pat)
	}
	if !doublestar.ValidatePattern(pat) {
		return "", fmt.Errorf("malformed glob %q", pat)
	}
	if err := checkGlobDialect(pat); err != nil {
		return "", fmt.Errorf("glob %q: %w", pat, err)
	}
	alts, err := expandBraces(pat, nil)
	if err != nil {
		return "", err
	}
	parts := make([]string, 0, len(alts))
	seen := map[string]bool{}
	raw, err := splitSegments(pat)
	if err != nil {
		return "", fmt.Errorf("glob %q: %w", pat, err)
	}
	for _, a := range alts {
		re, err := globAltRegex(a, raw, fold)
		if err != nil {
			return "", err
		}
		if !seen[re] {
			seen[re] = true
			parts = append(parts, re)
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "(" + strings.Join(parts, "|") + ")", nil
}

// expandBraces rewrites p into brace-free alternatives, finding braces the
// way doublestar does (escapes and bracket expressions skipped).
func expandBraces(p string, out []string) ([]string, error) {
	open := indexBrace(p)
	if open < 0 {
		if len(out) >= maxGlobAlternatives {
			return nil, fmt.Errorf("glob %q has more than %d alternatives", p, maxGlobAlternatives)
		}
		return append(out, p), nil
	}
	alts, end := splitAlternatives(p[open+1:])
	if end < 0 {
		return nil, fmt.Errorf("glob %q has an unclosed {", p)
	}
	if endsWithStar(p[:open]) {
		// doublestar cannot end a name on "*{...}": "a*{,x}" misses "a".
		return nil, fmt.Errorf("glob %q: a * right before braces is not supported", p)
	}
	rest := p[open+1+end+1:]
	var err error
	for _, a := range alts {
		if out, err = expandBraces(p[:open]+a+rest, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// indexBrace returns the index of the first "{" that opens alternatives.
func indexBrace(p string) int {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '[':
			i = skipClass(p, i)
		case '{':
			return i
		}
	}
	return -1
}

// skipClass returns the index of the "]" closing the class opened at i.
func skipClass(p string, i int) int {
	for i++; i < len(p); i++ {
		if p[i] == '\\' {
			i++
		} else if p[i] == ']' {
			return i
		}
	}
	return len(p)
}

// splitAlternatives splits s, the text after a "{", at its top-level
// commas, returning the alternatives and the index of the closing "}".
func splitAlternatives(s string) ([]string, int) {
	depth, start := 1, 0
	var alts []string
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			i = skipClass(s, i)
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return append(alts, s[start:i]), i
			}
		case ',':
			if depth == 1 {
				alts = append(alts, s[start:i])
				start = i + 1
			}
		}
	}
	return nil, -1
}

var errGlobShape = errors.New("glob components must be non-empty and classes cannot hold /")

// checkGlobDialect rejects the shapes on which doublestar, and so
// ir.Decide, departs from the spec's dialect in ways no regex can follow:
// a negated class may match "/" there, "**" inside a component or made up
// by braces changes meaning with what follows, and braces holding "/" are
// judged before they are expanded.
func checkGlobDialect(p string) error {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '[':
			if i+1 < len(p) && (p[i+1] == '!' || p[i+1] == '^') {
				return errors.New("negated classes are not supported")
			}
			i = skipClass(p, i)
		case '{':
			_, end := splitAlternatives(p[i+1:])
			if end >= 0 && strings.ContainsAny(p[i+1:i+1+end], "/") {
				return errors.New("alternatives in braces cannot hold /")
			}
			if end >= 0 && strings.Contains(p[i+1:i+1+end], "**") {
				return errors.New("alternatives in braces cannot hold **")
			}
		}
	}
	return nil
}

// globAltRegex translates one brace-free pattern; raw are the components
// of the pattern before brace expansion.
func globAltRegex(p string, raw []string, fold bool) (string, error) {
	segs, err := splitSegments(p)
	if err != nil {
		return "", fmt.Errorf("glob %q: %w", p, err)
	}
	for i, s := range segs {
		if strings.Contains(s, "**") && (s != "**" || i >= len(raw) || raw[i] != "**") {
			return "", fmt.Errorf("glob %q: ** must be a whole component", p)
		}
	}
	var b strings.Builder
	if err := segsRegex(&b, segs, fold); err != nil {
		return "", fmt.Errorf("glob %q: %w", p, err)
	}
	return b.String(), nil
}

// segsRegex writes the regex for names matching the components segs. A
// "**" component matches any number of whole components; a trailing one
// also matches nothing at all, so "a/**" covers a itself.
func segsRegex(b *strings.Builder, segs []string, fold bool) error {
	if len(segs) == 0 {
		return nil
	}
	if segs[0] == "**" {
		if len(segs) == 1 {
			b.WriteString(".*")
			return nil
		}
		b.WriteString("(.*/)?")
		return segsRegex(b, segs[1:], fold)
	}
	if len(segs) == 2 && segs[1] == "**" {
		return lastSegmentRegex(b, segs[0], fold)
	}
	if err := segmentRegex(b, segs[0], fold); err != nil {
		return err
	}
	if len(segs) == 1 {
		return nil
	}
	b.WriteString("/")
	return segsRegex(b, segs[1:], fold)
}

// lastSegmentRegex writes s followed by a final "**". The name may end
// with s only when doublestar has moved past all of s: a trailing "*" of s
// must then have matched at least one character ("a*/**" matches "ab" but
// not "a").
func lastSegmentRegex(b *strings.Builder, s string, fold bool) error {
	if !endsWithStar(s) {
		if err := segmentRegex(b, s, fold); err != nil {
			return err
		}
		b.WriteString("(/.*)?")
		return nil
	}
	if err := segmentRegex(b, s[:len(s)-1], fold); err != nil {
		return err
	}
	b.WriteString("([^/]+|[^/]*/.*)")
	return nil
}

// endsWithStar reports whether s ends with a "*" that is not escaped.
func endsWithStar(s string) bool {
	if !strings.HasSuffix(s, "*") {
		return false
	}
	n := 0
	for i := len(s) - 2; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
}

// splitSegments splits at "/" outside bracket expressions and rejects
// empty components and "/" inside a class.
func splitSegments(p string) ([]string, error) {
	var segs []string
	start := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '[':
			end := skipClass(p, i)
			if strings.Contains(p[i:min(end, len(p))], "/") {
				return nil, errGlobShape
			}
			i = end
		case '/':
			segs = append(segs, p[start:i])
			start = i + 1
		}
	}
	segs = append(segs, p[start:])
	for _, s := range segs {
		if s == "" {
			return nil, errGlobShape
		}
	}
	return segs, nil
}

// segmentRegex translates one component: * and ? stay inside it.
func segmentRegex(b *strings.Builder, s string, fold bool) error {
	for i := 0; i < len(s); {
		switch s[i] {
		case '*':
			for i < len(s) && s[i] == '*' {
				i++
			}
			b.WriteString("[^/]*")
			continue
		case '?':
			b.WriteString("[^/]")
			i++
			continue
		case '[':
			n, err := classRegex(b, s[i:], fold)
			if err != nil {
				return err
			}
			i += n
			continue
		case '\\':
			i++
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if fold {
			writeFolded(b, r)
		} else {
			writeLiteral(b, r)
		}
		i += n
	}
	return nil
}

// classRegex translates the bracket expression at the start of s with
// doublestar's rules: "!" or "^" negates, "\" escapes, lo-hi ranges, a "-"
// first or last is literal. A negated class may match "/", as in
// doublestar. It returns the bytes consumed.
func classRegex(b *strings.Builder, s string, fold bool) (int, error) {
	i := 1
	neg := i < len(s) && (s[i] == '!' || s[i] == '^')
	if neg {
		i++
	}
	var set runeRanges
	last := utf8.MaxRune
	for i < len(s) && s[i] != ']' {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if last < utf8.MaxRune && r == '-' && i < len(s) && s[i] != ']' {
			if s[i] == '\\' {
				i++
			}
			hi, n := utf8.DecodeRuneInString(s[i:])
			i += n
			set = append(set, [2]rune{last, hi})
			last = utf8.MaxRune
			continue
		}
		if r == '\\' {
			r, n = utf8.DecodeRuneInString(s[i:])
			i += n
		}
		set = append(set, [2]rune{r, r})
		last = r
	}
	if i >= len(s) {
		return 0, fmt.Errorf("unclosed class")
	}
	if fold {
		set = foldSet(set)
	}
	if !neg && len(set.norm()) == 0 {
		return 0, fmt.Errorf("class %s matches nothing", s[:i+1])
	}
	b.WriteString(classOf(neg, set))
	return i + 1, nil
}

// foldSet returns the runes whose lower case lies in the (lowered) set.
func foldSet(set runeRanges) runeRanges {
	var out runeRanges
	for _, r := range set {
		if r[0] <= r[1] {
			out = out.plus(foldRange(r[0], r[1]))
		}
	}
	return out
}
