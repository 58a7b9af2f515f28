package ir

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// EncodeJSON encodes v as the artifacts hold JSON: what a json.Encoder
// with SetIndent("", "  ") writes, final newline included; escapeHTML is
// the encoder's SetEscapeHTML. It gives the same bytes as the encoder,
// faster: the indentation is added by IndentJSON.
func EncodeJSON(v any, escapeHTML bool) ([]byte, error) {
	var w indentWriter
	enc := json.NewEncoder(&w)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return w.out, nil
}

// indentWriter indents what an encoder writes: the encoder writes each
// value, compact and with its final newline, in one call.
type indentWriter struct{ out []byte }

func (w *indentWriter) Write(p []byte) (int, error) {
	if w.out != nil {
		return 0, errors.New("ir: one JSON value per indentWriter")
	}
	// Indentation about doubles the size of the artifacts' JSON.
	out, err := IndentJSON(make([]byte, 0, 2*len(p)+512), p)
	if err != nil {
		return 0, err
	}
	w.out = out
	return len(p), nil
}

// IndentJSON appends src indented to dst, byte for byte as
// json.Indent(dst, src, "", "  ") would. It reads src as json.Marshal
// and json.Encoder write it, compact and valid; on whitespace between
// tokens or an unterminated string it hands src to json.Indent instead,
// which checks it.
func IndentJSON(dst, src []byte) ([]byte, error) {
	orig := len(dst)
	depth := 0
	needIndent := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			depth++
			dst = newline(dst, depth)
		}
		switch c {
		case '"':
			// A string, copied as it is up to its closing quote: the
			// first quote after an even run of backslashes.
			j := i + 1
			for {
				q := bytes.IndexByte(src[j:], '"')
				if q < 0 {
					return indentSlow(dst[:orig], src)
				}
				j += q
				k := j
				for src[k-1] == '\\' {
					k--
				}
				if (j-k)%2 == 0 {
					break
				}
				j++
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			needIndent = true // {} and [] stay on one line
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			dst = newline(dst, depth)
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if needIndent {
				needIndent = false
			} else {
				depth--
				dst = newline(dst, depth)
			}
			dst = append(dst, c)
		case ' ', '\t', '\r', '\n':
			if i == len(src)-1 && c == '\n' {
				dst = append(dst, c) // the encoder's final newline, kept as json.Indent keeps it
				continue
			}
			return indentSlow(dst[:orig], src)
		default:
			dst = append(dst, c)
		}
	}
	return dst, nil
}

// spaces is a newline and the indentation of the first levels.
var spaces = []byte("\n" + strings.Repeat("  ", 32))

func newline(dst []byte, depth int) []byte {
	if n := 1 + 2*depth; n <= len(spaces) {
		return append(dst, spaces[:n]...)
	}
	dst = append(dst, spaces...)
	for range depth - (len(spaces)-1)/2 {
		dst = append(dst, ' ', ' ')
	}
	return dst
}

func indentSlow(dst, src []byte) ([]byte, error) {
	b := bytes.NewBuffer(dst)
	if err := json.Indent(b, src, "", "  "); err != nil {
		return dst, err
	}
	return b.Bytes(), nil
}
