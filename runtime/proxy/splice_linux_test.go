package proxy

import (
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSpliceBulk: several pipes' worth of bytes cross a tunnel both ways
// at once, between TCP and Unix sockets, intact and counted.
func TestSpliceBulk(t *testing.T) {
	const size = 5*pipeSize + 12345
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			client, in := pair(t, network)
			out, server := pair(t, "tcp")
			type result struct{ ab, ba int64 }
			done := make(chan result, 1)
			go func() {
				ab, ba, err := Splice(in, out)
				if err != nil {
					t.Errorf("splice: %v", err)
				}
				done <- result{ab, ba}
			}()
			up, down := make([]byte, size), make([]byte, size)
			r := rand.NewChaCha8([32]byte{1})
			r.Read(up)
			r.Read(down)
			send := func(c net.Conn, b []byte) {
				c.Write(b)
				c.(closeWriter).CloseWrite()
			}
			go send(client, up)
			go send(server, down)
			read := func(c net.Conn, want []byte, who string) {
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				got, err := io.ReadAll(c)
				if err != nil || sha256.Sum256(got) != sha256.Sum256(want) {
					t.Errorf("%s read %d bytes (%v), want the %d sent", who, len(got), err, len(want))
				}
			}
			readDone := make(chan struct{})
			go func() { read(server, up, "server"); close(readDone) }()
			read(client, down, "client")
			<-readDone
			select {
			case res := <-done:
				if res.ab != size || res.ba != size {
					t.Errorf("counted %d and %d bytes, want %d each way", res.ab, res.ba, size)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("splice did not end")
			}
		})
	}
}

// TestSpliceConnsKinds: splice(2) is used only between TCP and Unix
// stream connections; anything else is left to io.Copy, untouched.
func TestSpliceConnsKinds(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	tcp, _ := pair(t, "tcp")
	if n, handled, err := spliceConns(tcp, a, func() {}); handled || n != 0 || err != nil {
		t.Errorf("spliceConns from a net.Pipe: %d, %v, %v; want it left alone", n, handled, err)
	}
	if n, handled, err := spliceConns(b, tcp, func() {}); handled || n != 0 || err != nil {
		t.Errorf("spliceConns to a net.Pipe: %d, %v, %v; want it left alone", n, handled, err)
	}
}

// After a burst of tunnels at most maxIdlePipes pipes stay open for reuse.
func TestIdlePipesBounded(t *testing.T) {
	var ps []*splicePipe
	for i := 0; i < 3*maxIdlePipes; i++ {
		p := getPipe()
		if p == nil {
			t.Fatal("no pipe")
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		putPipe(p)
	}
	if n := len(idlePipes); n > maxIdlePipes {
		t.Errorf("%d idle pipes kept, want at most %d", n, maxIdlePipes)
	}
	closed := 0
	for _, p := range ps {
		if _, err := unix.FcntlInt(uintptr(p.r), unix.F_GETPIPE_SZ, 0); err != nil {
			closed++
		}
	}
	if closed < 2*maxIdlePipes {
		t.Errorf("%d of %d pipes closed, want the ones beyond the %d kept", closed, len(ps), maxIdlePipes)
	}
}

// TestCopyTCPKinds: copyTCP takes only TCP to TCP; a Unix socket at
// either end is left to spliceConns, untouched.
func TestCopyTCPKinds(t *testing.T) {
	tcp, _ := pair(t, "tcp")
	unixc, _ := pair(t, "unix")
	if n, handled, err := copyTCP(tcp, unixc, func() {}); handled || n != 0 || err != nil {
		t.Errorf("copyTCP from a Unix socket: %d, %v, %v; want it left alone", n, handled, err)
	}
	if n, handled, err := copyTCP(unixc, tcp, func() {}); handled || n != 0 || err != nil {
		t.Errorf("copyTCP to a Unix socket: %d, %v, %v; want it left alone", n, handled, err)
	}
}

// TestCopyTCPBulk: a copy between TCP connections of several of the
// largest buffers' worth (through every buffer size on the way) moves
// every byte in order, counts them, and ends at EOF.
func TestCopyTCPBulk(t *testing.T) {
	client, in := pair(t, "tcp")
	out, server := pair(t, "tcp")
	size := 3*copyBufSizes[len(copyBufSizes)-1] + 777
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{2}).Read(data)
	go func() {
		client.Write(data)
		client.(closeWriter).CloseWrite()
	}()
	var last int64
	done := make(chan error, 1)
	go func() {
		var n int64
		var err error
		n, _, err = copyTCP(out, in, func() {})
		last = n
		out.(closeWriter).CloseWrite()
		done <- err
	}()
	server.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(server)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Errorf("read %d bytes (%v), want the %d sent", len(got), err, size)
	}
	if err := <-done; err != nil || last != int64(size) {
		t.Errorf("copyTCP: %d bytes, %v; want %d, nil", last, err, size)
	}
}

// Tunnels whose destinations stop reading keep their copy buffers: all
// together, the large ones stay within the budget and the rest copy with
// the smallest size.
func TestCopyBufferBudget(t *testing.T) {
	var held []int
	var bufs []*[]byte
	for range 200 {
		c := affordable(len(copyBufSizes) - 1)
		held = append(held, c)
		bufs = append(bufs, getCopyBuf(c))
	}
	if got := largeBufBytes.Load(); got > largeBufBudget {
		t.Errorf("large buffers hold %d bytes, budget %d", got, largeBufBudget)
	}
	if held[0] != len(copyBufSizes)-1 || held[len(held)-1] != 0 {
		t.Errorf("classes %v: want the largest first and the smallest once the budget is spent", held)
	}
	for i, c := range held {
		putCopyBuf(c, bufs[i])
	}
	if got := largeBufBytes.Load(); got != 0 {
		t.Errorf("%d bytes still counted after every buffer came back", got)
	}
}
