package sipua_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"testing"

	"github.com/phonesim/phonesim/emulator/sipua"
)

// stunBindingRequest is a STUN Binding request (RFC 5389 §6: type 0x0001,
// no attributes, the magic cookie, a 96-bit transaction id), what linphone
// sends to the RTCP port of a call every 0.5 s.
func stunBindingRequest(id int) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], 0x0001)
	binary.BigEndian.PutUint32(b[4:], 0x2112A442)
	binary.BigEndian.PutUint32(b[16:], uint32(id))
	return b
}

// STUN datagrams on the RTCP port of a call are ignored and counted
// (issue 12, defect 4); the call goes on.
func TestSTUNOnRTCPPortIsCountedNotLogged(t *testing.T) {
	b := startUA(t, "127.0.0.1", "1002", "127.0.0.1:9")
	call := newRawSIP(t).invite(t, b.Addr(), "1002", "")
	in := b.incoming(t, call.callID)
	b.Answer(in.Ref)
	res := call.final(t)
	stats := b.answered(t, in.Ref)
	m := regexp.MustCompile(`m=audio (\d+) `).FindStringSubmatch(res)
	if m == nil {
		t.Fatalf("no m=audio in the answer:\n%s", res)
	}
	rtp, _ := strconv.Atoi(m[1])
	rtcp := fmt.Sprintf("127.0.0.1:%d", rtp+1) // RFC 3550 §11: the next port
	conn, err := net.Dial("udp", rtcp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	before := sipua.IgnoredRTCP()
	const n = 5
	for i := range n {
		if _, err := conn.Write(stunBindingRequest(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the STUN datagrams counted", expectTimeout, func() bool { return sipua.IgnoredRTCP()-before >= n })
	flowing(t, "the call still sends RTP", &stats.RTPOut)
}
