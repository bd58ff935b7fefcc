package sipua

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emiago/diago/media/sdp"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
)

// Hold and resume (RFC 3264 §8.4).
//
// Our side: diago's Hold/Unhold re-INVITE with a=sendonly / a=sendrecv.
// With a=sendonly we keep sending (music on hold: the configured tone) and
// diago drops what arrives; the held party answers a=recvonly and stops
// sending. RFC 3264 §8.4 says a stream that is already recvonly (the far
// end holds us) is put on hold with a=inactive; diago v0.42.1 can only
// offer sendonly (its direction setter is unexported and the live media
// session's Mode is read by diago's RTCP goroutine, so setting it would
// race), so we offer a=sendonly then too. A far end that holds us answers
// that with a=inactive (RFC 3264 §6.1), which ends in the same state.
//
// Far end: diago's OnMediaUpdate hands over the updated media but neither
// the offer nor the negotiated direction (no getter), so inDialog reads
// each in-dialog INVITE's SDP before diago answers it and, when diago's
// answer is 2xx, reports the direction the far end offered.

// reinviteTimeout bounds one hold or resume. diago retries a re-INVITE
// that meets 491 Request Pending after 2.1-4 s (RFC 3261 §14.1).
const reinviteTimeout = 10 * time.Second

// Hold implements emulator.Signaling.
func (u *UA) Hold(ref emulator.CallRef) { u.changeHold(ref, true) }

// Unhold implements emulator.Signaling.
func (u *UA) Unhold(ref emulator.CallRef) { u.changeHold(ref, false) }

func (u *UA) changeHold(ref emulator.CallRef, hold bool) {
	fail := func(msg string) { u.to.Post(emulator.SIPHold{Ref: ref, Held: hold, Err: msg}) }
	leg := u.leg(ref)
	if leg == nil {
		fail("no such call")
		return
	}
	ok := u.goCall(func() {
		d := leg.dialog()
		if d == nil {
			fail("call is not established")
			return
		}
		leg.reinvite.Lock()
		defer leg.reinvite.Unlock()
		var err error
		for attempt := 0; ; attempt++ {
			ctx, cancel := u.requestCtx(d.Context(), reinviteTimeout)
			err = safely(func() error {
				if hold {
					return d.Hold(ctx)
				}
				return d.Unhold(ctx)
			})
			cancel()
			if err == nil || attempt == len(reinviteRetries) || !retryableReinvite(err) || d.Context().Err() != nil {
				break
			}
			// RFC 3261 §14.1: after 491 Request Pending, try again a
			// moment later; a 500 or a lost answer gets the same grace
			// (the far end may still be processing our ACK: sipgo
			// handles each message on its own goroutine).
			u.log.Debug("re-INVITE retry", "call", ref, "error", err)
			if !sleep(d.Context(), reinviteRetries[attempt]) {
				break
			}
		}
		if err != nil {
			u.log.Info("re-INVITE failed", "call", ref, "hold", hold, "error", err)
			fail(errText(err))
			return
		}
		u.to.Post(emulator.SIPHold{Ref: ref, Held: hold})
	})
	if !ok {
		fail("phone shutting down")
	}
}

// safely runs f, turning a panic inside diago (it dereferences headers a
// broken peer may leave out, e.g. Contact in a 200 to a re-INVITE) into an
// error instead of taking every phone of the process down.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return f()
}

// inDialog is server middleware for requests inside one of our established
// calls: it watches re-INVITEs for the far end's hold and takes REFERs
// (see refer.go). Everything else goes to diago unchanged. A request for a
// dialog still being confirmed first waits for it (confirm.go).
func (u *UA) inDialog(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		u.awaitConfirmed(req)
		var leg *callLeg
		if req.IsInvite() || req.Method == sip.REFER {
			leg = u.legForRequest(req)
		}
		switch {
		case leg == nil:
			next(req, tx)
		case req.Method == sip.REFER:
			u.handleRefer(leg, req, tx)
		default:
			u.watchReInvite(leg, req, tx, next)
		}
	}
}

// legForRequest finds the established call an in-dialog request belongs
// to: its To tag is our local tag, its From tag the far end's (RFC 3261
// §12.2.2).
func (u *UA) legForRequest(req *sip.Request) *callLeg {
	want, ok := requestDialogID(req)
	if !ok {
		return nil // not in a dialog
	}
	return u.findLeg(func(id dialogID) bool { return id == want })
}

// findLeg returns an established call whose dialog matches.
func (u *UA) findLeg(match func(dialogID) bool) *callLeg {
	return u.findBy((*callLeg).dialogID, match)
}

// findBy returns a call whose dialog id, as id gives it, matches.
func (u *UA) findBy(id func(*callLeg) (dialogID, bool), match func(dialogID) bool) *callLeg {
	var found *callLeg
	u.calls.Range(func(_, v any) bool {
		l := v.(*callLeg)
		if d, ok := id(l); ok && match(d) {
			found = l
			return false
		}
		return true
	})
	return found
}

// watchReInvite lets diago answer a re-INVITE, then reports the far end's
// hold or resume when the answer was 2xx and the offered direction changed.
func (u *UA) watchReInvite(leg *callLeg, req *sip.Request, tx sip.ServerTransaction, next sipgo.RequestHandler) {
	if sdpBadConnection(req.Body()) {
		// diago would panic on it while holding the call's media lock,
		// leaving the call unable to end.
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request (malformed c= line)", nil))
		return
	}
	held, ok := sdpHolds(req.Body())
	if !ok { // no SDP (RFC 3261 §14.1 allows an empty re-INVITE): no direction to learn
		next(req, tx)
		return
	}
	rec := &finalStatus{ServerTransaction: tx}
	next(req, rec)
	if rec.code.Load()/100 != 2 {
		return
	}
	leg.mu.Lock()
	changed := leg.remoteHeld != held
	leg.remoteHeld = held
	m := leg.media
	leg.mu.Unlock()
	if m != nil {
		m.quiet.Store(held)
	}
	if changed {
		u.to.Post(emulator.SIPHold{Ref: leg.ref, Held: held, Remote: true})
	}
}

// finalStatus remembers the final response sent on a server transaction.
type finalStatus struct {
	sip.ServerTransaction
	code atomic.Int32
}

func (f *finalStatus) Respond(res *sip.Response) error {
	if res.StatusCode >= 200 {
		f.code.Store(int32(res.StatusCode))
	}
	return f.ServerTransaction.Respond(res)
}

// sdpBadConnection reports an SDP whose c= line lacks one of its three
// fields (RFC 4566 §5.7: c=<nettype> <addrtype> <connection-address>).
func sdpBadConnection(body []byte) bool {
	if len(body) == 0 {
		return false
	}
	sd := sdp.SessionDescription{}
	if err := sdp.Unmarshal(body, &sd); err != nil {
		return false
	}
	v := sd.Value("c")
	return v != "" && len(strings.Fields(v)) < 3
}

// sdpHolds reports whether an SDP offer puts us on hold: a=sendonly or
// a=inactive (RFC 3264 §8.4), or the connection address 0.0.0.0 of RFC
// 2543 §B.5 that older phones still send. ok is false when there is no
// SDP to judge.
func sdpHolds(body []byte) (held, ok bool) {
	if len(body) == 0 {
		return false, false
	}
	sd := sdp.SessionDescription{}
	if err := sdp.Unmarshal(body, &sd); err != nil {
		return false, false
	}
	if _, err := sd.MediaDescription("audio"); err != nil {
		return false, false
	}
	switch sd.MediaDirection() {
	case sdp.ModeSendonly, sdp.ModeInactive:
		return true, true
	}
	// Read c= here: diago's ConnectionInformation indexes fields it does
	// not check (c=0 panics it; found by FuzzSDPHolds).
	if f := strings.Fields(sd.Value("c")); len(f) >= 3 {
		addr, _, _ := strings.Cut(f[2], "/")
		if ip := net.ParseIP(addr); ip != nil && ip.IsUnspecified() {
			return true, true
		}
	}
	return false, true
}

// reinviteRetries are the pauses before a hold or resume is tried again.
var reinviteRetries = []time.Duration{200 * time.Millisecond, 600 * time.Millisecond}

// retryableReinvite: 491 Request Pending, a 5xx, no answer at all, or 481
// from a far end that has not filed the dialog yet (plain diago files a
// call it placed only once its ACK is out, so a re-INVITE right after the
// answer can arrive first; this UA waits for such a dialog, confirm.go).
func retryableReinvite(err error) bool {
	code, _ := sipStatus(err)
	return code == 0 || code == 481 || code == 491 || code >= 500
}
