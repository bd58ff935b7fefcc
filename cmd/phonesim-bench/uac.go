package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// uac is a minimal SIP caller over one raw UDP socket, written by hand so
// that the "sent" timestamp of each INVITE is taken right before the
// datagram goes to the kernel, with no SIP stack in between. It places one
// call at a time: INVITE, (the phone answers) ACK, BYE. It parses responses
// with sipgo's parser; it builds requests itself.
type uac struct {
	conn   *net.UDPConn
	target *net.UDPAddr // the phone's SIP address
	user   string       // the phone's line user (Request-URI user part)
	rtp    *net.UDPConn // where the phone's RTP goes; read and dropped
	buf    []byte
	// rtpIn gets a token for each RTP packet (dropped when full);
	// rtpDone is closed when the RTP drain goroutine has returned.
	rtpIn   chan struct{}
	rtpDone chan struct{}
}

// call is one dialog from the caller's side.
type call struct {
	callID  string
	fromTag string
	// to is the To header value of the phone's final response, with the
	// phone's tag (RFC 3261 §12.1.2: the remote tag of the dialog).
	to string
	// remoteTarget is the Contact URI of the 200 OK (§12.1.2), where ACK
	// and BYE go.
	remoteTarget string
	branch       string // the INVITE's Via branch
}

func newUAC(ip string, target *net.UDPAddr, user string) (*uac, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		return nil, err
	}
	rtp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		conn.Close()
		return nil, err
	}
	u := &uac{conn: conn, target: target, user: user, rtp: rtp, buf: make([]byte, 65535),
		rtpIn: make(chan struct{}, 1), rtpDone: make(chan struct{})}
	go func() {
		defer close(u.rtpDone)
		b := make([]byte, 2048)
		for {
			if _, _, err := rtp.ReadFromUDP(b); err != nil {
				return
			}
			select {
			case u.rtpIn <- struct{}{}:
			default:
			}
		}
	}()
	return u, nil
}

func (u *uac) Close() {
	u.conn.Close()
	u.rtp.Close()
	<-u.rtpDone
}

func (u *uac) local() *net.UDPAddr { return u.conn.LocalAddr().(*net.UDPAddr) }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newCall prepares a call with a fresh Call-ID and From tag.
func (u *uac) newCall() *call {
	return &call{callID: "bench-" + randHex(12) + "@" + u.local().IP.String(), fromTag: randHex(6), branch: "z9hG4bK-" + randHex(10)}
}

func (u *uac) requestURI() string {
	return "sip:" + u.user + "@" + u.target.String()
}

// invite builds the INVITE of c: an SDP offer of PCMU and RFC 4733
// telephone-events on the RTP socket.
func (u *uac) invite(c *call) []byte {
	l := u.local()
	rtpPort := u.rtp.LocalAddr().(*net.UDPAddr).Port
	sdp := strings.Join([]string{
		"v=0",
		"o=bench " + strconv.FormatInt(time.Now().UnixNano()%1e9, 10) + " 1 IN IP4 " + l.IP.String(),
		"s=phonesim-bench",
		"c=IN IP4 " + l.IP.String(),
		"t=0 0",
		"m=audio " + strconv.Itoa(rtpPort) + " RTP/AVP 0 101",
		"a=rtpmap:0 PCMU/8000",
		"a=rtpmap:101 telephone-event/8000",
		"a=fmtp:101 0-16",
		"a=ptime:20",
		"a=sendrecv",
		"",
	}, "\r\n")
	var b strings.Builder
	fmt.Fprintf(&b, "INVITE %s SIP/2.0\r\n", u.requestURI())
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n", l, c.branch)
	b.WriteString("Max-Forwards: 70\r\n")
	fmt.Fprintf(&b, "From: \"Bench\" <sip:bench@%s>;tag=%s\r\n", l, c.fromTag)
	fmt.Fprintf(&b, "To: <%s>\r\n", u.requestURI())
	fmt.Fprintf(&b, "Call-ID: %s\r\n", c.callID)
	b.WriteString("CSeq: 1 INVITE\r\n")
	fmt.Fprintf(&b, "Contact: <sip:bench@%s>\r\n", l)
	b.WriteString("Allow: INVITE, ACK, CANCEL, BYE\r\n")
	b.WriteString("User-Agent: phonesim-bench\r\n")
	b.WriteString("Content-Type: application/sdp\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(sdp))
	b.WriteString(sdp)
	return []byte(b.String())
}

// sendInvite sends the INVITE and returns the time taken right before the
// write: the start point of the event latency.
func (u *uac) sendInvite(c *call) (time.Time, error) {
	msg := u.invite(c)
	sent := time.Now()
	_, err := u.conn.WriteToUDP(msg, u.target)
	return sent, err
}

// inDialog builds ACK or BYE for the dialog (RFC 3261 §12.2.1.1): to the
// remote target, with the remote tag, a new branch (§13.2.2.4: the ACK of
// a 2xx is its own transaction) and the given CSeq.
func (u *uac) inDialog(c *call, method string, cseq int) []byte {
	l := u.local()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", method, c.remoteTarget)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\r\n", l, randHex(10))
	b.WriteString("Max-Forwards: 70\r\n")
	fmt.Fprintf(&b, "From: \"Bench\" <sip:bench@%s>;tag=%s\r\n", l, c.fromTag)
	fmt.Fprintf(&b, "To: %s\r\n", c.to)
	fmt.Fprintf(&b, "Call-ID: %s\r\n", c.callID)
	fmt.Fprintf(&b, "CSeq: %d %s\r\n", cseq, method)
	b.WriteString("User-Agent: phonesim-bench\r\n")
	b.WriteString("Content-Length: 0\r\n\r\n")
	return []byte(b.String())
}

func (u *uac) send(msg []byte, to *net.UDPAddr) error {
	_, err := u.conn.WriteToUDP(msg, to)
	return err
}

// read returns the next response of call c, skipping anything else
// (retransmissions of earlier calls, stray requests), until deadline.
func (u *uac) read(c *call, deadline time.Time) (*sip.Response, error) {
	if err := u.conn.SetReadDeadline(deadline); err != nil {
		return nil, err
	}
	for {
		n, _, err := u.conn.ReadFromUDP(u.buf)
		if err != nil {
			return nil, err
		}
		msg, err := sip.ParseMessage(u.buf[:n])
		if err != nil {
			continue
		}
		res, ok := msg.(*sip.Response)
		if !ok {
			continue
		}
		if id := res.CallID(); id == nil || id.Value() != c.callID {
			continue
		}
		return res, nil
	}
}

// awaitAnswer reads the responses to the INVITE until the final one. A 2xx
// sets the dialog's remote tag and target; a failure is ACKed in the
// INVITE's transaction (RFC 3261 §17.1.1.3) and returned as an error.
func (u *uac) awaitAnswer(c *call, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		res, err := u.read(c, deadline)
		if err != nil {
			return fmt.Errorf("waiting for 200 OK to INVITE: %w", err)
		}
		cseq := res.CSeq()
		if cseq == nil || cseq.MethodName != sip.INVITE || res.StatusCode < 200 {
			continue
		}
		if res.To() == nil {
			return errors.New("final response to INVITE without To")
		}
		c.to = res.To().Value()
		if res.StatusCode >= 300 {
			_ = u.send(u.nonSuccessAck(c), u.target)
			return fmt.Errorf("INVITE answered %d %s", res.StatusCode, res.Reason)
		}
		ct := res.Contact()
		if ct == nil {
			return errors.New("200 OK to INVITE without Contact")
		}
		c.remoteTarget = ct.Address.String()
		return nil
	}
}

// nonSuccessAck is the ACK of a non-2xx final response: same branch and
// Request-URI as the INVITE, To from the response (RFC 3261 §17.1.1.3).
func (u *uac) nonSuccessAck(c *call) []byte {
	l := u.local()
	var b strings.Builder
	fmt.Fprintf(&b, "ACK %s SIP/2.0\r\n", u.requestURI())
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n", l, c.branch)
	b.WriteString("Max-Forwards: 70\r\n")
	fmt.Fprintf(&b, "From: \"Bench\" <sip:bench@%s>;tag=%s\r\n", l, c.fromTag)
	fmt.Fprintf(&b, "To: %s\r\n", c.to)
	fmt.Fprintf(&b, "Call-ID: %s\r\n", c.callID)
	b.WriteString("CSeq: 1 ACK\r\n")
	b.WriteString("Content-Length: 0\r\n\r\n")
	return []byte(b.String())
}

// remoteAddr is where in-dialog requests go: the host:port of the remote
// target (the phone's Contact).
func (c *call) remoteAddr() (*net.UDPAddr, error) {
	var uri sip.Uri
	if err := sip.ParseUri(c.remoteTarget, &uri); err != nil {
		return nil, fmt.Errorf("contact %q: %w", c.remoteTarget, err)
	}
	port := uri.Port
	if port == 0 {
		port = 5060
	}
	return net.ResolveUDPAddr("udp4", net.JoinHostPort(uri.Host, strconv.Itoa(port)))
}

// ackAndBye confirms the answered call and ends it: ACK, then, once the
// phone's first RTP packet shows the call is up, BYE; then waits for the
// BYE's 200 OK, ACKing again any retransmitted 200 OK to the INVITE
// (§13.3.1.4: the callee retransmits until it gets the ACK).
//
// Waiting for media keeps the ACK ahead of the BYE: sent back to back over
// UDP, the phone may handle the BYE first, and then never sees the call
// established (see docs/benchmarks.md).
func (u *uac) ackAndBye(c *call, timeout time.Duration) error {
	to, err := c.remoteAddr()
	if err != nil {
		return err
	}
	select { // a packet of an earlier call
	case <-u.rtpIn:
	default:
	}
	ack := u.inDialog(c, string(sip.ACK), 1)
	if err := u.send(ack, to); err != nil {
		return err
	}
	select {
	case <-u.rtpIn:
	case <-time.After(timeout):
		return errors.New("no RTP from the phone after ACK")
	}
	if err := u.send(u.inDialog(c, string(sip.BYE), 2), to); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		res, err := u.read(c, deadline)
		if err != nil {
			return fmt.Errorf("waiting for 200 OK to BYE: %w", err)
		}
		cseq := res.CSeq()
		if cseq == nil {
			continue
		}
		switch {
		case cseq.MethodName == sip.INVITE && res.StatusCode >= 200 && res.StatusCode < 300:
			_ = u.send(ack, to)
		case cseq.MethodName == sip.BYE && res.StatusCode >= 200:
			if res.StatusCode >= 300 {
				return fmt.Errorf("BYE answered %d %s", res.StatusCode, res.Reason)
			}
			return nil
		}
	}
}
