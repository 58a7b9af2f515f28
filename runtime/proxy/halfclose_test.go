package proxy

import (
	"io"
	"testing"
	"time"
)

// A tunnel whose client has closed does not wait for an origin that never
// closes: once one direction has ended, the other may be silent only for
// halfCloseIdle at a time. Data keeps it open.
func TestSpliceHalfClosedIdle(t *testing.T) {
	old := halfCloseIdle
	halfCloseIdle = 300 * time.Millisecond
	defer func() { halfCloseIdle = old }()

	client, in := pair(t, "tcp")
	out, origin := pair(t, "tcp")
	done := make(chan struct{})
	go func() {
		Splice(in, out)
		close(done)
	}()
	client.Close() // the client is gone; the origin stays open and silent
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the tunnel stayed open after its client closed and the origin went silent")
	}
	origin.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadAll(origin); err != nil {
		t.Errorf("the origin's side was not closed: %v", err)
	}

	// A response that keeps flowing after a half-close is not cut.
	client, in = pair(t, "tcp")
	out, origin = pair(t, "tcp")
	done = make(chan struct{})
	go func() {
		Splice(in, out)
		close(done)
	}()
	client.(closeWriter).CloseWrite()
	go func() {
		for i := 0; i < 8; i++ {
			origin.Write([]byte("chunk"))
			time.Sleep(100 * time.Millisecond) // 800 ms in all, > halfCloseIdle
		}
		origin.Close()
	}()
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(client)
	if err != nil || len(got) != 8*len("chunk") {
		t.Errorf("read %d bytes (%v) through a half-closed tunnel, want %d", len(got), err, 8*len("chunk"))
	}
	<-done
}
