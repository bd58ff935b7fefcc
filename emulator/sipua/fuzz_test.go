package sipua_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

const optionsFmt = "OPTIONS sip:1001@%[1]s SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP %[2]s;branch=z9hG4bK-%[3]d\r\n" +
	"From: <sip:fuzz@%[2]s>;tag=f%[3]d\r\nTo: <sip:1001@%[1]s>\r\n" +
	"Call-ID: fuzz-%[3]d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"

// FuzzSIPDatagram sends arbitrary datagrams to a running phone's SIP port.
// After each, the phone must still answer OPTIONS with 200 and its loop
// must still apply inputs: bad SIP never takes a phone down.
func FuzzSIPDatagram(f *testing.F) {
	p := startPhoneTB(f, "fuzz", "127.0.0.1", "1001", "127.0.0.1:9")
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	phoneAddr, _ := net.ResolveUDPAddr("udp", p.ua.Addr())
	local := conn.LocalAddr().String()

	for _, s := range []string{
		fmt.Sprintf(optionsFmt, p.ua.Addr(), local, 1),
		"INVITE sip:1001@127.0.0.1 SIP/2.0\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 1.2.3.4\r\n\r\n",
		"BYE sip:x SIP/2.0\r\nCall-ID: nope\r\nCSeq: 99999999999999999999 BYE\r\n\r\n",
		"\x00\x01\x02", "", "\r\n\r\n",
		"REGISTER sip:a SIP/2.0\r\nContent-Length: 100000\r\n\r\nshort",
		"INVITE sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 9\r\n\r\nv=0\r\nm=x\r\n",
	} {
		f.Add([]byte(s))
	}
	seq := 100
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := conn.WriteTo(data, phoneAddr); err != nil {
			t.Skip("datagram too large for UDP:", err)
		}
		seq++
		probe := fmt.Sprintf(optionsFmt, p.ua.Addr(), local, seq)
		if _, err := conn.WriteTo([]byte(probe), phoneAddr); err != nil {
			t.Fatal(err)
		}
		want := []byte(fmt.Sprintf("Call-ID: fuzz-%d", seq))
		buf := make([]byte, 65535)
		deadline := time.Now().Add(3 * time.Second)
		for {
			_ = conn.SetReadDeadline(deadline)
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				t.Fatalf("phone stopped answering OPTIONS after %q: %v", data, err)
			}
			if bytes.Contains(buf[:n], want) && bytes.HasPrefix(buf[:n], []byte("SIP/2.0 200")) {
				break
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := p.Do(ctx, emulator.SetDND{On: seq%2 == 0}); err != nil {
			t.Fatalf("phone loop stuck after %q: %v", data, err)
		}
	})
}
