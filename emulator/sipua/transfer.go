package sipua

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
)

// Transfer (RFC 3515 REFER, flows of RFC 5589) and call forwarding (302).

// Transfer implements emulator.Signaling: REFER on call ref. Blind when
// replaces is empty (Refer-To: target); attended otherwise (Refer-To: the
// far end of call replaces, with a Replaces header for that dialog, RFC
// 3891 §3 and RFC 5589 §7).
func (u *UA) Transfer(ref emulator.CallRef, target string, replaces emulator.CallRef) {
	rep := &transferReport{u: u, ref: ref}
	leg := u.leg(ref)
	if leg == nil {
		rep.settle(0, errors.New("no such call"))
		return
	}
	ok := u.goCall(func() {
		d := leg.dialog()
		if d == nil {
			rep.settle(0, errors.New("call is not established"))
			return
		}
		referTo, err := u.referTarget(leg, target, replaces)
		if err != nil {
			rep.settle(0, err)
			return
		}
		// One in-dialog request at a time: F_TRANSFER has just asked for
		// a hold, and a REFER racing that re-INVITE can be refused (and
		// would share its CSeq space).
		leg.reinvite.Lock()
		defer leg.reinvite.Unlock()
		lc, _ := u.lineCfg(leg.line)
		// RFC 3892: Referred-By names us, the transferor. diago would
		// put the far end's Contact there for a call we placed.
		by := sip.NewHeader("Referred-By", "<"+uriString(sip.Uri{User: lc.User, Host: hostOf(lc.Server)})+">")
		for attempt := 0; ; attempt++ {
			// As long as a re-INVITE may take: the far end may first
			// hold its call with us (linphone does) before it answers.
			ctx, cancel := u.requestCtx(d.Context(), reinviteTimeout)
			err = safely(func() error { return refer(ctx, d, referTo, by, rep.notify) })
			cancel()
			code, _ := sipStatus(err)
			if code != sip.StatusRequestPending || attempt == len(referRetries) || d.Context().Err() != nil {
				break
			}
			// 491 Request Pending: the far end still has our hold
			// re-INVITE open (a proxy with several workers can deliver
			// the REFER before that INVITE's ACK). RFC 3261 §14.1 has
			// a re-INVITE tried again after a pause; the REFER gets the
			// same, with pauses sized for that race.
			u.log.Debug("REFER retry after 491", "call", ref, "attempt", attempt+1)
			if !sleep(d.Context(), referRetries[attempt]) {
				break
			}
		}
		if err != nil {
			u.log.Info("REFER failed", "call", ref, "refer_to", referTo.String(), "error", err)
			code, _ := sipStatus(err)
			rep.settle(code, err)
			return
		}
		rep.settle(sip.StatusAccepted, nil)
	})
	if !ok {
		rep.settle(0, errors.New("phone shutting down"))
	}
}

// referRetries are the pauses before a REFER refused with 491 is sent
// again.
var referRetries = []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 900 * time.Millisecond}

// refer sends REFER on either kind of dialog; onNotify gets the sipfrag
// status of each NOTIFY of the implicit subscription (RFC 3515 §2.4.4).
func refer(ctx context.Context, d sipDialog, referTo sip.Uri, by sip.Header, onNotify func(int)) error {
	switch d := d.(type) {
	case *diago.DialogServerSession:
		return d.ReferOptions(ctx, referTo, diago.ReferServerOptions{Headers: []sip.Header{by}, OnNotify: onNotify})
	case *diago.DialogClientSession:
		return d.ReferOptions(ctx, referTo, diago.ReferClientOptions{Headers: []sip.Header{by}, OnNotify: onNotify})
	}
	return fmt.Errorf("cannot REFER on %T", d)
}

// referTarget builds the Refer-To URI. Blind: the target as dialled (a bare
// user goes to the line's server, as for Dial). Attended: the remote target
// (Contact) of call replaces, which reaches that party directly, with the
// Replaces URI header naming its dialog as the far end sees it: to-tag is
// its local tag (our remote tag), from-tag ours (RFC 3891 §3, §6.1).
func (u *UA) referTarget(leg *callLeg, target string, replaces emulator.CallRef) (sip.Uri, error) {
	if replaces == "" {
		if target == "" {
			return sip.Uri{}, errors.New("transfer needs a target")
		}
		lc, _ := u.lineCfg(leg.line)
		return uriFor(target, lc.Server)
	}
	other := u.leg(replaces)
	if other == nil {
		return sip.Uri{}, fmt.Errorf("call %s to replace does not exist", replaces)
	}
	d := other.dialog()
	id, ok := other.dialogID()
	if d == nil || !ok {
		return sip.Uri{}, fmt.Errorf("call %s to replace is not established", replaces)
	}
	contact := d.RemoteContact()
	if contact == nil {
		return sip.Uri{}, fmt.Errorf("call %s has no remote target", replaces)
	}
	uri := *contact.Address.Clone()
	uri.Headers = sip.NewParams()
	uri.Headers.Add("Replaces", escapeURIHeader(formatReplaces(replacesID{
		callID: id.callID, toTag: id.remote, fromTag: id.local,
	})))
	return uri, nil
}

// transferReport posts one transfer's outcome in order: the REFER's own
// result first, then the NOTIFYs. A NOTIFY can overtake the 202 (the far
// end sends it right after), and the phone reads Notify 200 as "done".
type transferReport struct {
	u   *UA
	ref emulator.CallRef

	mu      sync.Mutex
	settled bool
	pending []int
}

func (r *transferReport) settle(code int, err error) {
	in := emulator.SIPTransfer{Ref: r.ref, Code: code}
	if err != nil {
		in.Err = errText(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.settled = true
	r.u.to.Post(in)
	if err == nil {
		for _, n := range r.pending {
			r.u.to.Post(emulator.SIPTransfer{Ref: r.ref, Notify: n})
		}
	}
	r.pending = nil
}

func (r *transferReport) notify(code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.settled {
		r.pending = append(r.pending, code)
		return
	}
	r.u.to.Post(emulator.SIPTransfer{Ref: r.ref, Notify: code})
}

// Redirect implements emulator.Signaling.
func (u *UA) Redirect(ref emulator.CallRef, target string) {
	u.decide(ref, decision{code: sip.StatusMovedTemporarily, target: target})
}

// redirect answers a ringing call 302 Moved Temporarily with the new target
// in Contact (RFC 3261 §8.2.6.2 / §21.3.3; call forwarding).
func (u *UA) redirect(d *diago.DialogServerSession, leg *callLeg, target string) {
	lc, _ := u.lineCfg(leg.line)
	uri, err := uriFor(target, lc.Server)
	if err != nil || target == "" {
		if err == nil {
			err = errors.New("no forwarding target")
		}
		u.log.Info("cannot forward", "call", leg.ref, "target", target, "error", err)
		code := sip.StatusTemporarilyUnavailable
		_ = d.Respond(code, reasonPhrase(code), nil)
		u.to.Post(emulator.SIPEnded{Ref: leg.ref, Code: code, Reason: "cannot forward: " + err.Error()})
		return
	}
	code := sip.StatusMovedTemporarily
	if err := d.Respond(code, reasonPhrase(code), nil, &sip.ContactHeader{Address: uri}); err != nil {
		u.log.Debug("redirect failed", "call", leg.ref, "error", err)
	}
	u.to.Post(emulator.SIPEnded{Ref: leg.ref, Code: code, Reason: reasonPhrase(code)})
}
