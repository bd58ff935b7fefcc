package peers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"
)

// optionsPing sends SIP OPTIONS over UDP from an ephemeral port on fromIP to
// addr every 100 ms until any SIP response arrives (RFC 3261 11: a server
// answers OPTIONS with its capabilities; any status line will do, it only
// shows the server reads requests) or ctx ends. It returns the status line.
func optionsPing(ctx context.Context, fromIP, addr string) (string, error) {
	conn, err := net.ListenPacket("udp4", net.JoinHostPort(fromIP, "0"))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	raddr, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return "", err
	}
	local := conn.LocalAddr().(*net.UDPAddr)
	callID := strconv.FormatUint(rand.Uint64(), 36)
	buf := make([]byte, 65535)
	for cseq := 1; ; cseq++ {
		req := optionsRequest(raddr, local, callID, cseq)
		if _, err := conn.WriteTo([]byte(req), raddr); err != nil {
			return "", err
		}
		deadline := time.Now().Add(100 * time.Millisecond)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = conn.SetReadDeadline(deadline)
		n, _, err := conn.ReadFrom(buf)
		if err == nil && strings.HasPrefix(string(buf[:n]), "SIP/2.0 ") {
			line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
			return line, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("no answer to OPTIONS from %s: %w", addr, ctx.Err())
		}
		// A read error (timeout, ICMP port unreachable) means: not yet.
		if err != nil && !isTimeout(err) {
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func optionsRequest(to, from *net.UDPAddr, callID string, cseq int) string {
	branch := "z9hG4bK-" + callID + "-" + strconv.Itoa(cseq)
	return "OPTIONS sip:" + to.String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + from.String() + ";branch=" + branch + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:ping@" + from.String() + ">;tag=" + callID + "\r\n" +
		"To: <sip:" + to.String() + ">\r\n" +
		"Call-ID: " + callID + "@" + from.IP.String() + "\r\n" +
		"CSeq: " + strconv.Itoa(cseq) + " OPTIONS\r\n" +
		"Content-Length: 0\r\n\r\n"
}
