package peers

import (
	"net"
	"strconv"
	"testing"
)

func TestLoopbackIPGivesDistinctBindableAddresses(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		ip := LoopbackIP(t)
		if seen[ip] {
			t.Fatalf("LoopbackIP returned %s twice", ip)
		}
		seen[ip] = true
		if a := net.ParseIP(ip); a == nil || !a.IsLoopback() || a.To4() == nil {
			t.Fatalf("LoopbackIP returned %q, not an IPv4 loopback address", ip)
		}
		l, err := net.Listen("tcp4", ip+":0")
		if err != nil {
			t.Fatalf("cannot listen on %s: %v", ip, err)
		}
		l.Close()
	}
}

func TestFreePortCanBeBound(t *testing.T) {
	ip := LoopbackIP(t)
	for _, network := range []string{"udp", "tcp"} {
		port := FreePort(t, network, ip)
		if port <= 0 || port > 65535 {
			t.Fatalf("FreePort(%s) = %d", network, port)
		}
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		if network == "udp" {
			c, err := net.ListenPacket("udp4", addr)
			if err != nil {
				t.Fatalf("bind %s %s: %v", network, addr, err)
			}
			c.Close()
		} else {
			l, err := net.Listen("tcp4", addr)
			if err != nil {
				t.Fatalf("bind %s %s: %v", network, addr, err)
			}
			l.Close()
		}
	}
}

func TestFreePortRefusesNonLoopbackAndUnknownNetworks(t *testing.T) {
	for _, tc := range []struct{ network, ip string }{
		{"udp", "0.0.0.0"},
		{"udp", "192.0.2.1"},
		{"tcp", "::1"},
		{"tcp", "localhost"},
		{"sctp", "127.0.0.1"},
	} {
		if _, err := freePort(tc.network, tc.ip); err == nil {
			t.Errorf("freePort(%q, %q) succeeded, want an error", tc.network, tc.ip)
		}
	}
}

func TestSIPPortAvoidsTakenPorts(t *testing.T) {
	ip := LoopbackIP(t)
	if got := sipPort(t, ip, true, true); got != 5060 {
		t.Fatalf("sipPort on a fresh address = %d, want 5060", got)
	}
	// Take 5061/tcp (baresip's TLS port): 5060 no longer fits.
	l, err := net.Listen("tcp4", ip+":5061")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := sipPort(t, ip, true, true)
	if got == 5060 {
		t.Fatalf("sipPort chose 5060 although %s:5061/tcp is taken", ip)
	}
	if !portFree("udp", ip, got) || !portFree("tcp", ip, got) || !portFree("tcp", ip, got+1) {
		t.Fatalf("sipPort chose %d, which is not free", got)
	}
	if got := sipPort(t, ip, false, false); got != 5060 {
		t.Fatalf("sipPort for UDP only = %d, want 5060", got)
	}
}
