package sipua_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// corpusDir is the RFC 4475 torture corpus (see its README).
const corpusDir = "../../testdata/rfc4475"

// probe sends one datagram from a fresh socket on 127.0.0.1 and returns the
// status lines of the responses that come back: until a final response,
// or until quiet (nothing for 500 ms after the last), at most 3 s.
func probe(t *testing.T, addr string, msg []byte) []string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dst, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	msg = viaTo(msg, c.LocalAddr().String())
	if _, err := c.WriteTo(msg, dst); err != nil {
		t.Fatalf("send %d bytes: %v", len(msg), err)
	}
	var got []string
	buf := make([]byte, 65535)
	end := time.Now().Add(3 * time.Second)
	for time.Now().Before(end) {
		quiet := time.Now().Add(500 * time.Millisecond)
		if quiet.After(end) {
			quiet = end
		}
		_ = c.SetReadDeadline(quiet)
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			break
		}
		line := status(string(buf[:n]))
		got = append(got, line)
		if code := statusCode(line); code >= 200 {
			break
		}
	}
	return got
}

// topVia finds the sent-by of the first Via header field (full or compact
// form, any case, folded or not).
var topVia = regexp.MustCompile(`(?im)^(?:via|v)[ \t]*:[ \t]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*[a-z]+[ \t\r\n]+([^;,\s]+)`)

// viaTo points the message's top Via sent-by at addr, and changes nothing
// else: a UAS answers a UDP request at the source address and the Via's
// port (RFC 3261 §18.2.2), and the corpus names hosts like 192.0.2.1:5060.
func viaTo(msg []byte, addr string) []byte {
	loc := topVia.FindSubmatchIndex(msg)
	if loc == nil {
		return msg
	}
	out := append([]byte{}, msg[:loc[2]]...)
	out = append(out, addr...)
	return append(out, msg[loc[3]:]...)
}

// statusCode is the code of a status line, 0 if it is not one.
func statusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "SIP/2.0" || len(f[1]) != 3 {
		return 0
	}
	n := 0
	for _, d := range f[1] {
		if d < '0' || d > '9' {
			return 0
		}
		n = n*10 + int(d-'0')
	}
	return n
}

func corpus(t *testing.T, kind string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, kind, "*.dat"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s corpus in %s: %v", kind, corpusDir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".dat")] = b
	}
	return out
}

// legalInInvalid are messages of the corpus's invalid/ that RFC 4475 calls
// legal for a UA to act on: badbranch (§3.3.? "a UA should process it
// normally") and zeromf (Max-Forwards 0 stops proxies, not the UAS).
var legalInInvalid = map[string]bool{"badbranch": true, "zeromf": true}

// refusedWith are the codes the issue names for messages that used to
// ring the phone.
var refusedWith = map[string]int{"baddate": 400, "escruri": 400, "invut": 415, "multi01": 400, "sdp01": 406}

// Every RFC 4475 message against a live phone: each valid request is
// answered, responses are not, and no invalid message rings the phone; it
// gets a 4xx or is dropped (issue 7, items 3 and 5).
func TestRFC4475CorpusAgainstPhone(t *testing.T) {
	bob := startLimitedPhone(t, 0, 0)
	for _, kind := range []string{"valid", "invalid"} {
		for name, msg := range corpus(t, kind) {
			t.Run(kind+"/"+name, func(t *testing.T) {
				before := bob.rec.count(emulator.EventIncomingCall)
				got := probe(t, bob.ua.Addr(), msg)
				rang := bob.rec.count(emulator.EventIncomingCall) - before
				t.Logf("%d bytes: %v, rang %d", len(msg), got, rang)
				if rang > 0 && len(bob.Snapshot().Calls) > 0 {
					n := bob.rec.count(emulator.EventTerminated)
					pressKey(t, bob, keypad.X)
					bob.rec.waitCount(t, emulator.EventTerminated, n+1)
				}
				isResponse := bytes.HasPrefix(msg, []byte("SIP/2.0 "))
				switch {
				case isResponse:
					if len(got) > 0 {
						t.Errorf("a response was answered: %v", got)
					}
				case kind == "valid":
					if len(got) == 0 {
						t.Errorf("valid request not answered")
					}
				default:
					if rang > 0 {
						t.Errorf("invalid request rang the phone")
					}
					for _, line := range got {
						if code := statusCode(line); code >= 200 && code < 400 && !legalInInvalid[name] {
							t.Errorf("invalid request accepted: %s", line)
						}
						if strings.HasSuffix(line, " Ringing") {
							t.Errorf("invalid request got %s", line)
						}
					}
					if want, ok := refusedWith[name]; ok && (len(got) == 0 || statusCode(got[len(got)-1]) != want) {
						t.Errorf("got %v, want %d", got, want)
					}
				}
			})
		}
	}
}
