package ir

import "testing"

// With a unix_sockets allowlist, socket(AF_UNIX) is allowed, so every call
// that can name a unix address must reach the broker or fail: connect,
// bind, sendto with an address, sendmsg and sendmmsg, in every network
// mode. A call left allowed would reach any host socket.
func TestBrokerModeLeavesNoAddressUnchecked(t *testing.T) {
	const addr = 0x1000 // a non-NULL pointer
	calls := []struct {
		name string
		args [6]uint64
	}{
		{"connect", [6]uint64{3, addr, 110}},
		{"bind", [6]uint64{3, addr, 110}},
		{"sendto", [6]uint64{3, addr, 1, 0, addr, 110}},
		{"sendmsg", [6]uint64{3, addr, 0}},
		{"sendmmsg", [6]uint64{3, addr, 2, 0}},
	}
	for _, mode := range []NetMode{NetOff, NetProxied, NetFull} {
		rules := SyscallPolicy(mode, true, false)
		for _, c := range calls {
			r := rules.Rule(c.name)
			if r == nil {
				t.Errorf("%s: broker mode has no rule for %s: it is allowed", mode, c.name)
				continue
			}
			if v := r.Decide(c.args); v.Action == SysAllow {
				t.Errorf("%s: %s with an address is allowed (%s), not brokered or refused", mode, c.name, v.Why)
			}
		}
	}
}
