package seatbelt

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Quote renders s as an SBPL string literal. Backslash and double quote are
// escaped, newline, tab and carriage return use their usual escapes, other
// control characters and bytes that are not UTF-8 become \xHH. Whatever s
// holds, the literal is one token: it cannot end early or open a form.
func Quote(s string) string {
	if quoteSafe(s) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}

// unquote reverses Quote for the token text tok (quotes included). It
// accepts exactly the escapes Quote writes.
func unquote(tok string) (string, error) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", fmt.Errorf("malformed string %s", tok)
	}
	body := tok[1 : len(tok)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(body) {
			return "", fmt.Errorf("string ends in a backslash")
		}
		i++
		switch body[i] {
		case '"', '\\':
			b.WriteByte(body[i])
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			v, err := hexByte(body[i+1:])
			if err != nil {
				return "", err
			}
			b.WriteByte(v)
			i += 2
		default:
			return "", fmt.Errorf("unknown string escape \\%c", body[i])
		}
	}
	return b.String(), nil
}

func hexByte(s string) (byte, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf(`\x needs two hex digits`)
	}
	var v byte
	for _, c := range []byte(s[:2]) {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | (c - '0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | (c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | (c - 'A' + 10)
		default:
			return 0, fmt.Errorf(`\x needs two hex digits`)
		}
	}
	return v, nil
}

// commentText makes s safe for a ";" comment: one line, control characters
// and invalid bytes escaped.
func commentText(s string) string {
	if commentSafe(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == 0x85:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// quoteSafe reports whether s is printable ASCII without a quote or a
// backslash, which Quote writes as they are: the common case.
func quoteSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// commentSafe reports whether s is printable ASCII, the common case.
func commentSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
