package sipua

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
)

// A REFER we receive (RFC 3515): the far end of one of our calls asks us to
// call a third party (we are the transferee of RFC 5589).
//
// We take the REFER before diago does. diago's OnRefer sends the first
// NOTIFY inside the REFER's handler and gives up the whole transfer when
// that NOTIFY fails, which happens whenever the transferor hangs up right
// after 202 (as a blind transfer does, RFC 5589 §6.1); it also holds the
// handler for the new call's life and sends a second final NOTIFY when the
// new call ends. Here the new call runs like a dialled one and the NOTIFYs
// are best effort: 100 Trying at once, then one final status.

// handleRefer answers a REFER on leg's dialog and, when it is acceptable,
// places the call it asks for as a new call "r<n>".
func (u *UA) handleRefer(leg *callLeg, req *sip.Request, tx sip.ServerTransaction) {
	respond := func(code int, reason string) {
		if err := tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil)); err != nil {
			u.log.Debug("REFER response failed", "call", leg.ref, "error", err)
		}
	}
	target, replaces, err := referredTarget(req)
	if err != nil {
		// RFC 3515 §2.4.2: 400 for zero or several Refer-To values; the
		// same for one we cannot call.
		u.log.Info("REFER refused", "call", leg.ref, "error", err)
		respond(sip.StatusBadRequest, "Bad Request")
		return
	}
	if u.ctx.Err() != nil {
		respond(sip.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	lc, _ := u.lineCfg(leg.line)
	ref := emulator.CallRef("r" + strconv.FormatUint(u.referSeq.Add(1), 10))
	nl := newLeg(ref)
	nl.line = leg.line
	sub := &referSubscription{u: u, d: leg.dialog(), first: make(chan struct{})}
	referredBy := req.GetHeader("Referred-By")
	respond(sip.StatusAccepted, "Accepted")
	u.calls.Store(ref, nl)
	if !u.goCall(func() {
		defer u.calls.Delete(ref)
		u.to.Post(emulator.SIPReferred{Ref: ref, From: leg.ref, Line: nl.line, Target: target.String()})
		u.runReferred(nl, lc, target, replaces, referredBy, sub)
	}) {
		u.calls.Delete(ref) // stopping: the transferor hears nothing more
	}
}

// runReferred places the call a REFER asked for.
func (u *UA) runReferred(leg *callLeg, lc emulator.LineConfig, target sip.Uri, replaces string, referredBy sip.Header, sub *referSubscription) {
	sub.start()
	d, err := u.dg.NewDialog(target, u.dialogOptions())
	if err != nil {
		u.to.Post(emulator.SIPEnded{Ref: leg.ref, Reason: err.Error()})
		sub.final(sip.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	defer d.Close()
	var headers []sip.Header
	if referredBy != nil {
		headers = append(headers, sip.HeaderClone(referredBy)) // RFC 3892 §3
	}
	if replaces != "" {
		headers = append(headers, sip.NewHeader("Replaces", replaces))
	}
	u.placeCall(outgoing{leg: leg, account: lc, dialog: d, headers: headers, outcome: sub.final})
}

// referredTarget reads the Refer-To of a REFER: the URI to call, without
// its URI headers, and the Replaces value carried as one of them (RFC 3891
// §3 / RFC 5589 §7: Refer-To: <sip:c@host?Replaces=...>). A Replaces header
// on the REFER itself is taken too, as diago does.
func referredTarget(req *sip.Request) (sip.Uri, string, error) {
	hs := req.GetHeaders("Refer-To")
	if len(hs) != 1 {
		return sip.Uri{}, "", fmt.Errorf("%d Refer-To headers", len(hs))
	}
	var uri sip.Uri
	params := sip.NewParams()
	if _, err := sip.ParseAddressValue(hs[0].Value(), &uri, &params); err != nil {
		return uri, "", fmt.Errorf("Refer-To %q: %w", hs[0].Value(), err)
	}
	if (uri.Scheme != "sip" && uri.Scheme != "sips") || uri.Host == "" {
		return uri, "", fmt.Errorf("Refer-To %q: not a SIP URI", hs[0].Value())
	}
	var replaces string
	for _, kv := range uri.Headers {
		if !strings.EqualFold(kv.K, "Replaces") {
			continue
		}
		v, err := unescapeURIHeader(kv.V)
		if err != nil {
			return uri, "", fmt.Errorf("Refer-To Replaces %q: %w", kv.V, err)
		}
		replaces = v
	}
	if replaces == "" {
		if h := req.GetHeader("Replaces"); h != nil {
			replaces = h.Value()
		}
	}
	if replaces != "" {
		if _, err := parseReplaces(replaces); err != nil {
			return uri, "", fmt.Errorf("Refer-To Replaces %q: %w", replaces, err)
		}
	}
	uri.Headers = nil // RFC 3261 §19.1.5: they become headers, not part of the Request-URI
	return uri, replaces, nil
}

// referSubscription is the implicit subscription a REFER creates: we report
// the new call's progress to the transferor in NOTIFYs with a sipfrag body
// (RFC 3515 §2.4.4-2.4.5), on the original dialog while it lasts.
type referSubscription struct {
	u     *UA
	d     sipDialog
	first chan struct{} // closed when the 100 Trying NOTIFY is done
	done  bool          // final NOTIFY sent; touched by the call's goroutine only
}

// start sends "SIP/2.0 100 Trying" without holding up the new call.
func (s *referSubscription) start() {
	if !s.u.goCall(func() {
		defer close(s.first)
		s.send(sip.StatusTrying, "Trying", "active;expires=60")
	}) {
		close(s.first)
	}
}

// final sends the last NOTIFY, which terminates the subscription (RFC 3515
// §2.4.7: "terminated;reason=noresource").
func (s *referSubscription) final(code int, reason string) {
	if s.done {
		return
	}
	s.done = true
	<-s.first
	s.send(code, reason, "terminated;reason=noresource")
}

func (s *referSubscription) send(code int, reason, state string) {
	contact := s.d.RemoteContact()
	if s.d.Context().Err() != nil || contact == nil {
		return // the transferor already left the dialog
	}
	req := sip.NewRequest(sip.NOTIFY, contact.Address)
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte("SIP/2.0 " + strconv.Itoa(code) + " " + reason + "\r\n"))
	ctx, cancel := s.u.requestCtx(s.d.Context(), s.u.opts.RequestTimeout)
	defer cancel()
	res, err := s.d.Do(ctx, req)
	if err == nil && res.StatusCode/100 != 2 {
		err = fmt.Errorf("%d %s", res.StatusCode, res.Reason)
	}
	if err != nil {
		s.u.log.Debug("NOTIFY for REFER failed", "status", code, "error", err)
	}
}
