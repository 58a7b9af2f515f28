package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// statusError is a request the proxy answers itself with a status.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

func badRequest(format string, args ...any) *statusError {
	return &statusError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

var errHeadTooLarge = &statusError{http.StatusRequestHeaderFieldsTooLarge, "request head too large"}

// request is a parsed request head. The proxy parses heads itself, rather
// than with net/http, because it must see the Host header of an
// absolute-form request (net/http drops it) and must refuse ambiguous
// framing that net/http would repair.
type request struct {
	method, target string
	minor          int // HTTP/1.minor
	header         http.Header
	host           string // the Host header; hasHost says whether one was sent
	hasHost        bool
	contentLength  int64 // -1 when absent
	chunked        bool
}

// maxHeadLines bounds the lines of a request or response head. A head of
// many tiny fields ("A: b") costs several times its size once parsed.
const maxHeadLines = 1000

// headReader reads the lines of a head within a byte budget.
type headReader struct {
	br    *bufio.Reader
	left  int
	lines int
}

// line returns the next line without its CRLF or LF.
func (h *headReader) line() ([]byte, error) {
	if h.lines++; h.lines > maxHeadLines {
		return nil, errHeadTooLarge
	}
	var line []byte
	for {
		frag, err := h.br.ReadSlice('\n')
		h.left -= len(frag)
		if h.left < 0 {
			return nil, errHeadTooLarge
		}
		line = append(line, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return nil, err
		}
		line = line[:len(line)-1]
		return bytes.TrimSuffix(line, []byte{'\r'}), nil
	}
}

// readRequest reads and checks one request head.
func readRequest(br *bufio.Reader, max int) (*request, error) {
	h := &headReader{br: br, left: max}
	line, err := h.line()
	// RFC 9112 2.2: ignore an empty line before the request line.
	for i := 0; err == nil && len(line) == 0 && i < 4; i++ {
		line, err = h.line()
	}
	if err != nil {
		return nil, err
	}
	r := &request{contentLength: -1}
	if err := r.parseRequestLine(string(line)); err != nil {
		return nil, err
	}
	if r.header, err = readHeader(h); err != nil {
		return nil, err
	}
	return r, r.checkHeader()
}

func (r *request) parseRequestLine(line string) error {
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !isToken(method) || target == "" || !visible(target) {
		return badRequest("malformed request line")
	}
	switch proto {
	case "HTTP/1.1":
		r.minor = 1
	case "HTTP/1.0":
		r.minor = 0
	default:
		if strings.HasPrefix(proto, "HTTP/") && !strings.ContainsAny(proto, " \t") {
			return &statusError{http.StatusHTTPVersionNotSupported, "only HTTP/1.0 and HTTP/1.1 are supported"}
		}
		return badRequest("malformed request line")
	}
	r.method, r.target = method, target
	return nil
}

// readHeader reads header fields up to the empty line. Obsolete line
// folding and white space before the colon are refused (RFC 9112 5.1, 5.2).
func readHeader(h *headReader) (http.Header, error) {
	hdr := http.Header{}
	for {
		line, err := h.line()
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			return hdr, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, badRequest("obsolete line folding in the request head")
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || !isToken(string(name)) {
			return nil, badRequest("malformed header field %q", truncate(string(line)))
		}
		v := strings.Trim(string(value), " \t")
		if !fieldValue(v) {
			return nil, badRequest("invalid characters in header %q", name)
		}
		key := textproto.CanonicalMIMEHeaderKey(string(name))
		hdr[key] = append(hdr[key], v)
	}
}

// checkHeader applies the rules on Host and on body framing. Ambiguous
// framing is refused, never repaired: a proxy that picks one reading
// while the origin picks another forwards a smuggled request.
func (r *request) checkHeader() error {
	switch hs := r.header["Host"]; len(hs) {
	case 0:
	case 1:
		r.host, r.hasHost = hs[0], true
	default:
		return badRequest("more than one Host header")
	}
	te, hasTE := r.header["Transfer-Encoding"]
	cl, hasCL := r.header["Content-Length"]
	switch {
	case hasTE && hasCL:
		return badRequest("both Content-Length and Transfer-Encoding: the body's length is ambiguous")
	case hasTE && r.minor == 0:
		return badRequest("Transfer-Encoding in an HTTP/1.0 request")
	case hasTE:
		if len(te) != 1 || !strings.EqualFold(te[0], "chunked") {
			return &statusError{http.StatusNotImplemented, "only Transfer-Encoding: chunked is supported"}
		}
		r.chunked = true
	case hasCL:
		n, err := contentLength(cl)
		if err != nil {
			return err
		}
		r.contentLength = n
	}
	return nil
}

// contentLength accepts one decimal length, possibly repeated identically
// (RFC 9110 8.6).
func contentLength(values []string) (int64, error) {
	n := int64(-1)
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.Trim(part, " \t")
			m, err := strconv.ParseInt(part, 10, 64)
			if err != nil || m < 0 || part == "" || part[0] == '+' {
				return 0, badRequest("invalid Content-Length %q", truncate(v))
			}
			if n >= 0 && m != n {
				return 0, badRequest("conflicting Content-Length values")
			}
			n = m
		}
	}
	return n, nil
}

// hasBody reports whether the request carries a body to forward.
func (r *request) hasBody() bool { return r.chunked || r.contentLength > 0 }

// keepAlive reports whether the client wants the connection kept.
func (r *request) keepAlive() bool {
	tokens := connectionTokens(r.header)
	if r.minor == 0 {
		return tokens["keep-alive"]
	}
	return !tokens["close"]
}

// connectionTokens lists the Connection and Proxy-Connection options.
func connectionTokens(h http.Header) map[string]bool {
	out := map[string]bool{}
	for _, k := range []string{"Connection", "Proxy-Connection"} {
		for _, v := range h[k] {
			for _, t := range strings.Split(v, ",") {
				if t = strings.ToLower(strings.Trim(t, " \t")); t != "" {
					out[t] = true
				}
			}
		}
	}
	return out
}

// hopHeaders are meaningful for one connection only and never forwarded.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Authenticate",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// removeHop deletes the hop-by-hop headers, including those the
// Connection header names.
func removeHop(h http.Header) {
	for t := range connectionTokens(h) {
		h.Del(t)
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte[s[i]] {
			return false
		}
	}
	return true
}

var tokenByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// visible reports whether s has only visible ASCII (a request target).
func visible(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// fieldValue refuses control characters other than tab in a value.
func fieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
