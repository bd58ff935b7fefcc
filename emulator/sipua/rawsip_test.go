package sipua_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// rawSIP is a bare UDP socket speaking SIP by hand, to send exactly what a
// test needs (also what a UA should refuse) and see exactly what it answers.
type rawSIP struct {
	conn net.PacketConn
	seq  int
}

func newRawSIP(t *testing.T) *rawSIP {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Let the last ACK land before the UA under test stops (cleanups
		// run in reverse, so this one runs first): sipgo v1.7.3 answers
		// a request that arrives while its transport closes by binding a
		// new socket on 0.0.0.0 whose reader never ends (goleak sees it).
		time.Sleep(100 * time.Millisecond)
		c.Close()
	})
	return &rawSIP{conn: c}
}

// rawSDP offers PCMU with the given direction attribute.
func rawSDP(version int, direction string) string {
	return fmt.Sprintf("v=0\r\no=- 1 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=%s\r\n", version, direction)
}

// rawCall is one call placed by rawSIP: its INVITE, then in-dialog requests.
type rawCall struct {
	r      *rawSIP
	dst    net.Addr
	ruri   string // Request-URI: first the dialled URI, then the remote target
	callID string
	from   string // From header line, with our tag
	to     string // To header line, with the far end's tag once answered
	cseq   int
	branch string // of the last INVITE, for its non-2xx ACK
	invite []byte // the last INVITE as sent, for resend
}

// invite sends an INVITE for user at addr, with extra header lines.
func (r *rawSIP) invite(t *testing.T, addr, user, extra string) *rawCall {
	t.Helper()
	r.seq++
	local := r.conn.LocalAddr().String()
	dst, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &rawCall{
		r: r, dst: dst, ruri: "sip:" + user + "@" + addr,
		callID: fmt.Sprintf("raw-%d-%d@127.0.0.1", time.Now().UnixNano(), r.seq),
		from:   "From: <sip:raw@" + local + ">;tag=rawtag" + fmt.Sprint(r.seq) + "\r\n",
		to:     "To: <sip:" + user + "@" + addr + ">\r\n",
	}
	c.send(t, "INVITE", extra, rawSDP(1, "sendrecv"))
	return c
}

// send sends a request of the call with a new CSeq (ACK reuses the last).
func (c *rawCall) send(t *testing.T, method, extra, body string) {
	t.Helper()
	if method != "ACK" {
		c.cseq++
	}
	branch := fmt.Sprintf("z9hG4bK-raw%d", time.Now().UnixNano())
	if method == "INVITE" {
		c.branch = branch
	}
	local := c.r.conn.LocalAddr().String()
	msg := method + " " + c.ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=" + branch + "\r\n" +
		c.from + c.to + "Call-ID: " + c.callID + "\r\n" +
		fmt.Sprintf("CSeq: %d %s\r\n", c.cseq, method) +
		"Max-Forwards: 70\r\nContact: <sip:raw@" + local + ">\r\n" + extra
	if body != "" {
		msg += "Content-Type: application/sdp\r\n"
	}
	msg += fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	if method == "INVITE" {
		c.invite = []byte(msg)
	}
	if _, err := c.r.conn.WriteTo([]byte(msg), c.dst); err != nil {
		t.Fatal(err)
	}
}

// resend sends the last INVITE again, byte for byte: a retransmission
// (RFC 3261 §17.1.1.2).
func (c *rawCall) resend(t *testing.T) {
	t.Helper()
	if _, err := c.r.conn.WriteTo(c.invite, c.dst); err != nil {
		t.Fatal(err)
	}
}

// final returns the final response to the last request and ACKs it when
// it answers an INVITE: a non-2xx in the INVITE's transaction (RFC 3261
// §17.1.1.3), a 2xx in a new one to the remote target (§13.2.2.4).
// Requests from the far end (BYE) are answered 200 on the way.
func (c *rawCall) final(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 65535)
	deadline := time.Now().Add(expectTimeout)
	for {
		_ = c.r.conn.SetReadDeadline(deadline)
		n, _, err := c.r.conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no final response: %v", err)
		}
		msg := string(buf[:n])
		if !strings.Contains(msg, c.callID) {
			continue
		}
		if !strings.HasPrefix(msg, "SIP/2.0 ") {
			c.respondOK(t, msg)
			continue
		}
		if len(msg) < 9 || msg[8] < '2' {
			continue // provisional
		}
		if !strings.Contains(headerLine(msg, "CSeq"), " INVITE") {
			return msg
		}
		c.to = headerLine(msg, "To")
		if msg[8] == '2' {
			if contact := headerLine(msg, "Contact"); contact != "" {
				v := strings.TrimSpace(strings.SplitN(contact, ":", 2)[1])
				c.ruri = strings.Trim(strings.SplitN(v, ";", 2)[0], "<>")
			}
			c.send(t, "ACK", "", "")
		} else {
			local := c.r.conn.LocalAddr().String()
			ack := "ACK " + c.ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=" + c.branch + "\r\n" +
				c.from + c.to + "Call-ID: " + c.callID + "\r\n" + fmt.Sprintf("CSeq: %d ACK\r\n", c.cseq) +
				"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
			if _, err := c.r.conn.WriteTo([]byte(ack), c.dst); err != nil {
				t.Fatal(err)
			}
		}
		return msg
	}
}

// waitRequest waits for a request of method from the far end and answers
// it 200 OK.
func (c *rawCall) waitRequest(t *testing.T, method string) {
	t.Helper()
	buf := make([]byte, 65535)
	deadline := time.Now().Add(expectTimeout)
	for {
		_ = c.r.conn.SetReadDeadline(deadline)
		n, _, err := c.r.conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no %s: %v", method, err)
		}
		msg := string(buf[:n])
		if strings.Contains(msg, c.callID) && strings.HasPrefix(msg, method+" ") {
			c.respondOK(t, msg)
			return
		}
	}
}

func (c *rawCall) respondOK(t *testing.T, req string) {
	t.Helper()
	if strings.HasPrefix(req, "ACK ") {
		return
	}
	res := "SIP/2.0 200 OK\r\n" + headerLine(req, "Via") + headerLine(req, "From") + headerLine(req, "To") +
		headerLine(req, "Call-ID") + headerLine(req, "CSeq") + "Content-Length: 0\r\n\r\n"
	if _, err := c.r.conn.WriteTo([]byte(res), c.dst); err != nil {
		t.Fatal(err)
	}
}

// status is the status line of a response.
func status(res string) string { return strings.SplitN(res, "\r\n", 2)[0] }

// headerLine returns the full "Name: value\r\n" line of a header.
func headerLine(msg, name string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		if line == "" {
			break // end of headers
		}
		if k, _, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return line + "\r\n"
		}
	}
	return ""
}
