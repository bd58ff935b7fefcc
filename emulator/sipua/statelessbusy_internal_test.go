package sipua

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/lockedbuf"
)

const busySrc = "127.0.0.1:40001"

// busyInvite is an initial INVITE from busySrc; extra is inserted before
// Content-Length.
func busyInvite(cseq, extra string) []byte {
	return []byte("INVITE sip:1001@127.0.0.1:5062 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:40001;branch=z9hG4bK-1;rport\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-0\r\n" +
		"From: \"Flood\" <sip:flood@127.0.0.1:40001>;tag=ft1\r\n" +
		"To: <sip:1001@127.0.0.1:5062>\r\n" +
		"Call-ID: flood-1@127.0.0.1\r\n" +
		"CSeq: " + cseq + " INVITE\r\n" +
		"Contact: <sip:flood@127.0.0.1:40001>\r\n" +
		"Max-Forwards: 70\r\n" + extra +
		"Content-Length: 0\r\n\r\n")
}

// busyAck is the ACK of a non-2xx response to busyInvite (RFC 3261
// §17.1.1.3) with the response's To header line.
func busyAck(cseq, to string) []byte {
	return []byte("ACK sip:1001@127.0.0.1:5062 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:40001;branch=z9hG4bK-1;rport\r\n" +
		"From: \"Flood\" <sip:flood@127.0.0.1:40001>;tag=ft1\r\n" +
		to + "Call-ID: flood-1@127.0.0.1\r\n" +
		"CSeq: " + cseq + " ACK\r\n" +
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
}

// cancelOfBusyInvite is the CANCEL of busyInvite (RFC 3261 §9.1): its
// Request-URI, top Via, From, To, Call-ID and CSeq number.
func cancelOfBusyInvite(cseq string) []byte {
	return []byte("CANCEL sip:1001@127.0.0.1:5062 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:40001;branch=z9hG4bK-1;rport\r\n" +
		"From: \"Flood\" <sip:flood@127.0.0.1:40001>;tag=ft1\r\n" +
		"To: <sip:1001@127.0.0.1:5062>\r\n" +
		"Call-ID: flood-1@127.0.0.1\r\n" +
		"CSeq: " + cseq + " CANCEL\r\n" +
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
}

func parseResponse(t testing.TB, b []byte) *sip.Response {
	t.Helper()
	msg, err := sip.NewParser().ParseSIP(b)
	if err != nil {
		t.Fatalf("stateless response does not parse: %v\n%s", err, b)
	}
	res, ok := msg.(*sip.Response)
	if !ok {
		t.Fatalf("stateless answer is not a response:\n%s", b)
	}
	return res
}

func toLine(res *sip.Response) string { return "To: " + res.To().Value() + "\r\n" }

// The 486 of a stateless UAS is built as RFC 3261 §8.2.6 says, the same
// for every retransmission (§8.2.7), and the ACK for it is ignored while
// any other ACK goes on to sipgo.
func TestStatelessBusyHere(t *testing.T) {
	key := newTagKey()
	v, b, _ := judgeDatagram(busyInvite("1", ""), busySrc, 486, key, nil)
	if v != busyRefuse {
		t.Fatalf("initial INVITE at the limit: verdict %d, want refused", v)
	}
	res := parseResponse(t, b)
	if res.StatusCode != 486 || res.Reason != "Busy Here" {
		t.Errorf("status %d %s, want 486 Busy Here", res.StatusCode, res.Reason)
	}
	vias := res.GetHeaders("Via")
	if len(vias) != 2 {
		t.Fatalf("%d Via headers, want both of the request's:\n%s", len(vias), b)
	}
	// RFC 3581 §4: rport asked, so rport and received are filled in.
	if top := vias[0].Value(); !strings.Contains(top, "rport=40001") || !strings.Contains(top, "received=127.0.0.1") ||
		!strings.Contains(top, "branch=z9hG4bK-1") {
		t.Errorf("top Via %q: want the request's branch, rport=40001, received=127.0.0.1", top)
	}
	if got := res.From().Value(); got != `"Flood" <sip:flood@127.0.0.1:40001>;tag=ft1` {
		t.Errorf("From %q: want the request's", got)
	}
	tag, _ := res.To().Params.Get("tag")
	if !strings.HasPrefix(tag, statelessTagPrefix) || res.To().Address.User != "1001" {
		t.Errorf("To %q: want the request's with a %s... tag", res.To().Value(), statelessTagPrefix)
	}
	if res.CallID().Value() != "flood-1@127.0.0.1" || res.CSeq().Value() != "1 INVITE" {
		t.Errorf("Call-ID %q, CSeq %q: want the request's", res.CallID().Value(), res.CSeq().Value())
	}
	if cl := res.ContentLength(); cl == nil || *cl != 0 || len(res.Body()) != 0 {
		t.Errorf("want Content-Length: 0 and no body:\n%s", b)
	}

	// A retransmission gets the same response, tag included.
	if v, again, _ := judgeDatagram(busyInvite("1", ""), busySrc, 486, key, nil); v != busyRefuse || !bytes.Equal(again, b) {
		t.Errorf("retransmission: verdict %d, response\n%s\nwant the first one\n%s", v, again, b)
	}
	// Another request (CSeq 2) gets another tag; another UA's key too.
	_, b2, _ := judgeDatagram(busyInvite("2", ""), busySrc, 486, key, nil)
	_, b3, _ := judgeDatagram(busyInvite("1", ""), busySrc, 486, newTagKey(), nil)
	for _, other := range [][]byte{b2, b3} {
		if t2, _ := parseResponse(t, other).To().Params.Get("tag"); t2 == tag {
			t.Errorf("another request or UA got the same To tag %q", tag)
		}
	}

	// RFC 3261 §8.2.7: "A stateless UAS MUST ignore ACK requests".
	if v, _, _ := judgeDatagram(busyAck("1", toLine(res)), busySrc, 0, key, nil); v != busyIgnore {
		t.Errorf("ACK of the stateless 486 (phone no longer full): verdict %d, want ignored", v)
	}
	forged := strings.Replace(toLine(res), tag, statelessTagPrefix+"0000000000000000", 1)
	for name, ack := range map[string][]byte{
		"ACK with another CSeq":         busyAck("2", toLine(res)),
		"ACK with a forged tag":         busyAck("1", forged),
		"ACK of a dialog of the phone":  busyAck("1", "To: <sip:1001@127.0.0.1:5062>;tag=abc\r\n"),
		"ACK with the tag and no Via":   bytes.Replace(busyAck("1", toLine(res)), []byte("Via:"), []byte("X-Via:"), 1),
		"ACK cut short after its To":    busyAck("1", toLine(res))[:200],
		"INVITE with that tag (re-INV)": busyInvite("3", toLine(res)),
	} {
		if v, _, _ := judgeDatagram(ack, busySrc, 486, key, nil); v != busyPass {
			t.Errorf("%s: verdict %d, want passed to sipgo", name, v)
		}
	}
}

// What the stateful path answers otherwise, and everything but an initial
// INVITE at the limit, goes on to sipgo.
func TestStatelessBusyPassesTheRest(t *testing.T) {
	key := newTagKey()
	never := func(*sip.Request) bool { return false }
	for name, c := range map[string]struct {
		data      []byte
		code      int
		mayRefuse func(*sip.Request) bool
	}{
		"phone not full":                 {busyInvite("1", ""), 0, nil},
		"re-INVITE (To tag)":             {bytes.Replace(busyInvite("1", ""), []byte("5062>\r\n"), []byte("5062>;tag=t9\r\n"), 1), 486, nil},
		"INVITE with Replaces":           {busyInvite("1", "Replaces: abc;to-tag=1;from-tag=2\r\n"), 486, nil},
		"repeated From (400)":            {busyInvite("1", "From: <sip:x@y>;tag=2\r\n"), 486, nil},
		"Require of an unknown (420)":    {busyInvite("1", "Require: 100rel-nope\r\n"), 486, nil},
		"body not SDP (415)":             {bytes.Replace(busyInvite("1", "Content-Type: text/plain\r\n"), []byte("Length: 0\r\n\r\n"), []byte("Length: 2\r\n\r\nhi"), 1), 486, nil},
		"no Call-ID (400)":               {bytes.Replace(busyInvite("1", ""), []byte("Call-ID:"), []byte("X-Call-ID:"), 1), 486, nil},
		"not from the registrar (403)":   {busyInvite("1", ""), 486, never},
		"lower-case method":              {bytes.Replace(busyInvite("1", ""), []byte("INVITE sip"), []byte("invite sip"), 1), 486, nil},
		"CSeq method mismatch (400)":     {bytes.Replace(busyInvite("1", ""), []byte("1 INVITE"), []byte("1 OPTIONS"), 1), 486, nil},
		"OPTIONS":                        {[]byte("OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\n\r\n"), 486, nil},
		"INVITE cut short":               {busyInvite("1", "")[:120], 486, nil},
		"garbage after INVITE":           {[]byte("INVITE \x00\xff\r\n\r\n"), 486, nil},
		"a response":                     {[]byte("SIP/2.0 486 Busy Here\r\n\r\n"), 486, nil},
		"Content-Length beyond the body": {bytes.Replace(busyInvite("1", ""), []byte("Length: 0"), []byte("Length: 99"), 1), 486, nil},
	} {
		if v, res, _ := judgeDatagram(c.data, busySrc, c.code, key, c.mayRefuse); v != busyPass || res != nil {
			t.Errorf("%s: verdict %d, want passed to sipgo", name, v)
		}
	}
}

// Under DND the refusal carries the phone's reject_code with the stateful
// path's reason phrase, and the same To tag as a 486 would: the tag is the
// request's, not the code's.
func TestStatelessRefusalCodes(t *testing.T) {
	key := newTagKey()
	_, b486, _ := judgeDatagram(busyInvite("1", ""), busySrc, 486, key, nil)
	tag, _ := parseResponse(t, b486).To().Params.Get("tag")
	for code, reason := range map[int]string{480: "Temporarily Unavailable", 603: "Decline"} {
		v, b, _ := judgeDatagram(busyInvite("1", ""), busySrc, code, key, nil)
		res := parseResponse(t, b)
		if v != busyRefuse || res.StatusCode != code || res.Reason != reason {
			t.Errorf("refusing with %d: verdict %d, %d %s; want %d %s", code, v, res.StatusCode, res.Reason, code, reason)
		}
		if got, _ := res.To().Params.Get("tag"); got != tag {
			t.Errorf("refusing with %d: To tag %q, want the request's %q", code, got, tag)
		}
		if v, _, _ := judgeDatagram(busyAck("1", toLine(res)), busySrc, 0, key, nil); v != busyIgnore {
			t.Errorf("the ACK of the stateless %d: verdict %d, want ignored", code, v)
		}
	}
}

// A CANCEL crossing a stateless refusal gets 481 with the refusal's To tag
// (RFC 3261 §9.2), the same for its retransmission; a CANCEL the refusal
// of its INVITE would not have been stateless for goes on to sipgo.
func TestStatelessCancel(t *testing.T) {
	key := newTagKey()
	_, refusal, _ := judgeDatagram(busyInvite("1", ""), busySrc, 603, key, nil)
	tag, _ := parseResponse(t, refusal).To().Params.Get("tag")
	v, b, _ := judgeDatagram(cancelOfBusyInvite("1"), busySrc, 603, key, nil)
	if v != busyCancel {
		t.Fatalf("CANCEL while refusing: verdict %d, want answered", v)
	}
	res := parseResponse(t, b)
	if got, _ := res.To().Params.Get("tag"); res.StatusCode != 481 || res.Reason != "Call/Transaction Does Not Exist" ||
		got != tag || res.CSeq().Value() != "1 CANCEL" || res.CallID().Value() != "flood-1@127.0.0.1" {
		t.Errorf("CANCEL: %d %s, To tag %q, CSeq %q; want 481 with the refusal's tag %q and the CANCEL's CSeq",
			res.StatusCode, res.Reason, got, res.CSeq().Value(), tag)
	}
	if _, again, _ := judgeDatagram(cancelOfBusyInvite("1"), busySrc, 603, key, nil); !bytes.Equal(again, b) {
		t.Errorf("retransmitted CANCEL got another response:\n%s\nwant\n%s", again, b)
	}
	never := func(*sip.Request) bool { return false }
	for name, c := range map[string]struct {
		data      []byte
		code      int
		mayRefuse func(*sip.Request) bool
	}{
		"phone taking calls":                 {cancelOfBusyInvite("1"), 0, nil},
		"CANCEL with a To tag":               {bytes.Replace(cancelOfBusyInvite("1"), []byte("5062>\r\n"), []byte("5062>;tag=t9\r\n"), 1), 603, nil},
		"CANCEL of a call the phone handles": {cancelOfBusyInvite("1"), 603, never},
		"CANCEL with no Call-ID":             {bytes.Replace(cancelOfBusyInvite("1"), []byte("Call-ID:"), []byte("X-Call-ID:"), 1), 603, nil},
		"CANCEL with a repeated From":        {bytes.Replace(cancelOfBusyInvite("1"), []byte("Max-Forwards"), []byte("From: <sip:x@y>;tag=2\r\nMax-Forwards"), 1), 603, nil},
	} {
		if v, res, _ := judgeDatagram(c.data, busySrc, c.code, key, c.mayRefuse); v != busyPass || res != nil {
			t.Errorf("%s: verdict %d, want passed to sipgo", name, v)
		}
	}
}

// The loop's word reaches the read filter as it was said: the code, and
// whether DND is why; the zero value takes calls.
func TestRefuseNewCallsSignal(t *testing.T) {
	u := &UA{}
	for _, r := range []emulator.NewCallRefusal{{Code: 486}, {Code: 603, DND: true}, {Code: 486, DND: true}, {}} {
		u.RefuseNewCalls(r)
		v := u.busy.refusal.Load()
		if got := (emulator.NewCallRefusal{Code: int(v & 0xffff), DND: v&dndBit != 0}); got != r {
			t.Errorf("told %+v, the read filter sees %+v", r, got)
		}
	}
	if u.busy.refusal.Load() != 0 {
		t.Error("told to take calls, the read filter still refuses")
	}
}

// postings records what the SIP side posts to the phone.
type postings struct {
	mu  sync.Mutex
	ins []emulator.Input
}

func (p *postings) Post(in emulator.Input) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ins = append(p.ins, in)
}

func (p *postings) refused() []emulator.SIPRefusedInDND {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []emulator.SIPRefusedInDND
	for _, in := range p.ins {
		if r, ok := in.(emulator.SIPRefusedInDND); ok {
			out = append(out, r)
		}
	}
	return out
}

// Refusals under DND are aggregated: within a second of the first, one log
// line says how many were refused and who called last, and one input tells
// the phone how many and who the last 100 were, oldest first (for its
// missed count and call history); no call goes uncounted, and a
// retransmitted INVITE is not counted again.
func TestDNDRefusalsAggregated(t *testing.T) {
	var buf lockedbuf.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	to := &postings{}
	var d dndLog
	const n = dndRecent + 5
	for i := range n {
		d.note(log, to, emulator.RefusedCall{CallID: "c" + strconv.Itoa(i), RemoteURI: "sip:caller" + strconv.Itoa(i) + "@127.0.0.1"}, 603)
	}
	waitFor := func(lines int) {
		for deadline := time.Now().Add(3 * dndLogEvery); strings.Count(buf.String(), "calls=") < lines && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(1)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if want := `msg="incoming call rejected: DND" calls=105 from=sip:caller104@127.0.0.1 code=603`; len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Fatalf("log after %d refusals: %q, want one line with %s", n, buf.String(), want)
	}
	got := to.refused()
	if len(got) != 1 || got[0].Calls != n || len(got[0].Recent) != dndRecent ||
		got[0].Recent[0].CallID != "c5" || got[0].Recent[dndRecent-1].CallID != "c104" {
		t.Fatalf("posted %+v, want one SIPRefusedInDND of %d calls with c5..c104", got, n)
	}

	// The late call, and its INVITE retransmitted: one call.
	for range 2 {
		d.note(log, to, emulator.RefusedCall{CallID: "late", RemoteURI: "sip:late@127.0.0.1"}, 480)
	}
	waitFor(2)
	if !strings.Contains(buf.String(), "calls=1 from=sip:late@127.0.0.1 code=480") {
		t.Errorf("a refusal after the line was not logged: %q", buf.String())
	}
	if got := to.refused(); len(got) != 2 || got[1].Calls != 1 || len(got[1].Recent) != 1 || got[1].Recent[0].CallID != "late" {
		t.Errorf("posted %+v, want a second SIPRefusedInDND of the late call", got)
	}
}

// FuzzStatelessBusy feeds judgeDatagram arbitrary datagrams (seeded with
// the INVITEs, CANCELs and ACKs above and RFC 4475's torture messages),
// refusing with 486, 480 or 603: it never panics, a refusal is a response
// with the code (481 for a CANCEL) that sipgo parses, with the request's
// Call-ID and the same bytes for the same request, and an ACK built from
// an INVITE's refusal is ignored.
func FuzzStatelessBusy(f *testing.F) {
	f.Add(busyInvite("1", ""))
	f.Add(busyInvite("7", "Subject: x\r\n"))
	f.Add(busyAck("1", "To: <sip:1001@127.0.0.1:5062>;tag=slr-0011223344556677\r\n"))
	f.Add([]byte("INVITE sip:1001@127.0.0.1 SIP/2.0\r\n\r\n"))
	f.Add([]byte("ACK sip:x SIP/2.0\r\nTo: <sip:a@b>;tag=slr-\r\n\r\n"))
	f.Add(cancelOfBusyInvite("1"))
	f.Add([]byte("CANCEL sip:1001@127.0.0.1 SIP/2.0\r\n\r\n"))
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "rfc4475", dir, "*.dat"))
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	key := newTagKey()
	f.Fuzz(func(t *testing.T, data []byte) {
		code := []int{486, 480, 603}[len(data)%3]
		v, b, _ := judgeDatagram(data, busySrc, code, key, nil)
		if v != busyRefuse && v != busyCancel {
			if b != nil {
				t.Fatalf("verdict %d with a response", v)
			}
			return
		}
		res := parseResponse(t, b)
		req := parseRequest(data)
		if req == nil || res.CallID().Value() != req.CallID().Value() ||
			(v == busyRefuse && (!req.IsInvite() || res.StatusCode != code)) ||
			(v == busyCancel && (!req.IsCancel() || res.StatusCode != 481)) {
			t.Fatalf("verdict %d, response %q for %q", v, b, data)
		}
		if _, again, _ := judgeDatagram(data, busySrc, code, key, nil); !bytes.Equal(again, b) {
			t.Fatalf("the same request got another response:\n%s\n%s", b, again)
		}
		if v == busyCancel {
			return // no ACK for a CANCEL's response (RFC 3261 §17.1.2)
		}
		ack := "ACK " + req.Recipient.String() + " SIP/2.0\r\n" +
			"Via: " + req.Via().Value() + "\r\nFrom: " + req.From().Value() + "\r\n" + toLine(res) +
			"Call-ID: " + req.CallID().Value() + "\r\nCSeq: " + res.CSeq().Value()[:strings.IndexByte(res.CSeq().Value(), ' ')] + " ACK\r\n" +
			"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
		// The ACK is written from what sipgo parsed; where sipgo does not
		// write back what it read, a UAC's ACK (copied from its INVITE)
		// differs: only an ACK with the INVITE's identity counts.
		a := parseRequest([]byte(ack))
		if a == nil || missingHeader(a) != "" || a.CallID().Value() != req.CallID().Value() ||
			a.CSeq().SeqNo != req.CSeq().SeqNo || a.From().Params.GetOr("tag", "") != req.From().Params.GetOr("tag", "") {
			return
		}
		if v, _, _ := judgeDatagram([]byte(ack), busySrc, 0, key, nil); v != busyIgnore {
			t.Fatalf("the ACK of a stateless %d was not ignored:\n%s", code, ack)
		}
	})
}

// BenchmarkStatelessBusy is what the read filter spends on one INVITE
// beyond the limit (parse, guard, 486 built and checked) and on one
// datagram while the phone is not full.
func BenchmarkStatelessBusy(b *testing.B) {
	key := newTagKey()
	inv := busyInvite("1", "Content-Type: application/sdp\r\n")
	b.Run("refuse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, _, _ := judgeDatagram(inv, busySrc, 486, key, nil); v != busyRefuse {
				b.Fatal("not refused")
			}
		}
	})
	b.Run("not-full", func(b *testing.B) {
		b.ReportAllocs()
		u, src := &UA{}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40001}
		for b.Loop() {
			if u.refuseStatelessly(nil, src, inv) {
				b.Fatal("refused")
			}
		}
	})
}
