package landlock

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	ll "github.com/landlock-lsm/go-landlock/landlock"
)

// abiConfigs are go-landlock's presets, per ABI.
var abiConfigs = []ll.Config{{}, ll.V1, ll.V2, ll.V3, ll.V4, ll.V5, ll.V6, ll.V7}

func TestRightsTableMatchesKernelABIs(t *testing.T) {
	for _, r := range Rights {
		t.Run(r.Name, func(t *testing.T) {
			in := func(c ll.Config) bool {
				switch r.Kind {
				case FS:
					return uint64(c.HandledAccessFS)&r.Bit != 0
				case Net:
					return uint64(c.HandledAccessNet)&r.Bit != 0
				}
				return uint64(c.Scoped)&r.Bit != 0
			}
			if !in(abiConfigs[r.ABI]) || in(abiConfigs[r.ABI-1]) {
				t.Errorf("%s: first ABI %d disagrees with go-landlock's presets", r.Name, r.ABI)
			}
		})
	}
}

func TestGroups(t *testing.T) {
	tests := []struct {
		g    Group
		want []string
	}{
		{GroupRead, []string{"execute", "read_file", "read_dir"}},
		{GroupWrite, []string{"execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file",
			"make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate"}},
		{GroupTerminal, []string{"execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file",
			"make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer",
			"truncate", "ioctl_dev"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.g), func(t *testing.T) {
			if diff := cmp.Diff(tc.want, groupRights(tc.g)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileRights(t *testing.T) {
	got := namesOf(FS, fileRights(setOf(FS, groupRights(GroupTerminal))))
	want := []string{"execute", "write_file", "read_file", "truncate", "ioctl_dev"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMinABI(t *testing.T) {
	tests := []struct {
		names []string
		want  int
	}{
		{groupRights(GroupRead), 1},
		{groupRights(GroupWrite), 3},
		{groupRights(GroupTerminal), 5},
		{[]string{"connect_tcp"}, 4},
		{[]string{"signal"}, 6},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.names), func(t *testing.T) {
			if got := minABI(tc.names); got != tc.want {
				t.Errorf("minABI = %d, want %d", got, tc.want)
			}
		})
	}
}
