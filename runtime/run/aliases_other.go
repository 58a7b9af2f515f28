//go:build !linux

package run

type mount struct{ Dev, Root, Point string }

func mountTable() []mount { return nil }

func aliases([]mount, string) []string { return nil }
