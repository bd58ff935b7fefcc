package sipua

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
)

// A phone that refuses every new call anyway, at its call-appearance limit
// (486 Busy Here) or in DND (its reject_code: 486, 480 or 603), answers
// each further INVITE as a stateless UAS, below sipgo's transaction layer
// (issue 7): sipgo would otherwise make a server transaction for each,
// kept until Timer I after the ACK (RFC 3261 §17.2.1), and diago a dialog
// and a goroutine, and a flood of them would grow the phone's memory.
// RFC 3261 §8.2.7:
//
//	"A stateless UAS is a UAS that does not maintain transaction state.
//	It replies to requests normally, but discards any state that would
//	ordinarily be retained by a UAS after a response has been sent. If a
//	stateless UAS receives a retransmission of a request, it regenerates
//	the response and resends it, just as if it were replying to the first
//	instance of the request. [...] Stateless UASs do not use a transaction
//	layer; they receive requests directly from the transport layer and
//	send responses directly to the transport layer. The stateless UAS
//	role is needed primarily to handle unauthenticated requests [...] If
//	unauthenticated requests were handled statefully, then malicious
//	floods of unauthenticated requests could create massive amounts of
//	transaction state".
//
// and its rules: no provisional responses, no retransmission of responses,
// "A stateless UAS MUST ignore ACK requests", and "To header tags MUST be
// generated for responses in a stateless manner - in a manner that will
// generate the same tag for the same request consistently".
//
// The phone's loop says when and with which code it refuses new calls
// (emulator.RefuseNew). The read filter (ua.go) then answers an initial
// INVITE over UDP itself and drops the datagram; everything else, and
// anything it cannot read, goes on to sipgo as before. Over TCP the
// refusal stays stateful (sipgo's transaction layer): a stream has no
// datagram to drop, and a flood over TCP is bounded by its connections.
//
// The order of refusals is the stateful path's: an INVITE that the guard
// refuses (missing or repeated headers, sipcheck: 400, 415, 416, 420, 406)
// or accept_calls_from: registrar refuses (403) is passed on to get that
// answer; so are re-INVITEs (To tag: they belong to a call or get 481),
// INVITEs with Replaces (RFC 3891: they take over a call, or get 481), and
// retransmissions of an INVITE the phone is already handling.
//
// A CANCEL that crosses a stateless refusal finds no transaction. RFC 3261
// §9.2: "If the UAS did not find a matching transaction for the CANCEL
// according to the procedure above, it SHOULD respond to the CANCEL with a
// 481 (Call Leg/Transaction Does Not Exist)". sipgo would make a non-INVITE
// server transaction for it, kept for Timer J (64*T1, 32 s, §17.2.2), to
// send that 481 (diago's CANCEL handler): while the phone refuses new
// calls, a CANCEL that its INVITE's refusal would have been stateless for
// gets its 481 here, statelessly, the same way.

// statelessTagPrefix starts the To tag of every stateless response, so the
// ACKs that carry it are found without parsing every ACK.
const statelessTagPrefix = "slr-"

var (
	invitePrefix = []byte("INVITE ") // methods are case-sensitive (RFC 3261 §7.1)
	ackPrefix    = []byte("ACK ")
	cancelPrefix = []byte("CANCEL ")
	tagMark      = []byte(statelessTagPrefix)
	busyParser   = sip.NewParser() // keeps no state between messages
)

// statelessBusy is a UA's share of the stateless refusal.
type statelessBusy struct {
	// refusal is what the phone's loop last said (RefuseNewCalls): the
	// code in the low 16 bits, dndBit when it is DND's; 0 takes calls.
	refusal atomic.Uint32
	key     []byte        // keys the To tags (RFC 3261 §19.3: not guessable)
	refused atomic.Uint64 // INVITEs refused here
	acks    atomic.Uint64 // ACKs of those refusals ignored
	cancels atomic.Uint64 // CANCELs answered 481 here
	dnd     dndLog        // refusals under DND, logged aggregated
}

const dndBit = 1 << 16

// newTagKey makes a UA's key for its stateless To tags.
func newTagKey() []byte {
	key := make([]byte, 16)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return key
}

// RefuseNewCalls implements emulator.RefuseNew: the phone's loop calls it
// when what it answers a new call with changes (the code under DND or at
// the call-appearance limit, or 0 once it takes calls again).
func (u *UA) RefuseNewCalls(r emulator.NewCallRefusal) {
	v := uint32(r.Code) & 0xffff
	if r.DND && v != 0 {
		v |= dndBit
	}
	u.busy.refusal.Store(v)
}

// busyVerdict is what the read filter does with one datagram.
type busyVerdict int

const (
	busyPass   busyVerdict = iota // sipgo handles it
	busyRefuse                    // an INVITE refused here; dropped
	busyIgnore                    // the ACK of such a refusal; dropped
	busyCancel                    // a CANCEL crossing one, answered 481; dropped
)

// refuseStatelessly is the read filter's part: it answers or ignores data
// from src as a stateless UAS and reports whether sipgo must not see it.
func (u *UA) refuseStatelessly(conn net.PacketConn, src net.Addr, data []byte) bool {
	refusal := u.busy.refusal.Load()
	if src == nil || (refusal == 0 && !bytes.HasPrefix(data, ackPrefix)) {
		return false // the common case costs an atomic load
	}
	code := int(refusal & 0xffff)
	v, res, req := judgeDatagram(data, src.String(), code, u.busy.key, u.mayRefuseBusy)
	switch v {
	case busyRefuse:
		u.busy.refused.Add(1)
		if refusal&dndBit != 0 {
			u.busy.dnd.note(u.log, u.to, refusedCall(req), code)
		} else if u.log.Enabled(context.Background(), slog.LevelDebug) {
			// Debug: a flood would write one line per INVITE.
			u.log.Debug("INVITE refused statelessly: every call appearance is taken", "source", src.String())
		}
	case busyCancel:
		u.busy.cancels.Add(1)
	case busyIgnore:
		u.busy.acks.Add(1)
		return true
	default:
		return false
	}
	// RFC 3261 §18.2.2 as sipgo applies it (RFC 3581 §4): the response
	// goes to the address and port the request came from.
	if _, err := conn.WriteTo(res, src); err != nil {
		u.log.Debug("stateless response not sent", "to", src.String(), "error", err)
	}
	return true
}

// dndLog aggregates what the phone keeps of INVITEs refused statelessly
// under DND. The loop logs "incoming call rejected: DND" and a missed call
// for each call it refuses in DND (emulator, recordRefusedInDND); a flood
// would make thousands of lines and inputs. Here one log line and one
// emulator.SIPRefusedInDND a second at most say how many calls were
// refused since the last and who called, the last dndRecent of them.
type dndLog struct {
	mu     sync.Mutex
	calls  uint64
	recent []emulator.RefusedCall // a ring: next is the oldest once full
	next   int
	code   int
	armed  bool // a flush is due
	// seen holds hashes of the last dndSeen Call-IDs refused, so that a
	// retransmitted INVITE (RFC 3261 §17.1.1.2: T1, 2*T1, ... apart) counts
	// as the one call it is: at 500 INVITEs a second that spans 2 s.
	seen     [dndSeen]uint64
	seenNext int
}

// dndSeen is how many refused Call-IDs dndLog remembers (8 KiB).
const dndSeen = 1024

var dndSeed = maphash.MakeSeed()

// dndLogEvery is how often at most a line and an input go out.
const dndLogEvery = time.Second

// dndRecent is how many refused calls a flush carries at most: the call
// history's length (emulator's maxHistory).
const dndRecent = 100

// note counts one refused call, once however often its INVITE came, and
// makes sure a flush follows within a second.
func (d *dndLog) note(log *slog.Logger, to emulator.Poster, r emulator.RefusedCall, code int) {
	h := maphash.String(dndSeed, r.CallID)
	d.mu.Lock()
	defer d.mu.Unlock()
	if slices.Contains(d.seen[:], h) {
		return // a retransmission: already counted
	}
	d.seen[d.seenNext] = h
	d.seenNext = (d.seenNext + 1) % dndSeen
	d.calls++
	d.code = code
	if len(d.recent) < dndRecent {
		d.recent = append(d.recent, r)
	} else {
		d.recent[d.next] = r
		d.next = (d.next + 1) % dndRecent
	}
	if !d.armed {
		d.armed = true
		time.AfterFunc(dndLogEvery, func() { d.flush(log, to) })
	}
}

// flush logs and posts the refusals counted since the last flush.
func (d *dndLog) flush(log *slog.Logger, to emulator.Poster) {
	d.mu.Lock()
	n, code := d.calls, d.code
	recent := append(append(make([]emulator.RefusedCall, 0, len(d.recent)), d.recent[d.next:]...), d.recent[:d.next]...)
	d.calls, d.recent, d.next, d.armed = 0, nil, 0, false
	d.mu.Unlock()
	if n == 0 {
		return
	}
	log.Info("incoming call rejected: DND", "calls", n, "from", recent[len(recent)-1].RemoteURI, "code", code)
	if to != nil {
		to.Post(emulator.SIPRefusedInDND{Calls: n, Recent: recent})
	}
}

// refusedCall is what the call history keeps of a refused INVITE.
func refusedCall(req *sip.Request) emulator.RefusedCall {
	return emulator.RefusedCall{CallID: req.CallID().Value(), RemoteURI: uriString(req.From().Address),
		RemoteDisplay: req.From().DisplayName, At: time.Now()}
}

// mayRefuseBusy holds back from the stateless refusal an INVITE the
// stateful path answers otherwise (accept_calls_from: registrar, 403), a
// retransmission of an INVITE the phone already handles, which sipgo's
// transaction absorbs (RFC 3261 §17.2.1), and a CANCEL of such an INVITE.
func (u *UA) mayRefuseBusy(req *sip.Request) bool {
	if u.opts.AcceptCallsFromRegistrar && !u.fromRegistrar(req) {
		return false
	}
	return !u.handling(req.CallID().Value())
}

// handling reports an incoming call of the UA with this Call-ID.
func (u *UA) handling(callID string) bool {
	found := false
	u.calls.Range(func(_, v any) bool {
		found = v.(*callLeg).callID == callID
		return !found
	})
	return found
}

// judgeDatagram decides what a stateless UAS does with one UDP datagram
// from src while the phone refuses new calls with code (0: it takes them):
// an initial INVITE that passes the guard and mayRefuse is refused with
// res, a CANCEL that its INVITE's refusal would be is answered res (481);
// an ACK whose To tag is the one judgeDatagram gives its INVITE is
// ignored, whatever code. Anything else, and anything sipgo's parser
// refuses, passes. It never panics (FuzzStatelessBusy).
func judgeDatagram(data []byte, src string, code int, key []byte, mayRefuse func(*sip.Request) bool) (v busyVerdict, res []byte, req *sip.Request) {
	switch {
	case code != 0 && (bytes.HasPrefix(data, invitePrefix) || bytes.HasPrefix(data, cancelPrefix)):
		req := parseRequest(data)
		if req == nil || !(req.IsInvite() || req.IsCancel()) || missingHeader(req) != "" || !plainUDP(req) ||
			screen(req) != nil || hasToTag(req) || req.GetHeader("Replaces") != nil {
			return busyPass, nil, nil
		}
		req.SetSource(src)
		req.SetTransport("UDP")
		if mayRefuse != nil && !mayRefuse(req) {
			return busyPass, nil, nil
		}
		v := busyRefuse
		if req.IsCancel() {
			v, code = busyCancel, sip.StatusCallTransactionDoesNotExists
		}
		res := statelessResponse(req, code, key)
		// sipgo reads some headers it cannot write back readably (a
		// From of "<sip::A0>"); the stateful path answers those as before.
		if m, err := busyParser.ParseSIP(res); err != nil || m == nil {
			return busyPass, nil, nil
		}
		return v, res, req
	case bytes.HasPrefix(data, ackPrefix) && bytes.Contains(data, tagMark):
		req := parseRequest(data)
		if req == nil || !req.IsAck() || missingHeader(req) != "" {
			return busyPass, nil, nil
		}
		if tag, _ := req.To().Params.Get("tag"); tag == "" || tag != statelessTag(req, key) {
			return busyPass, nil, nil
		}
		return busyIgnore, nil, req
	}
	return busyPass, nil, nil
}

// parseRequest parses a datagram with sipgo's parser (as its transport
// would), or returns nil.
func parseRequest(data []byte) *sip.Request {
	msg, err := busyParser.ParseSIP(data)
	if err != nil {
		return nil
	}
	req, _ := msg.(*sip.Request)
	return req
}

// plainUDP reports a request of SIP/2.0 whose Vias are SIP/2.0 with a
// host, the top one over UDP (RFC 3261 §7.1, §20.42): what sipgo parses
// but cannot write back is left to the stateful path.
func plainUDP(req *sip.Request) bool {
	if req.SipVersion != "SIP/2.0" {
		return false
	}
	for i, h := range req.GetHeaders("Via") {
		via, ok := h.(*sip.ViaHeader)
		if !ok || via.ProtocolName != "SIP" || via.ProtocolVersion != "2.0" || via.Host == "" ||
			(i == 0 && !strings.EqualFold(via.Transport, "UDP")) {
			return false
		}
	}
	return true
}

// statelessResponse builds the response with code to req as RFC 3261
// §8.2.6 says (sipgo's NewResponseFromRequest, as the stateful path): Via,
// From, To, Call-ID and CSeq copied, "the UAS MUST add a tag to the To
// header field in the response", here the stateless one; Via gets rport
// and received when the request asked (RFC 3581 §4). The reason phrase is
// the stateful path's (reasonPhrase).
func statelessResponse(req *sip.Request, code int, key []byte) []byte {
	req.To().Params.Add("tag", statelessTag(req, key))
	res := sip.NewResponseFromRequest(req, code, reasonPhrase(code), nil)
	return []byte(res.String())
}

// statelessTag is the To tag of the stateless response to req, made from
// what the INVITE, its retransmissions, its CANCEL and the ACK of its
// refusal share (RFC 3261
// §17.1.1.3: the ACK has the INVITE's Call-ID, From, and CSeq number):
// the same request always gets the same tag, and only this UA can make it.
func statelessTag(req *sip.Request, key []byte) string {
	h := hmac.New(sha256.New, key)
	fromTag, _ := req.From().Params.Get("tag")
	h.Write([]byte(req.CallID().Value()))
	h.Write([]byte{0})
	h.Write([]byte(fromTag))
	h.Write([]byte{0})
	h.Write(strconv.AppendUint(nil, uint64(req.CSeq().SeqNo), 10))
	return statelessTagPrefix + hex.EncodeToString(h.Sum(nil)[:8])
}
