package landlock

import (
	"sort"
	"strings"
)

// Kind is what a right restricts.
type Kind string

// Kinds of rights.
const (
	FS    Kind = "fs"    // filesystem access rights
	Net   Kind = "net"   // TCP port rights
	Scope Kind = "scope" // IPC scopes
)

// Group says which grants carry a right.
type Group string

// Groups of rights.
const (
	GroupRead     Group = "read"     // carried by read and write grants
	GroupWrite    Group = "write"    // carried by write grants
	GroupTerminal Group = "terminal" // carried only by the terminal's grants
	GroupNone     Group = ""         // network rights and scopes
)

// Right is one Landlock access right or scope.
type Right struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Bit is the kernel's bit for the right within its kind.
	Bit uint64 `json:"bit"`
	// ABI is the first Landlock ABI that knows the right.
	ABI int `json:"abi"`
	// DirOnly rights mean something only on a directory: a rule for a
	// file may not carry them.
	DirOnly bool  `json:"dir_only,omitempty"`
	Group   Group `json:"group,omitempty"`
}

// Rights is the table of every right permc handles, in the kernel's bit
// order per kind. Compile reads only this table.
var Rights = []Right{
	{Name: "execute", Kind: FS, Bit: 1 << 0, ABI: 1, Group: GroupRead},
	{Name: "write_file", Kind: FS, Bit: 1 << 1, ABI: 1, Group: GroupWrite},
	{Name: "read_file", Kind: FS, Bit: 1 << 2, ABI: 1, Group: GroupRead},
	{Name: "read_dir", Kind: FS, Bit: 1 << 3, ABI: 1, DirOnly: true, Group: GroupRead},
	{Name: "remove_dir", Kind: FS, Bit: 1 << 4, ABI: 1, DirOnly: true, Group: GroupWrite},
	{Name: "remove_file", Kind: FS, Bit: 1 << 5, ABI: 1, DirOnly: true, Group: GroupWrite},
	{Name: "make_char", Kind: FS, Bit: 1 << 6, ABI: 1, DirOnly: true, Group: GroupWrite},
	{Name: "make_dir", Kind: FS, Bit: 1 << 7, ABI: 1, DirOnly: true, Group: GroupWrite},
	{Name: "make_reg", Kind: FS, Bit: 1 << 8, ABI: 1, DirOnly: true, Group: GroupWrite},
	{Name: "make_sock", Kind: FS, Bit: 1 << 9, ABI: 1, DirOnly: true, Group: GroupWrite},
	{Name: "make_fifo", Kind: FS, Bit: 1 << 10, ABI: 1, DirOnly: true, Group: GroupWrite},
	{Name: "make_block", Kind: FS, Bit: 1 << 11, ABI: 1, DirOnly: true, Group: GroupWrite},
	{Name: "make_sym", Kind: FS, Bit: 1 << 12, ABI: 1, DirOnly: true, Group: GroupWrite},
	{Name: "refer", Kind: FS, Bit: 1 << 13, ABI: 2, DirOnly: true, Group: GroupWrite},
	{Name: "truncate", Kind: FS, Bit: 1 << 14, ABI: 3, Group: GroupWrite},
	{Name: "ioctl_dev", Kind: FS, Bit: 1 << 15, ABI: 5, Group: GroupTerminal},
	{Name: "bind_tcp", Kind: Net, Bit: 1 << 0, ABI: 4},
	{Name: "connect_tcp", Kind: Net, Bit: 1 << 1, ABI: 4},
	{Name: "abstract_unix_socket", Kind: Scope, Bit: 1 << 0, ABI: 6},
	{Name: "signal", Kind: Scope, Bit: 1 << 1, ABI: 6},
}

// Set is a set of rights of one kind, as the kernel's bits.
type Set uint64

// right returns the table's entry for a name.
func right(name string) (Right, bool) {
	for _, r := range Rights {
		if r.Name == name {
			return r, true
		}
	}
	return Right{}, false
}

// setOf returns the bits of the named rights of kind k.
func setOf(k Kind, names []string) Set {
	var s Set
	for _, n := range names {
		if r, ok := right(n); ok && r.Kind == k {
			s |= Set(r.Bit)
		}
	}
	return s
}

// namesOf returns the names of the rights of kind k whose bits are in s,
// in table order.
func namesOf(k Kind, s Set) []string {
	var out []string
	for _, r := range Rights {
		if r.Kind == k && s&Set(r.Bit) != 0 {
			out = append(out, r.Name)
		}
	}
	return out
}

// groupRights returns the filesystem rights a grant of group g carries:
// read carries the read group; write adds the write group; the terminal
// adds ioctl on devices.
func groupRights(g Group) []string {
	var out []string
	for _, r := range Rights {
		if r.Kind != FS {
			continue
		}
		switch {
		case r.Group == GroupRead,
			r.Group == GroupWrite && (g == GroupWrite || g == GroupTerminal),
			r.Group == GroupTerminal && g == GroupTerminal:
			out = append(out, r.Name)
		}
	}
	return out
}

// fileRights keeps the rights of s that a rule for a file may carry.
func fileRights(s Set) Set {
	for _, r := range Rights {
		if r.Kind == FS && r.DirOnly {
			s &^= Set(r.Bit)
		}
	}
	return s
}

// minABI is the first ABI that knows every named right.
func minABI(names ...[]string) int {
	abi := 1
	for _, ns := range names {
		for _, n := range ns {
			if r, ok := right(n); ok && r.ABI > abi {
				abi = r.ABI
			}
		}
	}
	return abi
}

// allOf returns the names of every right of kind k.
func allOf(k Kind) []string {
	var out []string
	for _, r := range Rights {
		if r.Kind == k {
			out = append(out, r.Name)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func joinNames(ns []string) string { return strings.Join(ns, ",") }
