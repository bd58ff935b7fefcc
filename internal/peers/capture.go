package peers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A packet capture on the loopback interface, the way tcpdump -i lo takes
// one: an AF_PACKET socket bound to lo sees every datagram any process on
// the machine sends over loopback, with the addresses and ports the kernel
// actually used. Nothing sits between the parties (a relay would change the
// very first hop the capture is meant to check). It needs CAP_NET_RAW (root
// in the test container); without it the test skips and says so.

// CapturedUDP is one UDP datagram seen on lo.
type CapturedUDP struct {
	At       time.Time
	Src, Dst netip.AddrPort
	Payload  []byte
}

// Capture is a running loopback capture of the UDP datagrams to or from a
// set of IP addresses.
type Capture struct {
	fd   int
	ips  map[netip.Addr]bool
	done chan struct{}
	quit chan struct{}

	// idle counts the reads that found the socket empty: once it moves
	// on, everything sent before has been read.
	idle atomic.Uint64

	mu   sync.Mutex
	pkts []CapturedUDP
	err  error
}

// CaptureLoopback starts capturing the UDP datagrams whose source or
// destination address is one of ips, until the test ends. It skips the test
// when the process may not open a packet socket.
func CaptureLoopback(t testing.TB, ips ...string) *Capture {
	t.Helper()
	c := &Capture{ips: map[netip.Addr]bool{}, done: make(chan struct{}), quit: make(chan struct{})}
	for _, ip := range ips {
		if err := checkLoopback(ip); err != nil {
			t.Fatalf("peers.CaptureLoopback: %v", err)
		}
		c.ips[netip.MustParseAddr(ip)] = true
	}
	// socket(2) and bind(2) want the protocol in network byte order.
	proto := htons(syscall.ETH_P_ALL)
	// SOCK_DGRAM: the kernel strips the link header (lo's is a dummy
	// Ethernet header), so each read starts at the IP header.
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_DGRAM, int(proto))
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		t.Skipf("peers.CaptureLoopback: a packet socket needs CAP_NET_RAW (run the test as root): %v", err)
	}
	if err != nil {
		t.Fatalf("peers.CaptureLoopback: socket: %v", err)
	}
	lo, err := loIndex()
	if err != nil {
		syscall.Close(fd)
		t.Fatalf("peers.CaptureLoopback: %v", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: proto, Ifindex: lo}); err != nil {
		syscall.Close(fd)
		t.Fatalf("peers.CaptureLoopback: bind lo: %v", err)
	}
	// The kernel keeps only our addresses' UDP (the rest of lo carries
	// every other test's RTP, which would crowd SIP out of the buffer);
	// reads wake every 50 ms to notice the end of the test.
	if err := syscall.AttachLsf(fd, udpOf(c.ips)); err != nil {
		syscall.Close(fd)
		t.Fatalf("peers.CaptureLoopback: filter: %v", err)
	}
	if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, 8<<20) != nil {
		_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<20)
	}
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &syscall.Timeval{Usec: 50_000})
	c.fd = fd
	go c.read()
	t.Cleanup(c.stop)
	return c
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// udpOf is a classic BPF program (as tcpdump compiles "udp and host A or
// host B ...") over the IPv4 header a cooked packet socket reads: it
// accepts UDP whose source or destination is one of ips.
func udpOf(ips map[netip.Addr]bool) []syscall.SockFilter {
	var addrs []uint32
	for ip := range ips {
		a := ip.As4()
		addrs = append(addrs, binary.BigEndian.Uint32(a[:]))
	}
	n := len(addrs)
	ins := func(code uint16, jt, jf uint8, k uint32) syscall.SockFilter {
		return syscall.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
	}
	// Layout: 0 ldb [9]; 1 jeq 17; 2 ld [12]; n× jeq; ld [16]; n× jeq;
	// drop; accept.
	drop := 2 + 2*(n+1)
	accept := drop + 1
	prog := []syscall.SockFilter{
		ins(syscall.BPF_LD|syscall.BPF_B|syscall.BPF_ABS, 0, 0, 9),
		ins(syscall.BPF_JMP|syscall.BPF_JEQ|syscall.BPF_K, 0, uint8(drop-2), syscall.IPPROTO_UDP),
	}
	for _, off := range []uint32{12, 16} {
		prog = append(prog, ins(syscall.BPF_LD|syscall.BPF_W|syscall.BPF_ABS, 0, 0, off))
		for _, a := range addrs {
			pc := len(prog)
			prog = append(prog, ins(syscall.BPF_JMP|syscall.BPF_JEQ|syscall.BPF_K, uint8(accept-pc-1), 0, a))
		}
	}
	return append(prog,
		ins(syscall.BPF_RET|syscall.BPF_K, 0, 0, 0),
		ins(syscall.BPF_RET|syscall.BPF_K, 0, 0, 1<<18),
	)
}

// loIndex is the index of the loopback interface.
func loIndex() (int, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return 0, err
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 {
			return i.Index, nil
		}
	}
	return 0, errors.New("no loopback interface")
}

// stop ends the capture and closes the socket.
func (c *Capture) stop() {
	select {
	case <-c.quit:
	default:
		close(c.quit)
	}
	<-c.done
}

func (c *Capture) read() {
	defer close(c.done)
	defer syscall.Close(c.fd)
	buf := make([]byte, 65536)
	for {
		select {
		case <-c.quit:
			return
		default:
		}
		n, from, err := syscall.Recvfrom(c.fd, buf, 0)
		if errors.Is(err, syscall.EAGAIN) {
			c.idle.Add(1)
			continue
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		// On lo each datagram passes twice: as sent (PACKET_OUTGOING)
		// and as received (PACKET_HOST). Keep the received copy.
		if ll, ok := from.(*syscall.SockaddrLinklayer); ok && ll.Pkttype == syscall.PACKET_OUTGOING {
			continue
		}
		if p, ok := parseUDP(buf[:n]); ok && (c.ips[p.Src.Addr()] || c.ips[p.Dst.Addr()]) {
			p.At = time.Now()
			c.mu.Lock()
			c.pkts = append(c.pkts, p)
			c.mu.Unlock()
		}
	}
}

// parseUDP reads an IPv4 header (RFC 791) and the UDP header (RFC 768)
// after it.
func parseUDP(b []byte) (CapturedUDP, bool) {
	if len(b) < 20 || b[0]>>4 != 4 || b[9] != syscall.IPPROTO_UDP {
		return CapturedUDP{}, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl+8 {
		return CapturedUDP{}, false
	}
	if frag := binary.BigEndian.Uint16(b[6:8]); frag&0x1fff != 0 {
		return CapturedUDP{}, false // a later fragment has no UDP header
	}
	src, _ := netip.AddrFromSlice(b[12:16])
	dst, _ := netip.AddrFromSlice(b[16:20])
	u := b[ihl:]
	ulen := int(binary.BigEndian.Uint16(u[4:6]))
	if ulen < 8 || ulen > len(u) {
		ulen = len(u)
	}
	return CapturedUDP{
		Src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(u[0:2])),
		Dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(u[2:4])),
		Payload: append([]byte(nil), u[8:ulen]...),
	}, true
}

// Packets returns what has been captured so far; it fails the test if the
// capture broke.
func (c *Capture) Packets(t testing.TB) []CapturedUDP {
	t.Helper()
	// Let the reader catch up: what the kernel queued before this call
	// is read once a later read finds the socket empty.
	start := c.idle.Load()
	for deadline := time.Now().Add(5 * time.Second); c.idle.Load() < start+2 && time.Now().Before(deadline); {
		select {
		case <-c.done:
			deadline = time.Time{}
		default:
			time.Sleep(10 * time.Millisecond)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		t.Fatalf("peers.Capture: %v", c.err)
	}
	return append([]CapturedUDP(nil), c.pkts...)
}

// SIPRequest is a captured SIP request with the fields a routing check
// needs.
type SIPRequest struct {
	CapturedUDP
	Method string
	URI    string
	Via    string // the top Via's sent-by (host:port)
	CSeq   string
	ToTag  bool // the request is inside a dialog (RFC 3261 §12.2)
}

func (r SIPRequest) String() string {
	return fmt.Sprintf("%s %s (CSeq %s) %s -> %s, Via %s", r.Method, r.URI, r.CSeq, r.Src, r.Dst, r.Via)
}

// SIPRequests returns the captured SIP requests in the order seen.
func (c *Capture) SIPRequests(t testing.TB) []SIPRequest {
	t.Helper()
	var out []SIPRequest
	for _, p := range c.Packets(t) {
		if r, ok := parseSIPRequest(p); ok {
			out = append(out, r)
		}
	}
	return out
}

// parseSIPRequest reads the request line, the top Via, CSeq and the To tag
// (RFC 3261 §7.1, §20.42, §20.16, §20.39; compact forms v and t of §7.3.3).
func parseSIPRequest(p CapturedUDP) (SIPRequest, bool) {
	head, _, _ := strings.Cut(string(p.Payload), "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	f := strings.Fields(lines[0])
	if len(f) != 3 || f[2] != "SIP/2.0" {
		return SIPRequest{}, false
	}
	r := SIPRequest{CapturedUDP: p, Method: f[0], URI: f[1]}
	for _, l := range lines[1:] {
		name, val, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "v":
			if r.Via == "" {
				// "SIP/2.0/UDP host:port;branch=..." (first value)
				first, _, _ := strings.Cut(val, ",")
				if _, sentBy, ok := strings.Cut(strings.TrimSpace(first), " "); ok {
					sentBy, _, _ = strings.Cut(strings.TrimSpace(sentBy), ";")
					r.Via = sentBy
				}
			}
		case "cseq":
			r.CSeq = val
		case "to", "t":
			r.ToTag = strings.Contains(strings.ToLower(val), ";tag=")
		}
	}
	return r, true
}
