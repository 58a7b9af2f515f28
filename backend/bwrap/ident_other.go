//go:build !unix

package bwrap

import "io/fs"

// identOf knows no identities off Unix; plans are only launched on Linux.
func identOf(fs.FileInfo) ident { return ident{} }
