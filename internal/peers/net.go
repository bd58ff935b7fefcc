package peers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FreePort returns a port that was free on ip for network ("udp" or "tcp")
// a moment ago: it binds ip:0, reads the port the kernel chose and closes the
// socket. Another process may take the port before the caller binds it; give
// each peer its own address (LoopbackIP) to make that unlikely.
func FreePort(t testing.TB, network, ip string) int {
	t.Helper()
	port, err := freePort(network, ip)
	if err != nil {
		t.Fatalf("peers.FreePort(%q, %q): %v", network, ip, err)
	}
	return port
}

func freePort(network, ip string) (int, error) {
	if err := checkLoopback(ip); err != nil {
		return 0, err
	}
	addr := net.JoinHostPort(ip, "0")
	switch strings.TrimRight(network, "46") {
	case "udp":
		c, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	case "tcp":
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	return 0, fmt.Errorf("network %q: want udp or tcp", network)
}

// portFree reports whether ip:port can be bound right now for network.
func portFree(network, ip string, port int) bool {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	if network == "udp" {
		c, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// checkLoopback refuses any address outside 127.0.0.0/8: the peers must
// never listen on a real interface.
func checkLoopback(ip string) error {
	a := net.ParseIP(ip)
	if a == nil || a.To4() == nil {
		return fmt.Errorf("%q is not an IPv4 address", ip)
	}
	if !a.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address (127.0.0.0/8 only)", ip)
	}
	return nil
}

var loopback struct {
	sync.Mutex
	used map[string]bool
}

// LoopbackIP returns a loopback address that no other call in this process
// has returned, picked at random in 127.100.0.0 – 127.199.255.255 so that
// test binaries running in parallel are unlikely to meet either. It checks
// that the address can be bound (Linux routes all of 127.0.0.0/8 to lo).
func LoopbackIP(t testing.TB) string {
	t.Helper()
	loopback.Lock()
	defer loopback.Unlock()
	if loopback.used == nil {
		loopback.used = map[string]bool{}
	}
	var lastErr error
	for range 64 {
		ip := fmt.Sprintf("127.%d.%d.%d", 100+rand.IntN(100), rand.IntN(256), 1+rand.IntN(254))
		if loopback.used[ip] {
			continue
		}
		c, err := net.ListenPacket("udp4", ip+":0")
		if err != nil {
			lastErr = err
			continue
		}
		c.Close()
		loopback.used[ip] = true
		return ip
	}
	t.Fatalf("peers.LoopbackIP: no bindable address in 127.100.0.0/10: %v", lastErr)
	return ""
}

// sipPort picks the SIP port for a peer on ip: 5060 when it is free for
// every socket the peer opens, else a free port. tcpPlusOne also asks for the
// next TCP port (baresip listens for SIP over TLS on port+1).
func sipPort(t testing.TB, ip string, tcp, tcpPlusOne bool) int {
	t.Helper()
	p, err := SIPPort(ip, tcp, tcpPlusOne)
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	return p
}

// SIPPort is sipPort for callers without a testing.TB (the benchmark).
func SIPPort(ip string, tcp, tcpPlusOne bool) (int, error) {
	ok := func(p int) bool {
		if p <= 0 || p >= 65535 || !portFree("udp", ip, p) {
			return false
		}
		if tcp && !portFree("tcp", ip, p) {
			return false
		}
		return !tcpPlusOne || portFree("tcp", ip, p+1)
	}
	if ok(5060) {
		return 5060, nil
	}
	for range 50 {
		p, err := freePort("udp", ip)
		if err == nil && ok(p) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free SIP port on %s", ip)
}

// waitBound waits until some process holds ip:port for network (our own
// bind fails with EADDRINUSE), or ctx ends, or exited is closed.
func waitBound(ctx context.Context, network, ip string, port int, exited <-chan struct{}) error {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	for {
		var err error
		if network == "udp" {
			var c net.PacketConn
			if c, err = net.ListenPacket("udp4", addr); err == nil {
				c.Close()
			}
		} else {
			var l net.Listener
			if l, err = net.Listen("tcp4", addr); err == nil {
				l.Close()
			}
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil
		}
		select {
		case <-exited:
			return errors.New("process exited before binding " + network + " " + addr)
		case <-ctx.Done():
			return fmt.Errorf("%s %s not bound: %w", network, addr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
