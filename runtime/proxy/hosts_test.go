package proxy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The hosts file answers a rooted name first; anything else goes to DNS
// rooted, so no search domain is tried.
func TestSystemResolver(t *testing.T) {
	hosts := filepath.Join(t.TempDir(), "hosts")
	os.WriteFile(hosts, []byte("# comment\n127.0.0.1 localhost\n10.1.2.3 Build.Internal build # ci\n"+
		"fd00::5 build\nnot-an-address other\n::ffff:10.9.9.9 mapped.\n"), 0o644)
	dns := newResolver(map[string][]string{"example.test": {"11.0.0.1"}})
	r := newSystemResolver(hosts, dns)
	for _, c := range []struct {
		network, name string
		want          []string
	}{
		{"ip", "build.", []string{"10.1.2.3", "fd00::5"}},
		{"ip", "BUILD.INTERNAL.", []string{"10.1.2.3"}},
		{"ip4", "build.", []string{"10.1.2.3"}},
		{"ip6", "build.", []string{"fd00::5"}},
		{"ip", "mapped.", []string{"10.9.9.9"}},
		{"ip", "example.test.", []string{"11.0.0.1"}},
	} {
		addrs, err := r.LookupNetIP(context.Background(), c.network, c.name)
		var got []string
		for _, a := range addrs {
			got = append(got, a.String())
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %v %v, want %v", c.network, c.name, got, err, c.want)
		}
	}
	if _, err := r.LookupNetIP(context.Background(), "ip", "other."); err == nil {
		t.Error("a malformed hosts line answered")
	}
	if n := dns.count("build"); n != 0 {
		t.Errorf("DNS asked for a name the hosts file has (%d times)", n)
	}
	if len(dns.unrooted) > 0 {
		t.Errorf("DNS asked without the final dot: %v", dns.unrooted)
	}
	// A change to the file is seen at the next lookup; a file gone
	// answers nothing.
	os.WriteFile(hosts, []byte("10.7.7.7 build\n"), 0o644)
	future := time.Now().Add(time.Hour)
	os.Chtimes(hosts, future, future)
	if addrs, err := r.LookupNetIP(context.Background(), "ip", "build."); err != nil || len(addrs) != 1 ||
		addrs[0].String() != "10.7.7.7" {
		t.Errorf("after the hosts file changed: %v %v", addrs, err)
	}
	os.Remove(hosts)
	if got := r.hosts.lookup("ip", "build"); got != nil {
		t.Errorf("a missing hosts file answered %v", got)
	}
}
