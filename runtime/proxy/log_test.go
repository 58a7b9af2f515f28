package proxy

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

// recordHandler keeps the records it is given.
type recordHandler struct {
	level slog.Level
	recs  []slog.Record
}

func (h *recordHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.recs = append(h.recs, r)
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

// TestLogDecisionRecord: a decision is one Info record with its verdict
// and attributes, made without a walk of the stack for the caller (a
// source line that would always be logDecision's), and nothing is built
// for a handler that does not want Info.
func TestLogDecisionRecord(t *testing.T) {
	h := &recordHandler{level: slog.LevelInfo}
	s, err := New(testNetwork(t, "127.0.0.1=allow"), Options{Resolver: newResolver(nil), Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := s.decide("connect", nil, "127.0.0.1", 443)
	if !d.Allowed() || len(h.recs) != 1 {
		t.Fatalf("decision %v logged %d records, want 1", d.Reason, len(h.recs))
	}
	r := h.recs[0]
	if r.Message != "allow" || r.Level != slog.LevelInfo || r.PC != 0 || r.Time.IsZero() {
		t.Errorf("record %q at %v, pc %#x, time %v: want allow at INFO, no pc, a time", r.Message, r.Level, r.PC, r.Time)
	}
	got := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		got[a.Key] = a.Value.String()
		return true
	})
	for k, v := range map[string]string{"proto": "connect", "target": "127.0.0.1", "port": "443", "reason": "allowed", "rule": "127.0.0.1"} {
		if got[k] != v {
			t.Errorf("%s=%q, want %q (attrs %v)", k, got[k], v, got)
		}
	}

	h.level = slog.LevelWarn
	s.decide("connect", nil, "127.0.0.2", 443)
	if len(h.recs) != 1 {
		t.Errorf("a handler above Info got %d records", len(h.recs)-1)
	}
}

// TestExplainAllowed: the words of an allowed decision, as every tunnel's
// log line carries them.
func TestExplainAllowed(t *testing.T) {
	p, err := NewPolicy(testNetwork(t, "127.0.0.1=allow", "::1=allow").Domains, false, newResolver(nil))
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{
		"127.0.0.1": `127.0.0.1:443 allowed by "127.0.0.1" at test.toml:1 (p)`,
		"[::1]":     `[::1]:443 allowed by "::1" at test.toml:2 (p)`,
	} {
		d := p.Decide(context.Background(), host, 443)
		if got := d.Explain(); got != want {
			t.Errorf("Explain() for %s = %q, want %q", host, got, want)
		}
	}
}

// A host the client chose is logged clipped: each refusal is logged, and
// a request head may carry a 64 KiB host.
func TestLogClipsClientStrings(t *testing.T) {
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow"}})
	long := strings.Repeat("a", 30000)
	e.raw().do("GET http://"+long+"/ HTTP/1.1\r\n\r\n", "GET") // refused as a bad host, and logged
	out := e.logs.String()
	if !strings.Contains(out, "(30000 bytes)") {
		t.Fatalf("no clipped target in the log:\n%.500s", out)
	}
	if len(out) > 4096 {
		t.Errorf("one refusal logged %d bytes", len(out))
	}
}
