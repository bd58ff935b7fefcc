package integration

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
)

// A voicemail server's unsolicited NOTIFY (RFC 3842 message-summary) gets
// 200 and lights the MSG LED; MSG calls the line's voicemail number.
func TestMessageWaitingAndMSGKey(t *testing.T) {
	cti := newCTIServer(t)
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "pw", Server: "127.0.0.1:9", Voicemail: "*97"})
	fl := startFleet(t, &config.File{Phones: []config.Phone{p}})
	desk := fl.Phones[0]

	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "Messages-Waiting: yes\r\nMessage-Account: sip:*97@127.0.0.1\r\nVoice-Message: 2/8 (0/2)\r\n"
	notify := fmt.Sprintf("NOTIFY sip:1001@%[1]s SIP/2.0\r\nVia: SIP/2.0/UDP %[2]s;branch=z9hG4bK-mwi-1\r\n"+
		"From: <sip:voicemail@127.0.0.1>;tag=vm1\r\nTo: <sip:1001@%[1]s>\r\nCall-ID: mwi-1@127.0.0.1\r\n"+
		"CSeq: 1 NOTIFY\r\nMax-Forwards: 70\r\nEvent: message-summary\r\nSubscription-State: active\r\n"+
		"Content-Type: application/simple-message-summary\r\nContent-Length: %[3]d\r\n\r\n%[4]s",
		desk.UA.Addr(), conn.LocalAddr(), len(body), body)
	to, _ := net.ResolveUDPAddr("udp", desk.UA.Addr())
	if _, err := conn.WriteTo([]byte(notify), to); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := conn.ReadFrom(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		t.Fatalf("NOTIFY answered %q, %v; want 200", buf[:n], err)
	}
	waitForPhone(t, desk, "the MSG LED", 5*time.Second, func() bool {
		return desk.Phone.Snapshot().LCD.LEDs["MSG"] == emulator.LEDBlink
	})
	s := desk.Phone.Snapshot()
	if len(s.Voicemail) != 1 || s.Voicemail[0].New != 2 || s.Voicemail[0].Old != 8 {
		t.Errorf("voicemail status %+v", s.Voicemail)
	}
	if !strings.Contains(strings.Join(s.LCD.Lines, "|"), "2 new voicemails") {
		t.Errorf("LCD %q", s.LCD.Lines)
	}

	mustActiveURI(t, desk, "key=MSG")
	out := cti.wait(t, "outgoing_call", 5*time.Second)
	if got := out.Query.Get("local"); !strings.HasPrefix(got, "sip:*97@") {
		t.Errorf("MSG called %q, want the voicemail number *97", got)
	}
}
