//go:build linux

package run

import (
	"slices"
	"testing"
)

func TestAliases(t *testing.T) {
	ms := []mount{
		{Dev: "8:1", Root: "/", Point: "/"},
		{Dev: "0:5", Root: "/", Point: "/tmp"},
		{Dev: "0:5", Root: "/ws/sub", Point: "/opt/bm"},     // a bind of /tmp/ws/sub
		{Dev: "8:1", Root: "/srv/data", Point: "/mnt/data"}, // a bind of /srv/data
		{Dev: "0:9", Root: "/", Point: "/opt/bm/inner"},     // another file system over part of it
	}
	for _, c := range []struct {
		p    string
		want []string
	}{
		{"/opt/bm/svc.sock", []string{"/tmp/ws/sub/svc.sock"}},
		{"/tmp/ws/sub/x", []string{"/opt/bm/x"}},
		{"/tmp/ws/other", nil},
		{"/srv/data/a/b", []string{"/mnt/data/a/b"}},
		{"/mnt/data", []string{"/srv/data"}},
		{"/etc/passwd", nil},
		{"/opt/bm/inner/f", nil},
	} {
		got := aliases(ms, c.p)
		if !slices.Equal(got, c.want) {
			t.Errorf("aliases(%s) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := unescapeMount(`/mnt/with\040space`); got != "/mnt/with space" {
		t.Errorf("unescape: %q", got)
	}
}
