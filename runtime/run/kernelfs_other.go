//go:build !linux

package run

// kernelFSType finds no kernel file system outside Linux beyond the paths
// kernelFS names.
func kernelFSType(string) string { return "" }
