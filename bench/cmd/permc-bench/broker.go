//go:build linux

package main

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
)

// broker measures what the unix-socket broker adds to a connect: with a
// unix_sockets allowlist every connect of the sandbox goes through permc.
// The path is a plain TCP connect to a loopback origin, with the network
// fully open, so that only the broker differs between the two sandboxes.
func (b *bench) broker() {
	r := b.rep
	r.h2("7. Unix-socket broker: the cost of a brokered connect")
	greet, err := serve(func(c net.Conn) { c.Write([]byte{'!'}) })
	if err != nil {
		b.fail("broker", err)
		return
	}
	defer greet.Close()
	addr := greet.Addr().String()
	ws, err := b.workspace("broker")
	if err != nil {
		b.fail("broker", err)
		return
	}
	plain := filepath.Join(b.dir, "broker-off.toml")
	with := filepath.Join(b.dir, "broker-on.toml")
	const base = "default_permissions = \"p\"\n\n[permissions.p]\nextends = \":workspace\"\n\n" +
		"[permissions.p.network]\nenabled = true\n"
	b.writeFile(plain, base, true)
	b.writeFile(with, base+"\n[permissions.p.network.unix_sockets]\n"+
		"\"/run/permc-bench.sock\" = \"allow\"\n", true)
	vs := []*proxyVariant{
		{name: "direct (no sandbox)", greet: addr},
		{name: "`permc run`, no allowlist (no broker)", greet: addr,
			wrap: []string{b.permc, "run", "-c", plain, "--"}, permc: true},
		{name: "**`permc run`, with an allowlist (brokered)**", greet: addr,
			wrap: []string{b.permc, "run", "-c", with, "--"}, permc: true},
	}
	reps, perRound := b.reps(5), 200
	lat, errs := b.clientRounds(vs, ws, reps, func(v *proxyVariant) []string {
		return []string{"-mode", "latency", "-target", v.greet, "-n", strconv.Itoa(perRound)}
	})
	r.para(fmt.Sprintf("Each client process (`permc-bench client -mode latency`) connects %d times "+
		"to a loopback origin that sends one byte, timing dial to byte, inside `permc run` with the "+
		"network fully open; the profiles differ only in a `unix_sockets` entry, which puts every "+
		"`connect` of the sandbox through permc's broker "+
		"(seccomp user notification, a copy of the address, `pidfd_getfd`, the connect itself). "+
		"%d processes per variant after a warm-up one, interleaved, samples pooled.", perRound, reps))
	var rows [][]string
	sums := make([]Summary, len(vs))
	for i, v := range vs {
		if errs[v] != nil {
			rows = append(rows, []string{v.name, "failed", "", "", ""})
			b.fail("broker: "+v.name, errs[v])
			continue
		}
		sums[i] = summarize(lat[v])
		rows = append(rows, []string{v.name, fmtTime(sums[i].Median), fmtTime(sums[i].P99),
			sums[i].spread(unitTime), fmt.Sprint(sums[i].N)})
	}
	r.table([]string{"path", "p50", "p99", "IQR", "n"}, rows)
	if sums[1].N > 0 && sums[2].N > 0 {
		r.headline("Unix-socket broker: a connect inside the sandbox takes %s p50 with the broker "+
			"against %s without, %s added.", fmtTime(sums[2].Median), fmtTime(sums[1].Median),
			signedNs((sums[2].Median-sums[1].Median)*1e9))
	}
	r.cmds("7. Unix-socket broker",
		fmt.Sprintf("# the origin is permc-bench itself: %s sends one byte per connection", addr),
		fmt.Sprintf("cd %s && %s %s client -mode latency -target %s -n %d   # and with %s", ws,
			shellJoin(vs[2].wrap), b.self, addr, perRound, plain))
}
