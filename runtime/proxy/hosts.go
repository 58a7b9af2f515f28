package proxy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// systemResolver is the proxy's resolver unless Options names another.
// The policy asks for names rooted (with the final dot): the name it
// decided on and no other, never one the search domains of resolv.conf
// make of it. Go's resolver reads the hosts file only for names without
// the final dot, so a rooted name is looked for there first, by itself,
// then asked of DNS as it is.
type systemResolver struct {
	hosts *hostsFile
	dns   Resolver
}

func newSystemResolver(hostsPath string, dns Resolver) systemResolver {
	return systemResolver{hosts: &hostsFile{path: hostsPath}, dns: dns}
}

func (r systemResolver) LookupNetIP(ctx context.Context, network, name string) ([]netip.Addr, error) {
	if bare, rooted := strings.CutSuffix(name, "."); rooted && bare != "" {
		if addrs := r.hosts.lookup(network, bare); len(addrs) > 0 {
			return addrs, nil
		}
	}
	return r.dns.LookupNetIP(ctx, network, name)
}

// maxHostsFile bounds how much of the hosts file is read.
const maxHostsFile = 1 << 20

// hostsEntry is one address the hosts file gives a name.
type hostsEntry struct {
	name string // lower case, without a final dot
	addr netip.Addr
}

// hostsFile is the hosts file, parsed again only when it changes (its
// size or modification time): a lookup costs a stat, not a read.
type hostsFile struct {
	path string

	mu      sync.Mutex
	size    int64
	mtime   time.Time
	loaded  bool
	entries []hostsEntry
}

// lookup returns the addresses the hosts file gives name (in any case,
// with or without a final dot there), of the family network asks for
// ("ip", "ip4" or "ip6"), in file order. A missing or unreadable file
// gives none.
func (h *hostsFile) lookup(network, name string) []netip.Addr {
	var out []netip.Addr
	for _, e := range h.current() {
		if !strings.EqualFold(e.name, name) || slices.Contains(out, e.addr) ||
			network == "ip4" && !e.addr.Is4() || network == "ip6" && !e.addr.Is6() {
			continue
		}
		out = append(out, e.addr)
	}
	return out
}

// current returns the parsed entries, parsing the file if it changed.
func (h *hostsFile) current() []hostsEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	fi, err := os.Stat(h.path)
	if err != nil {
		h.loaded, h.entries = false, nil
		return nil
	}
	if h.loaded && fi.Size() == h.size && fi.ModTime().Equal(h.mtime) {
		return h.entries
	}
	data, err := readAtMost(h.path, maxHostsFile)
	if err != nil {
		h.loaded, h.entries = false, nil
		return nil
	}
	h.entries = parseHosts(data)
	h.size, h.mtime, h.loaded = fi.Size(), fi.ModTime(), true
	return h.entries
}

func readAtMost(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max))
}

// parseHosts reads hosts-file lines: an address, then names; # starts a
// comment, and a line whose address does not parse is skipped.
func parseHosts(data []byte) []hostsEntry {
	var out []hostsEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
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
		for _, n := range fields[1:] {
			out = append(out, hostsEntry{name: strings.TrimSuffix(n, "."), addr: a.Unmap()})
		}
	}
	return out
}
