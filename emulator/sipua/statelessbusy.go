package sipua

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"
)

// A phone at its call-appearance limit refuses each further INVITE with
// 486 Busy Here as a stateless UAS, below sipgo's transaction layer (issue
// 7): sipgo would otherwise make a server transaction for each, kept until
// Timer I after the ACK (RFC 3261 §17.2.1), and a flood of them would grow
// the phone's memory. RFC 3261 §8.2.7:
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
// The phone's loop says when the limit is reached (emulator.BusyHere). The
// read filter (ua.go) then answers an initial INVITE over UDP itself and
// drops the datagram; everything else, and anything it cannot read, goes on
// to sipgo as before. Over TCP the refusal stays stateful (sipgo's
// transaction layer): a stream has no datagram to drop, and a flood over
// TCP is bounded by its connections.
//
// The order of refusals is the stateful path's: an INVITE that the guard
// refuses (missing or repeated headers, sipcheck: 400, 415, 416, 420, 406)
// or accept_calls_from: registrar refuses (403) is passed on to get that
// answer; so are re-INVITEs (To tag: they belong to a call or get 481),
// INVITEs with Replaces (RFC 3891: they take over a call, or get 481), and
// retransmissions of an INVITE the phone is already handling.

// statelessTagPrefix starts the To tag of every stateless 486, so the ACKs
// that carry it are found without parsing every ACK.
const statelessTagPrefix = "sl486-"

var (
	invitePrefix = []byte("INVITE ") // methods are case-sensitive (RFC 3261 §7.1)
	ackPrefix    = []byte("ACK ")
	tagMark      = []byte(statelessTagPrefix)
	busyParser   = sip.NewParser() // keeps no state between messages
)

// statelessBusy is a UA's share of the stateless refusal.
type statelessBusy struct {
	full    atomic.Bool   // set by the phone's loop (SetBusyHere)
	key     []byte        // keys the To tags (RFC 3261 §19.3: not guessable)
	refused atomic.Uint64 // INVITEs answered 486 here
	acks    atomic.Uint64 // ACKs of those 486s ignored
}

// newTagKey makes a UA's key for its stateless To tags.
func newTagKey() []byte {
	key := make([]byte, 16)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return key
}

// SetBusyHere implements emulator.BusyHere: the phone's loop calls it when
// every call appearance becomes taken (a new call would get 486) and when
// one frees up.
func (u *UA) SetBusyHere(full bool) { u.busy.full.Store(full) }

// busyVerdict is what the read filter does with one datagram.
type busyVerdict int

const (
	busyPass   busyVerdict = iota // sipgo handles it
	busyRefuse                    // answered 486 here; dropped
	busyIgnore                    // the ACK of such a 486; dropped
)

// refuseStatelessly is the read filter's part: it answers or ignores data
// from src as a stateless UAS and reports whether sipgo must not see it.
func (u *UA) refuseStatelessly(conn net.PacketConn, src net.Addr, data []byte) bool {
	full := u.busy.full.Load()
	if src == nil || (!full && !bytes.HasPrefix(data, ackPrefix)) {
		return false // the common case costs an atomic load
	}
	v, res := judgeDatagram(data, src.String(), full, u.busy.key, u.mayRefuseBusy)
	switch v {
	case busyRefuse:
		u.busy.refused.Add(1)
		// Debug: a flood would write one line per INVITE.
		if u.log.Enabled(context.Background(), slog.LevelDebug) {
			u.log.Debug("INVITE refused statelessly: every call appearance is taken", "source", src.String())
		}
		// RFC 3261 §18.2.2 as sipgo applies it (RFC 3581 §4): the
		// response goes to the address and port the request came from.
		if _, err := conn.WriteTo(res, src); err != nil {
			u.log.Debug("stateless 486 not sent", "to", src.String(), "error", err)
		}
		return true
	case busyIgnore:
		u.busy.acks.Add(1)
		return true
	}
	return false
}

// mayRefuseBusy holds back from the stateless 486 an INVITE the stateful
// path answers otherwise (accept_calls_from: registrar, 403) and a
// retransmission of an INVITE the phone already handles, which sipgo's
// transaction absorbs (RFC 3261 §17.2.1).
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
// from src: with full set (the phone at its limit) an initial INVITE that
// passes the guard and mayRefuse is refused with res; an ACK whose To tag
// is the one judgeDatagram gives its INVITE is ignored. Anything else, and
// anything sipgo's parser refuses, passes. It never panics (FuzzStatelessBusy).
func judgeDatagram(data []byte, src string, full bool, key []byte, mayRefuse func(*sip.Request) bool) (v busyVerdict, res []byte) {
	switch {
	case full && bytes.HasPrefix(data, invitePrefix):
		req := parseRequest(data)
		if req == nil || !req.IsInvite() || missingHeader(req) != "" || !plainUDP(req) || screen(req) != nil ||
			hasToTag(req) || req.GetHeader("Replaces") != nil {
			return busyPass, nil
		}
		req.SetSource(src)
		req.SetTransport("UDP")
		if mayRefuse != nil && !mayRefuse(req) {
			return busyPass, nil
		}
		res := busyHereResponse(req, key)
		// sipgo reads some headers it cannot write back readably (a
		// From of "<sip::A0>"); the stateful path answers those as before.
		if m, err := busyParser.ParseSIP(res); err != nil || m == nil {
			return busyPass, nil
		}
		return busyRefuse, res
	case bytes.HasPrefix(data, ackPrefix) && bytes.Contains(data, tagMark):
		req := parseRequest(data)
		if req == nil || !req.IsAck() || missingHeader(req) != "" {
			return busyPass, nil
		}
		if tag, _ := req.To().Params.Get("tag"); tag == "" || tag != statelessTag(req, key) {
			return busyPass, nil
		}
		return busyIgnore, nil
	}
	return busyPass, nil
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

// busyHereResponse builds the 486 for req as RFC 3261 §8.2.6 says (sipgo's
// NewResponseFromRequest, as the stateful path): Via, From, To, Call-ID
// and CSeq copied, "the UAS MUST add a tag to the To header field in the
// response", here the stateless one; Via gets rport and received when the
// request asked (RFC 3581 §4).
func busyHereResponse(req *sip.Request, key []byte) []byte {
	req.To().Params.Add("tag", statelessTag(req, key))
	res := sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil)
	return []byte(res.String())
}

// statelessTag is the To tag of the stateless 486 to req, made from what
// the INVITE, its retransmissions and the ACK of its 486 share (RFC 3261
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
