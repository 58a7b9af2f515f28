package host

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Kind is the shape of a domain pattern.
type Kind uint8

const (
	Exact   Kind = iota // "example.com": that host only
	Sub                 // "*.example.com": subdomains only, not the apex
	ApexSub             // "**.example.com": the apex and its subdomains
	Any                 // "*": every host; the spec allows it only in an allow
)

var kindNames = [...]string{"exact", "sub", "apexsub", "any"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Pattern is a parsed domains-table key. Host is canonical (see Canonical)
// and empty for Any.
type Pattern struct {
	Kind Kind
	Host string
}

// String returns the canonical spelling, which ParsePattern reads back to
// the same Pattern.
func (p Pattern) String() string {
	switch p.Kind {
	case Sub:
		return "*." + p.Host
	case ApexSub:
		return "**." + p.Host
	case Any:
		return "*"
	}
	return p.Host
}

// MarshalText writes the canonical spelling.
func (p Pattern) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses with ParsePattern.
func (p *Pattern) UnmarshalText(b []byte) error {
	q, err := ParsePattern(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Match reports whether a canonical host matches the pattern. Wildcards
// never match IP literals.
func (p Pattern) Match(h string) bool {
	switch p.Kind {
	case Exact:
		return h == p.Host
	case Sub:
		return below(h, p.Host) && !isIPLiteral(h)
	case ApexSub:
		return h == p.Host || below(h, p.Host) && !isIPLiteral(h)
	case Any:
		return true
	}
	return false
}

// below reports whether h is a strict subdomain of d.
func below(h, d string) bool {
	n := len(h) - len(d)
	return n > 1 && h[n-1] == '.' && h[n:] == d
}

// The grammar. Tokens are coarse on purpose: everything a key may not
// contain (a scheme, "/", a "*" inside a label, spaces, "@", "?", "#") is a
// token of its own, so the parser stops exactly there and the error can
// name it. What a label may contain is left to Canonical.
func patternLexer() *lexer.StatefulDefinition {
	return lexer.MustSimple([]lexer.SimpleRule{
		{Name: "Scheme", Pattern: `[A-Za-z][A-Za-z0-9+.\-]*://`},
		{Name: "Wild", Pattern: `\*+`},
		{Name: "Open", Pattern: `\[`},
		{Name: "Close", Pattern: `\]`},
		{Name: "Colon", Pattern: `:`},
		{Name: "Dot", Pattern: `\.`},
		{Name: "Slash", Pattern: `[/\\]`},
		{Name: "Space", Pattern: `\s+`},
		{Name: "Label", Pattern: `[^.:/\\\[\]*\s@?#]+`},
		{Name: "Other", Pattern: `.`},
	})
}

// patternAST is a whole key: "*", or an optional "*." or "**." and a host.
type patternAST struct {
	Wild *wildAST `parser:"@@?"`
	Host *hostAST `parser:"@@?"`
}

// wildAST is the leading wildcard; Dot is false for a bare "*".
type wildAST struct {
	Pos   lexer.Position
	Stars string `parser:"@Wild"`
	Dot   bool   `parser:"@'.'?"`
}

// hostAST is a bracketed IP literal or a run of labels, dots and colons
// (a name, a name and port, or a bare IPv6 literal).
type hostAST struct {
	Pos     lexer.Position
	Bracket *bracketAST `parser:"(  @@"`
	Bare    []*tokAST   `parser:" | @@+ )"`
}

// bracketAST is "[...]" with an optional ":port".
type bracketAST struct {
	Inner []*tokAST `parser:"'[' @@* ']'"`
	Port  []*tokAST `parser:"( ':' @@* )?"`
}

// tokAST is one token of a host, kept with its position.
type tokAST struct {
	Pos  lexer.Position
	Text string `parser:"@(Label | '.' | ':')"`
}

// patternParser is built on first use, not when the package loads: every
// permc command imports the package, few parse a pattern.
var patternParser = sync.OnceValue(func() *participle.Parser[patternAST] {
	return participle.MustBuild[patternAST](participle.Lexer(patternLexer()))
})

// ParsePattern parses a network.domains key: "*", "*.domain", "**.domain"
// or a host, normalised as the spec says (trim, lowercase, strip a trailing
// dot, brackets and a simple port) and as DESIGN.md adds (IDNA, numeric
// IPv4, IPv4-mapped IPv6). Whether "*" appears only as an allow is the
// caller's rule. The error is an *Error with the offset of the problem.
func ParsePattern(s string) (Pattern, error) {
	p, err := parsePattern(s)
	if err != nil {
		return Pattern{}, err.finish(s)
	}
	return p, nil
}

// parsePattern is ParsePattern with a concrete error type.
func parsePattern(s string) (Pattern, *Error) {
	t, lead := trim(s)
	if t == "" {
		return Pattern{}, errorAt(0, "empty pattern")
	}
	if len(t) > maxInput {
		return Pattern{}, errorAt(lead, "pattern is longer than %d bytes", maxInput)
	}
	ast, ok := simpleAST(t)
	if !ok {
		var err error
		ast, err = patternParser().ParseString("", t)
		if err != nil {
			return Pattern{}, grammarError(t, err).shift(lead)
		}
	}
	p, e := ast.pattern(t)
	if e != nil {
		return Pattern{}, e.shift(lead)
	}
	return p, nil
}

// simpleAST builds the tree the parser would build for the common key:
// an optional "*." or "**." and then labels of ASCII letters, digits, "-"
// and "_" joined by single dots. Each label is one Label token and each
// dot one Dot token, as the lexer reads them (no ":", so no Scheme); the
// parser is built and run only for other keys.
func simpleAST(t string) (*patternAST, bool) {
	a := &patternAST{}
	rest := 0
	if stars := len(t) - len(strings.TrimLeft(t, "*")); stars > 0 {
		if stars > 2 || len(t) == stars || t[stars] != '.' {
			return nil, false
		}
		a.Wild = &wildAST{Pos: tokenPos(0), Stars: t[:stars], Dot: true}
		rest = stars + 1
	}
	h := &hostAST{Pos: tokenPos(rest)}
	start := rest
	for i := rest; i <= len(t); i++ {
		if i < len(t) && t[i] != '.' {
			c := t[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return nil, false
			}
			continue
		}
		if i == start {
			return nil, false // an empty label: the parser's error
		}
		h.Bare = append(h.Bare, &tokAST{Pos: tokenPos(start), Text: t[start:i]})
		if i < len(t) {
			h.Bare = append(h.Bare, &tokAST{Pos: tokenPos(i), Text: "."})
		}
		start = i + 1
	}
	a.Host = h
	return a, true
}

// tokenPos is the lexer's position of offset off in a one-line key.
func tokenPos(off int) lexer.Position {
	return lexer.Position{Offset: off, Line: 1, Column: off + 1}
}

// pattern checks the parsed key and canonicalises its host.
func (a *patternAST) pattern(t string) (Pattern, *Error) {
	kind, err := a.kind(t)
	if err != nil || kind == Any {
		return Pattern{Kind: kind}, err
	}
	if err := a.Host.emptyLabel(); err != nil {
		return Pattern{}, err
	}

	// The host runs to the end of the key: the grammar allows no trailer.
	off := a.Host.Pos.Offset
	h, err := canonical(t[off:])
	if err != nil {
		return Pattern{}, err.shift(off)
	}
	if kind != Exact && isIPLiteral(h) {
		return Pattern{}, errorAt(a.Wild.Pos.Offset, "a wildcard cannot apply to an ip address (%s)", h)
	}
	return Pattern{Kind: kind, Host: h}, nil
}

// kind reads the wildcard prefix.
func (a *patternAST) kind(t string) (Kind, *Error) {
	w := a.Wild
	if w == nil {
		return Exact, nil
	}
	end := w.Pos.Offset + len(w.Stars)
	switch {
	case len(w.Stars) > 2:
		return 0, errorAt(w.Pos.Offset,
			`%q is not a wildcard: use "*", "*.domain" or "**.domain"`, w.Stars)
	case !w.Dot && a.Host == nil && w.Stars == "*":
		return Any, nil
	case !w.Dot && a.Host == nil:
		return 0, errorAt(w.Pos.Offset, `"**" needs a domain ("**.example.com"); use "*" for every host`)
	case !w.Dot:
		return 0, errorAt(end, `%q must be followed by "." and a domain, as in %q`,
			w.Stars, w.Stars+".example.com")
	case a.Host == nil:
		return 0, errorAt(end+1, "a wildcard needs a domain after %q", t[:end+1])
	case w.Stars == "**":
		return ApexSub, nil
	}
	return Sub, nil
}

// emptyLabel finds "a..b" or ".a" in a name, before IDNA loses positions.
func (h *hostAST) emptyLabel() *Error {
	prevDot := true
	for _, tok := range h.Bare {
		switch {
		case tok.Text == ":":
			return nil // the port, or an IPv6 literal: Canonical checks it
		case tok.Text == "." && prevDot:
			return errorAt(tok.Pos.Offset, "empty label")
		}
		prevDot = tok.Text == "."
	}
	return nil
}

// grammarError turns a parser error into a message that names the token
// the grammar refused. The lexer has a catch-all rule, so every error is
// the parser's and carries the offset of the refused token.
func grammarError(t string, err error) *Error {
	var perr participle.Error
	if !errors.As(err, &perr) {
		// The catch-all lexer rule makes this unreachable; the fuzz
		// targets hold that every error is an *Error with an offset.
		return errorAt(0, "internal error (bug): cannot parse pattern: %v", err)
	}
	off := min(max(perr.Position().Offset, 0), len(t))
	return refused(t, off).shift(off)
}

var schemeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*://`) })

// refused explains why the text at t[off:] cannot stand there.
func refused(t string, off int) *Error {
	rest := t[off:]
	if rest == "" {
		if strings.Contains(t, "[") {
			return errorAt(0, `missing "]" after "["`)
		}
		return errorAt(0, "incomplete pattern")
	}
	if m := schemeRE().FindString(rest); m != "" {
		return errorAt(0, "a pattern is a host, not a url: remove %q", m)
	}
	switch rest[0] {
	case '*':
		return errorAt(0, `"*" is allowed only as a whole first label: `+
			`"*", "*.example.com" or "**.example.com"`)
	case '/', '\\':
		return slashError(t, off)
	case '[':
		return errorAt(0, `"[" may only open a bracketed ip address at the start`)
	case ']':
		return errorAt(0, `unexpected "]"`)
	case '@':
		return errorAt(0, `a pattern is a host without user info: remove %q`, t[:off+1])
	case '?', '#':
		return errorAt(0, "a pattern is a host without a query or fragment: remove %q", rest)
	}
	if r, _ := utf8.DecodeRuneInString(rest); unicode.IsSpace(r) {
		return errorAt(0, "space inside a pattern")
	}
	if strings.Contains(t[:off], "]") {
		return errorAt(0, `unexpected %q after "]": only ":port" may follow`, rest)
	}
	return errorAt(0, "unexpected %q", rest)
}

// slashError tells a CIDR range from a path.
func slashError(t string, off int) *Error {
	addr := strings.TrimLeft(t[:off], "*.")
	bits := t[off+1:]
	if h, err := canonical(addr); err == nil && allDigits(bits) {
		if _, ok := ParseIP(h); ok {
			return errorAt(0, "cidr ranges are not supported (%s/%s): "+
				"a pattern names one host or ip address", h, bits)
		}
	}
	if _, err := netip.ParsePrefix(t); err == nil {
		return errorAt(0, "cidr ranges are not supported: a pattern names one host or ip address")
	}
	return errorAt(0, "a pattern is a host without a path: remove %q", t[off:])
}
