package registrar

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Fuzz targets for everything that parses outside input here, and one that
// throws random datagrams at a running registrar.

func FuzzParseDeltaSeconds(f *testing.F) {
	for _, s := range []string{"0", "3600", " 60 ", "4294967295", "4294967296", "99999999999999999999", "-1", "1e3", "", "0x10", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseDeltaSeconds(s)
		trimmed := strings.TrimSpace(s)
		allDigits := trimmed != "" && len(trimmed) <= 64 && strings.Trim(trimmed, "0123456789") == ""
		if ok != allDigits {
			t.Fatalf("parseDeltaSeconds(%q) ok=%v, want %v", s, ok, allDigits)
		}
		if !ok {
			return
		}
		want := uint64(maxDeltaSeconds)
		if n, err := strconv.ParseUint(trimmed, 10, 64); err == nil && n < want {
			want = n
		}
		if uint64(v) != want {
			t.Fatalf("parseDeltaSeconds(%q) = %d, want %d", s, v, want)
		}
	})
}

func FuzzParseCredentials(f *testing.F) {
	f.Add(`Digest username="1001", realm="phonesim", nonce="abc", uri="sip:127.0.0.1", response="0123", qop=auth, nc=00000001, cnonce="x"`)
	f.Add(`Digest username=1001,realm=phonesim,nonce=abc,uri="sip:x",response=00`)
	f.Add(`Basic dXNlcjpwYXNz`)
	f.Add(`Digest username="a\"b", nonce="`)
	f.Add(`Digest nc=zz`)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := parseCredentials(s)
		if !ok {
			return
		}
		if c.Username == "" || c.Nonce == "" || c.URI == "" || c.Response == "" {
			t.Fatalf("accepted credentials missing a mandatory field: %+v", c)
		}
		// What we accept survives a round trip through the header format.
		again, ok := parseCredentials(c.Credentials.String())
		if !ok || again.Username != c.Username || again.Nonce != c.Nonce || again.Response != c.Response {
			// Quoting cannot carry every byte (e.g. a lone backslash);
			// only plain values must round-trip.
			if !strings.ContainsAny(s, "\\\"\x00") {
				t.Fatalf("round trip of %q: %+v -> %+v", s, c, again)
			}
		}
	})
}

func FuzzEventHeader(f *testing.F) {
	for _, s := range []string{"dialog", "dialog;id=abc", ` dialog ; ID="q" `, "presence", ";id=1", "", "dialog;id", "message-summary;x=y;id=2"} {
		f.Add(s, "application/dialog-info+xml")
	}
	f.Add("dialog", "application/sdp, */*;q=0.1")
	f.Add("dialog", ",;,")
	f.Fuzz(func(t *testing.T, event, accept string) {
		req := sip.NewRequest(sip.SUBSCRIBE, sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.0.1"})
		req.AppendHeader(sip.NewHeader("Event", event))
		req.AppendHeader(sip.NewHeader("Accept", accept))
		pkg, id, ok := eventOf(req)
		if ok != (pkg != "") {
			t.Fatalf("eventOf(%q) = %q, %q, %v", event, pkg, id, ok)
		}
		if strings.Contains(pkg, ";") || pkg != strings.TrimSpace(pkg) {
			t.Fatalf("eventOf(%q): package %q not cut at the parameters", event, pkg)
		}
		if ok && !strings.HasPrefix(strings.TrimSpace(event), pkg) {
			t.Fatalf("eventOf(%q): package %q is not the event type", event, pkg)
		}
		got := acceptsDialogInfo(req)
		want := strings.Contains(strings.ToLower(accept), "application/dialog-info+xml") ||
			strings.Contains(accept, "*/*") || strings.Contains(strings.ToLower(accept), "application/*")
		if got && !want {
			t.Fatalf("acceptsDialogInfo(%q) = true", accept)
		}
	})
}

func FuzzParseNonce(f *testing.F) {
	// A fixed secret and clock: the fuzzing workers must agree on "good".
	clock := newFakeClock()
	a := &authenticator{realm: "phonesim", lifetime: time.Minute, now: clock.Now, secret: [32]byte{1, 2, 3}}
	good := a.newNonce()
	f.Add(good)
	f.Add(strings.Repeat("0", nonceHexLen))
	f.Add("zz")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		ts, ok := a.parseNonce(s)
		if ok && s != good {
			// Only nonces we made verify; a forged one is a bug.
			t.Fatalf("forged nonce %q accepted (time %v)", s, ts)
		}
	})
}

// FuzzDatagram sends each input as one UDP datagram to a running registrar
// and checks that it still answers OPTIONS.
func FuzzDatagram(f *testing.F) {
	for _, s := range []string{
		"OPTIONS sip:$REG SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:$REG>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		"REGISTER sip:$REG SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-2\r\nFrom: <sip:1001@b>;tag=1\r\nTo: <sip:1001@b>\r\nCall-ID: 2\r\nCSeq: 1 REGISTER\r\nContact: *\r\nExpires: 0\r\nAuthorization: Digest username=\"1001\"\r\nContent-Length: 0\r\n\r\n",
		"INVITE sip:1002@$REG SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-3\r\nMax-Forwards: 0\r\nRoute: <sip:$REG;lr>, <sip:x>\r\nFrom: <sip:1001@b>;tag=1\r\nTo: <sip:1002@b>\r\nCall-ID: 3\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
		"ACK sip:1002@$REG SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-4\r\nFrom: <sip:1001@b>;tag=1\r\nTo: <sip:1002@b>;tag=2\r\nCall-ID: 4\r\nCSeq: 1 ACK\r\n\r\n",
		"SUBSCRIBE sip:1002@$REG SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-6\r\nFrom: <sip:1001@b>;tag=1\r\nTo: <sip:1002@b>\r\nCall-ID: 6\r\nCSeq: 1 SUBSCRIBE\r\nEvent: dialog;id=\"x\"\r\nAccept: application/dialog-info+xml\r\nContact: <sip:1001@127.0.0.1:9>\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n",
		"SUBSCRIBE sip:1002@$REG SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-7\r\nFrom: <sip:1001@b>;tag=1\r\nTo: <sip:1002@b>;tag=2\r\nCall-ID: 7\r\nCSeq: 2 SUBSCRIBE\r\no: dialog\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP $REG;branch=z9hG4bK-5\r\nCSeq: 1 INVITE\r\n\r\n",
		"\r\n\r\n",
		"\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	r := startRegistrar(f, Config{})
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	raddr, err := net.ResolveUDPAddr("udp", r.Addr())
	if err != nil {
		f.Fatal(err)
	}
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		data = []byte(strings.ReplaceAll(string(data), "$REG", r.Addr()))
		if _, err := conn.WriteToUDP(data, raddr); err != nil {
			return // e.g. larger than a datagram may be
		}
		n++
		branch := "z9hG4bK-alive" + strconv.Itoa(n)
		ping := "OPTIONS sip:" + r.Addr() + " SIP/2.0\r\nVia: SIP/2.0/UDP " + conn.LocalAddr().String() + ";branch=" + branch +
			"\r\nFrom: <sip:fuzz@127.0.0.1>;tag=f\r\nTo: <sip:" + r.Addr() + ">\r\nCall-ID: " + branch + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
		if _, err := conn.WriteToUDP([]byte(ping), raddr); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 65535)
		deadline := time.Now().Add(2 * time.Second)
		for {
			conn.SetReadDeadline(deadline)
			k, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				t.Fatalf("registrar stopped answering after %q", data)
			}
			m, err := sip.NewParser().ParseSIP(buf[:k])
			if err != nil {
				continue
			}
			if res, ok := m.(*sip.Response); ok && res.CallID() != nil && res.CallID().Value() == branch {
				if res.StatusCode != sip.StatusOK {
					t.Fatalf("OPTIONS after %q: %s", data, res.StartLine())
				}
				return
			}
		}
	})
}

// Our own credentials parse and verify; the registrar computes exactly
// what icholy/digest (sipgo's client side) computes.
func TestDigestVerification(t *testing.T) {
	clock := newFakeClock()
	a := &authenticator{realm: "phonesim", users: map[string]string{"1001": "pw"}, lifetime: time.Minute, now: clock.Now}
	chal, err := digest.ParseChallenge(a.challenge(false))
	if err != nil {
		t.Fatal(err)
	}
	for _, qop := range [][]string{{"auth"}, nil} {
		chal.QOP = qop
		for _, tt := range []struct {
			user, pw string
			want     authOutcome
		}{
			{"1001", "pw", authOK},
			{"1001", "PW", authWrongPassword},
			{"1002", "pw", authUnknownUser},
		} {
			cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:127.0.0.1:5060", Username: tt.user, Password: tt.pw})
			if err != nil {
				t.Fatal(err)
			}
			req := sip.NewRequest(sip.REGISTER, sip.Uri{Host: "127.0.0.1", Port: 5060})
			req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
			if _, got := a.check(req, "Authorization"); got != tt.want {
				t.Errorf("qop %v user %s: %v, want %v", qop, tt.user, got, tt.want)
			}
		}
	}
	// The same good answer after the nonce aged: stale.
	cred, _ := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:x", Username: "1001", Password: "pw"})
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Host: "x"})
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	clock.Advance(2 * time.Minute)
	if _, got := a.check(req, "Authorization"); got != authStale {
		t.Errorf("old nonce: %v, want stale", got)
	}
	// Another realm's credentials are not ours: challenge again.
	cred.Realm = "elsewhere"
	req = sip.NewRequest(sip.REGISTER, sip.Uri{Host: "x"})
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	if _, got := a.check(req, "Authorization"); got != authInvalid {
		t.Errorf("foreign realm: %v, want invalid", got)
	}
}
