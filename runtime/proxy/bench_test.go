package proxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"testing"
	"time"
)

// benchProxy runs a proxy that allows 127.0.0.1 exactly, with the default
// dialer (the one `permc proxy` and `permc run` use): the policy lets
// nothing else through.
func benchProxy(b *testing.B) string {
	s, err := New(testNetwork(b, "127.0.0.1=allow"), Options{Resolver: newResolver(nil)})
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.ServeHTTPProxy(l)
	b.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// BenchmarkConnectThroughput is single-stream download throughput on
// loopback: direct, and through a CONNECT tunnel of the proxy.
func BenchmarkConnectThroughput(b *testing.B) {
	chunk := make([]byte, 1<<20)
	src := serveLoop(b, "127.0.0.1", func(c net.Conn) {
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	proxy := benchProxy(b)
	open := map[string]func() (net.Conn, error){
		"direct": func() (net.Conn, error) { return net.Dial("tcp", src) },
		"proxy":  func() (net.Conn, error) { return tunnelTo(proxy, src) },
	}
	for _, name := range []string{"direct", "proxy"} {
		b.Run(name, func(b *testing.B) {
			c, err := open[name]()
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			buf := make([]byte, 1<<20)
			b.SetBytes(int64(len(buf)))
			b.ResetTimer()
			for range b.N {
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConnectSetup is the time from dial to the first byte of the
// destination: direct, and through a CONNECT tunnel (dial the proxy,
// CONNECT, reply, first byte). It reports p50 and p99.
func BenchmarkConnectSetup(b *testing.B) {
	dst := serveLoop(b, "127.0.0.1", func(c net.Conn) { c.Write([]byte{'!'}) })
	proxy := benchProxy(b)
	connect := []byte("CONNECT " + dst + " HTTP/1.1\r\nHost: " + dst + "\r\n\r\n")
	// firstByte reads until the destination's greeting, as a client
	// would: one read per arriving segment, not per byte.
	firstByte := func(c net.Conn, tunnel bool) error {
		buf := make([]byte, 256)
		n := 0
		for {
			m, err := c.Read(buf[n:])
			if err != nil {
				return err
			}
			n += m
			if !tunnel && n > 0 {
				return nil
			}
			if i := bytes.Index(buf[:n], []byte("\r\n\r\n")); i >= 0 {
				if !bytes.HasPrefix(buf, []byte("HTTP/1.1 200")) {
					return fmt.Errorf("connect: %q", buf[:n])
				}
				if n > i+4 {
					return nil
				}
			}
		}
	}
	for _, name := range []string{"direct", "proxy"} {
		b.Run(name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for range b.N {
				start := time.Now()
				addr := dst
				if name == "proxy" {
					addr = proxy
				}
				c, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				if name == "proxy" {
					c.Write(connect)
				}
				if err := firstByte(c, name == "proxy"); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
				c.Close()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkDecide is the cost of one policy decision: an IP literal, a
// name (with a resolver that answers from memory), and a name against
// 10,000 rules.
func BenchmarkDecide(b *testing.B) {
	r := newResolver(defaultDNS)
	small, _ := NewPolicy(rules(b, "allowed.test=allow", "127.0.0.1=allow", "denied.test=deny"), false, r)
	var specs []string
	for i := range 10000 {
		effect := "allow"
		if i%10 == 0 {
			effect = "deny"
		}
		specs = append(specs, fmt.Sprintf("**.host%d.example.com=%s", i, effect))
	}
	specs = append(specs, "allowed.test=allow")
	large, _ := NewPolicy(rules(b, specs...), false, r)
	ctx := context.Background()
	cases := []struct {
		name string
		p    *Policy
		host string
	}{
		{"literal", small, "127.0.0.1"},
		{"literal-spelled", small, "0x7f.1"},
		{"name", small, "allowed.test"},
		{"denied", small, "denied.test"},
		{"10k-rules/name", large, "allowed.test"},
		{"10k-rules/subdomain", large, "a.b.host5003.example.com"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				c.p.Decide(ctx, c.host, 443)
			}
		})
	}
}
