//go:build !linux

package proxy

import "net"

// connRead is c.Read; on Linux it is a raw read(2) (see rawio_linux.go).
func connRead(c net.Conn, p []byte) (int, error) { return c.Read(p) }

// connWrite is c.Write; on Linux it is raw write(2) calls.
func connWrite(c net.Conn, p []byte) (int, error) { return c.Write(p) }

// closeWrite half-closes c where it can.
func closeWrite(c net.Conn) {
	if cw, ok := c.(closeWriter); ok {
		cw.CloseWrite()
	}
}
