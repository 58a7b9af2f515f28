package ir

import "testing"

// With a unix_sockets allowlist, the only unix sockets the sandbox can
// create are stream and seqpacket ones, which ignore the address of sendto
// and sendmsg; so connect is the one call that reaches another unix
// socket, and it must go to the broker in every network mode, whatever its
// arguments. A datagram socket left allowed would reach any host socket
// with sendto.
func TestBrokerModeLeavesNoAddressUnchecked(t *testing.T) {
	const addr = 0x1000 // a non-NULL pointer
	for _, mode := range []NetMode{NetOff, NetProxied, NetFull} {
		rules := SyscallPolicy(mode, true, false)
		if rules.UnixSockets != UnixBroker {
			t.Fatalf("%s: unix sockets are %s, want broker", mode, rules.UnixSockets)
		}
		for _, args := range [][6]uint64{{3, addr, 110}, {0, 0, 0}, {1 << 40, addr, 2}} {
			if v := rules.Rule("connect").Decide(args); v.Action != SysNotify {
				t.Errorf("%s: connect%v is %s (%s), not brokered", mode, args[:3], v.Action, v.Why)
			}
		}
		for _, call := range []string{"socket", "socketpair"} {
			for _, typ := range []uint32{SockStream, SockSeqpacket} {
				for _, flags := range []uint32{0, 0x800, 0x80000} { // SOCK_NONBLOCK, SOCK_CLOEXEC
					args := [6]uint64{uint64(AFUnix), uint64(typ | flags)}
					if v := rules.Rule(call).Decide(args); v.Action != SysAllow {
						t.Errorf("%s: %s(AF_UNIX, %#x) refused (%s)", mode, call, typ|flags, v.Why)
					}
				}
			}
			for _, typ := range []uint32{2, 3, 2 | 0x80000, 10} { // SOCK_DGRAM, SOCK_RAW, SOCK_PACKET
				if v := rules.Rule(call).Decide([6]uint64{uint64(AFUnix), uint64(typ)}); v.Action == SysAllow {
					t.Errorf("%s: %s(AF_UNIX, %#x) allowed (%s): sendto could address any host socket",
						mode, call, typ, v.Why)
				}
			}
		}
	}
}
