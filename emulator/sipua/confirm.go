package sipua

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// A dialog exists for us from the 2xx to our INVITE on: RFC 3261 §12.1.2,
// "When a UAC receives a response that establishes a dialog, it constructs
// the state of the dialog", and §13.2.2.4 has it ACK that 2xx. The far end
// may use the dialog as soon as our ACK reaches it (§14.1: a UAC may send
// a re-INVITE once its INVITE transaction has completed; §15: a callee
// sends BYE once it has the ACK). diago files a dialog we placed only after
// the ACK is written (sipgo's WriteAck sets the state Confirmed, whose
// callback stores it), and this UA's call leg only after the media started:
// a re-INVITE or BYE that came straight after our ACK found neither and got
// 481 Call/Transaction Does Not Exist (issue 12).
//
// So a call leg is marked confirming from the moment its dialog's identity
// is known (the 2xx for a call we place; our 200 for one we answer)
// until it is established or over, and an in-dialog request for a
// confirming dialog waits for that before diago or this UA looks the dialog
// up. The wait is bounded: a leg whose ACK never leaves lets the request go
// on to be answered 481 as before.

// confirmWait bounds how long an in-dialog request waits for its dialog to
// be confirmed. The leg settles within microseconds of the ACK on an idle
// machine; the bound only matters when it never does (an incoming call
// whose caller never ACKs our 200 and sends BYE instead).
const confirmWait = 2 * time.Second

// confirming records id as the leg's dialog before it is established.
func (l *callLeg) confirming(id dialogID) {
	l.mu.Lock()
	l.pending = id
	l.mu.Unlock()
}

// pendingID is the dialog of a leg that is being confirmed: known, not yet
// established.
func (l *callLeg) pendingID() (dialogID, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pending, l.dlg == nil && l.pending.callID != ""
}

// settle ends the leg's confirming: it is established, or it never will be.
func (l *callLeg) settle() { l.settleOnce.Do(func() { close(l.settled) }) }

// requestDialogID is the dialog an in-dialog request names from our side:
// its To tag is our local tag, its From tag the far end's (RFC 3261
// §12.2.2). ok is false for a request outside a dialog (no To tag).
func requestDialogID(req *sip.Request) (id dialogID, ok bool) {
	cid, from, to := req.CallID(), req.From(), req.To()
	if cid == nil || from == nil || to == nil {
		return id, false
	}
	id.callID = cid.Value()
	id.local, _ = to.Params.Get("tag")
	id.remote, _ = from.Params.Get("tag")
	return id, id.local != ""
}

// awaitConfirmed holds an in-dialog request for a dialog being confirmed
// until its leg settles (at most confirmWait). ACK and CANCEL never wait:
// an incoming call's leg settles only after the ACK for our 200 came in.
func (u *UA) awaitConfirmed(req *sip.Request) {
	if req.IsAck() || req.IsCancel() {
		return
	}
	id, ok := requestDialogID(req)
	if !ok {
		return
	}
	leg := u.findBy((*callLeg).pendingID, func(p dialogID) bool { return p == id })
	if leg == nil {
		return
	}
	u.log.Debug("in-dialog request waits for its dialog to be confirmed", "call", leg.ref, "method", req.Method.String())
	t := time.NewTimer(confirmWait)
	defer t.Stop()
	select {
	case <-leg.settled:
	case <-t.C:
		u.log.Info("in-dialog request before its dialog was confirmed", "call", leg.ref, "method", req.Method.String())
	case <-u.ctx.Done():
	}
}
