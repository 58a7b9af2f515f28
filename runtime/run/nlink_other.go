//go:build !unix

package run

import "os"

// hardLinks is a file's link count; 0 when unknown, as here.
func hardLinks(os.FileInfo) uint64 { return 0 }

// privateDir has no owner and mode bits to read here.
func privateDir(os.FileInfo) bool { return true }

// insecurePath has no owners to read here.
func insecurePath(string) string { return "" }
