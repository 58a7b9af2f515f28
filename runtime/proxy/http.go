package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/permc/permc/ir/host"
)

// DecisionHeader is the response header that carries the reason of a
// refusal (a Reason's name) on the proxy's own 403 responses.
const DecisionHeader = "X-Permc-Decision"

// handleHTTP serves one client connection: requests one after another,
// each checked on its own, until a CONNECT turns it into a tunnel or
// either side closes.
func (s *Server) handleHTTP(c net.Conn) {
	cr := &connReader{c: c}
	br := bufio.NewReaderSize(cr, 4<<10)
	wait := s.opts.HeaderTimeout
	for {
		// Wait for the next request, then give its head a deadline of its
		// own, so a slow client cannot hold the connection.
		c.SetReadDeadline(time.Now().Add(wait))
		if _, err := br.Peek(1); err != nil {
			return
		}
		c.SetReadDeadline(time.Now().Add(s.opts.HeaderTimeout))
		req, err := readRequest(br, s.opts.MaxHeaderBytes)
		if err != nil {
			s.headError(c, err)
			return
		}
		c.SetReadDeadline(time.Time{})
		var keep bool
		if req.method == http.MethodConnect {
			keep = s.connect(c, br, req)
		} else {
			keep = s.forward(c, cr, br, req)
		}
		if !keep {
			return
		}
		wait = s.opts.IdleTimeout
	}
}

// headError answers a head that could not be read, when there is anyone
// to answer.
func (s *Server) headError(c net.Conn, err error) {
	var se *statusError
	switch {
	case errors.As(err, &se):
		s.reply(c, se.code, "", se.msg, false)
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.reply(c, http.StatusRequestTimeout, "", "request head not received in time", false)
	default:
		return
	}
	s.linger(c)
}

// linger half-closes a connection the proxy is about to close after an
// error response, and reads what the client still sends for a moment, so
// the client sees the response instead of a reset. Only the handler's
// goroutine may call it: it reads the connection.
func (s *Server) linger(c net.Conn) {
	cw, ok := c.(closeWriter)
	if !ok {
		return
	}
	cw.CloseWrite()
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	io.CopyN(io.Discard, c, 256<<10)
}

// reply writes a response of the proxy's own, with a text body. reason,
// when set, goes in the DecisionHeader.
func (s *Server) reply(c net.Conn, code int, reason, msg string, keep bool) {
	body := "permc proxy: " + msg + "\n"
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	if reason != "" {
		fmt.Fprintf(&b, "%s: %s\r\n", DecisionHeader, reason)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	if !keep {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	c.SetWriteDeadline(time.Now().Add(s.opts.HeaderTimeout))
	io.WriteString(c, b.String())
	c.SetWriteDeadline(time.Time{})
}

// refuse answers a destination the policy refused: 403 with the reason.
// The connection is kept only when no request body is left to skip.
func (s *Server) refuse(c net.Conn, req *request, d *Decision) bool {
	keep := req.keepAlive() && !req.hasBody()
	code := http.StatusForbidden
	if d.Reason == ReasonBadHost {
		code = http.StatusBadRequest
	}
	s.reply(c, code, d.Reason.String(), "refused: "+d.Explain(), keep)
	if !keep {
		s.linger(c)
	}
	return keep
}

// dialError answers a destination that was allowed but not reached.
func (s *Server) dialError(c net.Conn, d *Decision, err error) {
	code := http.StatusBadGateway
	switch {
	case errors.Is(err, errSelf):
		code = http.StatusForbidden
	case isTimeout(err):
		code = http.StatusGatewayTimeout
	}
	s.reply(c, code, "", fmt.Sprintf("cannot reach %s: %v", d.target(), err), false)
	s.linger(c)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// target is a destination as a request names it: the host as spelled
// (brackets kept) and the port.
type target struct {
	rawHost string
	port    uint16
	hasPort bool
}

// parseAuthority splits host[:port]. User info and an IPv6 literal
// without brackets are refused: both let two readers see two hosts.
func parseAuthority(a string) (target, error) {
	if a == "" {
		return target{}, badRequest("empty host")
	}
	if strings.ContainsAny(a, "@/\\?#") {
		return target{}, badRequest("%q is not a host[:port]", truncate(a))
	}
	h, port := a, ""
	if a[0] == '[' {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return target{}, badRequest("missing \"]\" in %q", truncate(a))
		}
		h = a[:end+1]
		if rest := a[end+1:]; rest != "" {
			if rest[0] != ':' {
				return target{}, badRequest("%q is not a host[:port]", truncate(a))
			}
			port = rest[1:]
			if port == "" {
				return target{}, badRequest("empty port in %q", truncate(a))
			}
		}
	} else {
		switch strings.Count(a, ":") {
		case 0:
		case 1:
			h, port, _ = strings.Cut(a, ":")
			if port == "" {
				return target{}, badRequest("empty port in %q", truncate(a))
			}
		default:
			return target{}, badRequest("an ipv6 address must be in brackets: %q", truncate(a))
		}
	}
	t := target{rawHost: h}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 || port[0] == '+' {
			return target{}, badRequest("invalid port %q", truncate(port))
		}
		t.port, t.hasPort = uint16(n), true
	}
	return t, nil
}

// sameHost checks that the Host header names the request's target: after
// canonicalisation the hosts must be equal, and a port in the header must
// equal the target's. defPort is the port an absent one means.
func sameHost(req *request, t target, defPort uint16) error {
	if !req.hasHost {
		return nil
	}
	ht, err := parseAuthority(req.host)
	if err != nil {
		return badRequest("invalid Host header: %v", err)
	}
	a, err1 := host.Canonical(t.rawHost)
	b, err2 := host.Canonical(ht.rawHost)
	if err1 != nil || err2 != nil {
		return badRequest("invalid host in the request target or the Host header")
	}
	tp, hp := t.port, ht.port
	if !t.hasPort {
		tp = defPort
	}
	if !ht.hasPort {
		hp = tp
		if defPort != 0 {
			hp = defPort
		}
	}
	if a != b || tp != hp {
		return badRequest("the Host header %q does not match the request target %q", truncate(req.host), truncate(req.target))
	}
	return nil
}

// connect serves a CONNECT request: check, dial, reply 200, splice.
func (s *Server) connect(c net.Conn, br *bufio.Reader, req *request) bool {
	t, err := parseAuthority(req.target)
	if err == nil && !t.hasPort {
		err = badRequest("CONNECT needs host:port, not %q", truncate(req.target))
	}
	if err == nil {
		err = sameHost(req, t, 0)
	}
	if err == nil && req.hasBody() {
		err = badRequest("CONNECT with a request body")
	}
	if err != nil {
		s.headError(c, err)
		return false
	}
	d := s.check(t.rawHost, t.port)
	dl := &decisionLog{s: s, proto: "connect", client: c, rawHost: t.rawHost, d: &d}
	defer dl.log()
	if !d.Allowed() {
		dl.log()
		return s.refuse(c, req, &d)
	}
	up, rest, err := s.dial(&d, "https")
	if err != nil {
		dl.log()
		s.dialError(c, &d, err)
		return false
	}
	if !s.track(up) {
		return false
	}
	defer s.untrack(up)
	if _, err := connWrite(c, connectEstablished); err != nil {
		up.Close()
		return false
	}
	s.tunnel(c, br, up, rest, dl.log)
	return false
}

var connectEstablished = []byte("HTTP/1.1 200 Connection established\r\n\r\n")

// tunnel hands bytes already read on either side to the other, then
// splices the two connections; started runs once the copies are under
// way.
func (s *Server) tunnel(c net.Conn, br *bufio.Reader, up net.Conn, rest []byte, started func()) {
	TuneUnixConn(c)
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		if _, err := connWrite(up, b); err != nil {
			up.Close()
			return
		}
	}
	if len(rest) > 0 {
		if _, err := connWrite(c, rest); err != nil {
			up.Close()
			return
		}
	}
	splice(c, up, started)
}

// forward serves a plain HTTP request: check the target, agree with the
// Host header, dial the checked address, send the request with a Host
// header naming the checked target, relay the response. It reports
// whether the client connection can serve another request.
func (s *Server) forward(c net.Conn, cr *connReader, br *bufio.Reader, req *request) bool {
	t, path, err := parseAbsolute(req)
	if err == nil {
		err = sameHost(req, t, 80)
	}
	if err != nil {
		s.headError(c, err)
		return false
	}
	if !t.hasPort {
		t.port = 80
	}
	d := s.decide("http", c, t.rawHost, t.port)
	if !d.Allowed() {
		return s.refuse(c, req, &d)
	}
	up, rest, err := s.dial(&d, "http")
	if err != nil {
		s.dialError(c, &d, err)
		return false
	}
	if !s.track(up) {
		return false
	}
	defer s.untrack(up)
	defer up.Close()
	ex := &exchange{s: s, c: c, cr: cr, br: br, req: req, up: up, path: path, d: &d}
	return ex.run(rest)
}

// parseAbsolute reads an absolute-form target ("http://host[:port]/path").
// Origin-form ("/path") is refused: a proxy client names its destination
// in the target, and a Host header alone is not checked as one.
func parseAbsolute(req *request) (target, string, error) {
	scheme, rest, ok := strings.Cut(req.target, "://")
	if !ok {
		return target{}, "", badRequest("a proxy request needs an absolute target (http://host/path) or CONNECT, not %q", truncate(req.target))
	}
	switch strings.ToLower(scheme) {
	case "http":
	case "https", "wss":
		return target{}, "", &statusError{http.StatusNotImplemented, "use CONNECT for " + strings.ToLower(scheme)}
	default:
		return target{}, "", badRequest("unsupported scheme %q", truncate(scheme))
	}
	i := strings.IndexAny(rest, "/?#")
	if i < 0 {
		i = len(rest)
	}
	authority, path := rest[:i], rest[i:]
	if strings.IndexByte(path, '#') >= 0 {
		return target{}, "", badRequest("a request target cannot carry a fragment")
	}
	if path == "" || path[0] == '?' {
		path = "/" + path
	}
	t, err := parseAuthority(authority)
	return t, path, err
}

// exchange is one forwarded request and its response.
type exchange struct {
	s    *Server
	c    net.Conn
	cr   *connReader
	br   *bufio.Reader
	req  *request
	up   net.Conn
	path string
	d    *Decision
}

// run sends the request, streaming its body from a goroutine so that an
// interim 100 Continue can reach the client, and relays the response.
func (e *exchange) run(rest []byte) bool {
	uw := bufio.NewWriterSize(e.up, 4<<10)
	if err := e.writeHead(uw); err != nil {
		e.s.dialError(e.c, e.d, err)
		return false
	}
	// The body goroutine is the only reader of the client connection
	// until it reports on bodyDone.
	e.cr.idle = e.s.opts.IdleTimeout
	bodyDone := make(chan error, 1)
	go func() {
		err := e.copyBody(uw)
		if err != nil {
			// The origin waits for a body that will not come.
			e.up.Close()
		}
		bodyDone <- err
	}()

	// The origin gets IdleTimeout for every read of its response, the
	// head included: one that never answers (or stalls mid-body) would
	// otherwise hold both connections, and the client's slot, for good,
	// even after the client left (nothing reads the client meanwhile).
	bud := &budget{r: &connReader{c: e.up, idle: e.s.opts.IdleTimeout}, left: maxResponseHead}
	if !reserveResponseHead() {
		e.s.reply(e.c, http.StatusServiceUnavailable, "",
			"too many responses are being read at once; try again", false)
		e.c.Close()
		e.up.Close()
		<-bodyDone
		return false
	}
	bud.release = releaseResponseHead
	defer bud.done()
	ur := bufio.NewReaderSize(io.MultiReader(strings.NewReader(string(rest)), bud), 4<<10)
	keep, err := e.relayResponse(ur, bud, bodyDone)
	if !keep || err != nil {
		// Unblock the body goroutine before waiting for it.
		e.c.Close()
		e.up.Close()
		<-bodyDone
		return false
	}
	e.cr.idle = 0
	return true
}

// writeHead sends the request head: origin-form target, hop-by-hop
// headers removed, Host set to the checked target, framing of our own.
func (e *exchange) writeHead(w *bufio.Writer) error {
	h := e.req.header.Clone()
	removeHop(h)
	delete(h, "Host")
	delete(h, "Content-Length")
	switch {
	case e.req.chunked:
		h.Set("Transfer-Encoding", "chunked")
	case e.req.contentLength >= 0:
		h.Set("Content-Length", strconv.FormatInt(e.req.contentLength, 10))
	}
	h.Set("Connection", "close")
	fmt.Fprintf(w, "%s %s HTTP/1.1\r\nHost: %s\r\n", e.req.method, e.path, hostHeader(e.d))
	if err := h.Write(w); err != nil {
		return err
	}
	w.WriteString("\r\n")
	return w.Flush()
}

// hostHeader is the checked target as a Host header value.
func hostHeader(d *Decision) string {
	h := d.Host
	if strings.IndexByte(h, ':') >= 0 {
		h = "[" + h + "]"
	}
	if d.Port != 80 {
		h += ":" + strconv.Itoa(int(d.Port))
	}
	return h
}

// copyBody forwards the request body, reframed: a chunked body is decoded
// and chunked again, so no framing of the client's reaches the origin.
func (e *exchange) copyBody(w *bufio.Writer) error {
	defer e.c.SetReadDeadline(time.Time{})
	switch {
	case e.req.chunked:
		// The chunked reader must read e.br itself: given any other
		// reader it buffers past the body's end.
		cw := httputil.NewChunkedWriter(w)
		cr := httputil.NewChunkedReader(e.br)
		if _, err := io.Copy(cw, cr); err != nil {
			return err
		}
		if err := skipTrailers(e.br, e.s.opts.MaxHeaderBytes); err != nil {
			return err
		}
		cw.Close()
		w.WriteString("\r\n")
	case e.req.contentLength > 0:
		if _, err := io.CopyN(w, e.br, e.req.contentLength); err != nil {
			return err
		}
	default:
		return nil
	}
	return w.Flush()
}

// skipTrailers reads the trailer section after the last chunk. Trailers
// are not forwarded.
func skipTrailers(br *bufio.Reader, max int) error {
	_, err := readHeader(&headReader{br: br, left: max})
	return err
}

// connReader is what a client connection's bufio.Reader reads from. While
// a request body is read, idle is set and every read gets a deadline of
// its own, so a client that stops sending mid-body is cut off; heads get
// fixed deadlines from handleHTTP instead.
type connReader struct {
	c    net.Conn
	idle time.Duration
}

func (r *connReader) Read(p []byte) (int, error) {
	if r.idle > 0 {
		r.c.SetReadDeadline(time.Now().Add(r.idle))
	}
	return connRead(r.c, p)
}

// maxResponseHead bounds an origin's response head (interim responses
// included) in bytes. Lines are bounded too, by maxHeadLines, but counted
// per read of up to 4 KiB (the body's first bytes may share the last
// read), so a head of up to about 1,700 short lines can pass.
const maxResponseHead = 256 << 10

// responseHeadsBudget bounds what all exchanges together may hold of
// response heads being read: an origin that sends a large head and then
// stalls holds its share for IdleTimeout. Past it, a request gets 503.
const responseHeadsBudget = 64 << 20

var responseHeadBytes atomic.Int64

func reserveResponseHead() bool {
	if responseHeadBytes.Add(maxResponseHead) <= responseHeadsBudget {
		return true
	}
	responseHeadBytes.Add(-maxResponseHead)
	return false
}

func releaseResponseHead() { responseHeadBytes.Add(-maxResponseHead) }

// budget fails reads past a limit of bytes and lines; it bounds an
// origin's response head. release, if set, gives the head's share of
// responseHeadsBudget back once the head is read (or the exchange ends).
type budget struct {
	r       io.Reader
	left    int64
	lines   int
	off     bool
	release func()
}

var errResponseHead = errors.New("response head too large")

func (b *budget) Read(p []byte) (int, error) {
	if b.off {
		return b.r.Read(p)
	}
	if b.left <= 0 || b.lines > maxHeadLines {
		return 0, errResponseHead
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	b.lines += bytes.Count(p[:n], []byte{'\n'})
	return n, err
}

// done turns the budget off (the head is read) and releases its share.
func (b *budget) done() {
	b.off = true
	if b.release != nil {
		b.release()
		b.release = nil
	}
}

// relayResponse reads the origin's response (interim ones first) and
// writes it to the client, reframed. It reports whether the client
// connection stays usable.
func (e *exchange) relayResponse(ur *bufio.Reader, bud *budget, bodyDone chan error) (bool, error) {
	var resp *http.Response
	var err error
	for {
		resp, err = http.ReadResponse(ur, &http.Request{Method: e.req.method})
		if err != nil && isTimeout(err) {
			e.s.reply(e.c, http.StatusGatewayTimeout, "", fmt.Sprintf("no response from %s within %v",
				e.d.target(), e.s.opts.IdleTimeout), false)
			return false, err
		}
		if err != nil {
			e.s.reply(e.c, http.StatusBadGateway, "", fmt.Sprintf("bad response from %s: %v", e.d.target(), err), false)
			return false, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		if e.req.minor == 1 {
			if err := writeRespHead(e.c, resp, resp.Header.Clone()); err != nil {
				return false, err
			}
		}
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		e.s.reply(e.c, http.StatusBadGateway, "", "the origin switched protocols; upgrades go through CONNECT", false)
		return false, errors.New("unexpected 101")
	}
	bud.done()
	defer resp.Body.Close()

	// The client connection is kept only if the request body was read to
	// its end; otherwise unread body bytes would be taken for a request.
	// An origin that answers before reading the whole body gets a short
	// grace period.
	keep := e.req.keepAlive()
	t := time.NewTimer(50 * time.Millisecond)
	defer t.Stop()
	select {
	case err := <-bodyDone:
		bodyDone <- err
		keep = keep && err == nil
	case <-t.C:
		keep = false
	}
	return e.writeResponse(resp, keep)
}

// writeResponse writes the final response head and body to the client.
func (e *exchange) writeResponse(resp *http.Response, keep bool) (bool, error) {
	h := resp.Header.Clone()
	removeHop(h)
	noBody := e.req.method == http.MethodHead || resp.StatusCode == http.StatusNoContent ||
		resp.StatusCode == http.StatusNotModified
	chunk := false
	if !noBody {
		delete(h, "Content-Length")
		switch {
		case resp.ContentLength >= 0:
			h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
		case e.req.minor == 1:
			h.Set("Transfer-Encoding", "chunked")
			chunk = true
		default:
			keep = false // the body ends when the connection does
		}
	}
	if !keep {
		h.Set("Connection", "close")
	} else if e.req.minor == 0 {
		h.Set("Connection", "keep-alive")
	}
	if err := writeRespHead(e.c, resp, h); err != nil {
		return false, err
	}
	if noBody {
		return keep, nil
	}
	if !chunk {
		n, err := io.Copy(e.c, resp.Body)
		if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
			err = io.ErrUnexpectedEOF
		}
		return keep, err
	}
	return keep, copyChunked(e.c, resp.Body)
}

// copyChunked writes r to w in chunked encoding, one chunk per read, each
// flushed at once so streamed responses are not held back.
func copyChunked(w io.Writer, r io.Reader) error {
	bw := bufio.NewWriterSize(w, 32<<10+16)
	cw := httputil.NewChunkedWriter(bw)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			cw.Write(buf[:n])
			if ferr := bw.Flush(); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	cw.Close()
	bw.WriteString("\r\n")
	return bw.Flush()
}

// writeRespHead writes a status line and header.
func writeRespHead(w io.Writer, resp *http.Response, h http.Header) error {
	text := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	if text == "" {
		text = http.StatusText(resp.StatusCode)
	}
	bw := bufio.NewWriterSize(w, 4<<10)
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", resp.StatusCode, text)
	h.Write(bw)
	bw.WriteString("\r\n")
	return bw.Flush()
}
