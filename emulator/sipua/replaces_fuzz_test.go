package sipua

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// Parsers of what other phones send: the Replaces header, the Refer-To of
// a REFER, and the SDP of a re-INVITE. Bad input gives an error, never a
// panic, and what parses round-trips.

func FuzzParseReplaces(f *testing.F) {
	for _, s := range []string{
		"98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff",
		"abc+def@host;to-tag=1;from-tag=2;early-only",
		"x;to-tag=;from-tag=2", "x;to-tag=1;to-tag=1;from-tag=2", ";to-tag=1;from-tag=2",
		"x; TO-TAG = 1 ; From-Tag=2 ; foo=bar", "", ";", "x;=;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r, err := parseReplaces(v)
		if err != nil {
			return
		}
		if r.callID == "" || r.toTag == "" || r.fromTag == "" {
			t.Fatalf("parseReplaces(%q) = %+v with an empty part", v, r)
		}
		if strings.ContainsAny(r.toTag+r.fromTag, ";") {
			return // a tag with ';' cannot be written back; tokens never have one
		}
		back, err := parseReplaces(formatReplaces(r))
		if err != nil || back != r {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v, %v", v, r, formatReplaces(r), back, err)
		}
		unescaped, err := unescapeURIHeader(escapeURIHeader(formatReplaces(r)))
		if err != nil || unescaped != formatReplaces(r) {
			t.Fatalf("URI-header escaping of %q: got %q, %v", formatReplaces(r), unescaped, err)
		}
	})
}

func TestReplacesEscapedForReferTo(t *testing.T) {
	// RFC 3891 §7 / RFC 5589 §7.1 example form.
	got := escapeURIHeader(formatReplaces(replacesID{callID: "12345@192.168.118.3", toTag: "12345", fromTag: "5FFE-3994"}))
	want := "12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994"
	if got != want {
		t.Fatalf("escaped Replaces = %q, want %q", got, want)
	}
}

func FuzzReferTo(f *testing.F) {
	for _, s := range []string{
		"<sip:1003@127.0.0.1:5070>",
		"<sip:1003@127.0.0.1:5070;transport=udp?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>",
		"sip:bob@example.com", "<tel:+15551234>", "<sip:@>", "<sip:a@b?Replaces=%zz>",
		"<sip:a@b?Replaces=x%3Bto-tag%3D1>", "\"Bob\" <sips:bob@example.com>;p=1", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, referTo string) {
		req := sip.NewRequest(sip.REFER, sip.Uri{Scheme: "sip", User: "a", Host: "127.0.0.1"})
		req.AppendHeader(sip.NewHeader("Refer-To", referTo))
		uri, replaces, err := referredTarget(req)
		if err != nil {
			return
		}
		if uri.Host == "" || uri.Headers.Length() != 0 {
			t.Fatalf("referredTarget(%q) = %+v: no host, or URI headers left in the Request-URI", referTo, uri)
		}
		if replaces != "" {
			if _, err := parseReplaces(replaces); err != nil {
				t.Fatalf("referredTarget(%q) let a bad Replaces %q through", referTo, replaces)
			}
		}
	})
}

func TestReferToReplacesMovesToHeader(t *testing.T) {
	req := sip.NewRequest(sip.REFER, sip.Uri{Scheme: "sip", User: "a", Host: "127.0.0.1"})
	req.AppendHeader(sip.NewHeader("Refer-To", "<sip:1003@127.0.0.1:5070?Replaces=a%2Bb%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>"))
	uri, replaces, err := referredTarget(req)
	if err != nil {
		t.Fatal(err)
	}
	if uri.String() != "sip:1003@127.0.0.1:5070" || replaces != "a+b@h;to-tag=1;from-tag=2" {
		t.Fatalf("got %s and Replaces %q", uri.String(), replaces)
	}
	two := sip.NewRequest(sip.REFER, sip.Uri{Scheme: "sip", User: "a", Host: "127.0.0.1"})
	two.AppendHeader(sip.NewHeader("Refer-To", "<sip:1@h>"))
	two.AppendHeader(sip.NewHeader("Refer-To", "<sip:2@h>"))
	if _, _, err := referredTarget(two); err == nil {
		t.Fatal("two Refer-To headers accepted; RFC 3515 §2.4.2 wants 400")
	}
}

func FuzzSDPHolds(f *testing.F) {
	base := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	for _, s := range []string{
		strings.Replace(base, "%s", "127.0.0.1", 1) + "a=sendonly\r\n",
		strings.Replace(base, "%s", "127.0.0.1", 1) + "a=inactive\r\n",
		strings.Replace(base, "%s", "127.0.0.1", 1) + "a=sendrecv\r\n",
		strings.Replace(base, "%s", "0.0.0.0", 1),
		"v=0\r\n", "garbage", "", "c=IN IP4\r\nm=audio\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		held, ok := sdpHolds(body)
		if !ok && held {
			t.Fatalf("sdpHolds(%q) = held but not ok", body)
		}
	})
}

func TestSDPHolds(t *testing.T) {
	base := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 ADDR\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	for _, tc := range []struct {
		sdp      string
		held, ok bool
	}{
		{strings.Replace(base, "ADDR", "127.0.0.1", 1) + "a=sendonly\r\n", true, true},
		{strings.Replace(base, "ADDR", "127.0.0.1", 1) + "a=inactive\r\n", true, true},
		{strings.Replace(base, "ADDR", "127.0.0.1", 1) + "a=recvonly\r\n", false, true},
		{strings.Replace(base, "ADDR", "127.0.0.1", 1), false, true},
		{strings.Replace(base, "ADDR", "0.0.0.0", 1), true, true}, // RFC 2543 hold
		{"", false, false},
		{"v=0\r\ns=-\r\n", false, false}, // no audio
	} {
		if held, ok := sdpHolds([]byte(tc.sdp)); held != tc.held || ok != tc.ok {
			t.Errorf("sdpHolds(%q) = %v, %v; want %v, %v", tc.sdp, held, ok, tc.held, tc.ok)
		}
	}
}
