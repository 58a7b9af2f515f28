package proxy

import (
	"bufio"
	"context"
	"io"
	"net/netip"
	"os"
	"strings"
)

// systemResolver is the proxy's resolver unless Options names another.
// The policy asks for names rooted (with the final dot): the name it
// decided on and no other, never one the search domains of resolv.conf
// make of it. Go's resolver reads the hosts file only for names without
// the final dot, so a rooted name is looked for there first, by itself,
// then asked of DNS as it is.
type systemResolver struct {
	hostsFile string
	dns       Resolver
}

func (r systemResolver) LookupNetIP(ctx context.Context, network, name string) ([]netip.Addr, error) {
	if bare, rooted := strings.CutSuffix(name, "."); rooted && bare != "" {
		if addrs := hostsLookup(r.hostsFile, network, bare); len(addrs) > 0 {
			return addrs, nil
		}
	}
	return r.dns.LookupNetIP(ctx, network, name)
}

// maxHostsFile bounds how much of the hosts file is read.
const maxHostsFile = 1 << 20

// hostsLookup returns the addresses the hosts file gives name (in any
// case, with or without a final dot there), of the family network asks
// for ("ip", "ip4" or "ip6"), in file order. A missing or unreadable file
// gives none.
func hostsLookup(file, network, name string) []netip.Addr {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []netip.Addr
	sc := bufio.NewScanner(io.LimitReader(f, maxHostsFile))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		a, err := netip.ParseAddr(fields[0])
		if err != nil {
			continue
		}
		a = a.Unmap()
		if network == "ip4" && !a.Is4() || network == "ip6" && !a.Is6() {
			continue
		}
		for _, n := range fields[1:] {
			if strings.EqualFold(strings.TrimSuffix(n, "."), name) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}
