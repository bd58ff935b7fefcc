package sipua

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
)

// callLeg is one call's SIP side. Its goroutine owns the dialog; the phone's
// loop talks to it through the channels, and the hold, transfer and REFER
// code reaches the established dialog through dialog().
type callLeg struct {
	ref      emulator.CallRef
	line     int           // 1-based line the call is on; set before the leg is shared
	callID   string        // incoming calls: the INVITE's Call-ID, set before the leg is shared
	decision chan decision // incoming: answer, reject or redirect, from the phone
	ring     chan struct{} // incoming: the phone took the call and rings
	hangupCh chan struct{} // closed when the user hangs up
	once     sync.Once

	// reinvite serialises our re-INVITEs on the dialog: RFC 3261 §14.1,
	// a UAC MUST NOT start a re-INVITE while another is in progress.
	reinvite sync.Mutex

	mu         sync.Mutex
	media      *callMedia // set once established
	dlg        sipDialog  // set once established
	id         dialogID   // set once established
	early      dialogID   // outgoing, before the answer: our early dialog (from 18x with a To tag)
	remoteHeld bool       // the far end's last offer held us (a=sendonly/inactive)
}

// setEarly records the early dialog of an outgoing call from a 18x.
func (l *callLeg) setEarly(req *sip.Request, res *sip.Response) {
	var id dialogID
	if cid := req.CallID(); cid != nil {
		id.callID = cid.Value()
	}
	if from := req.From(); from != nil {
		id.local, _ = from.Params.Get("tag")
	}
	if to := res.To(); to != nil {
		id.remote, _ = to.Params.Get("tag")
	}
	if id.remote == "" {
		return
	}
	l.mu.Lock()
	if l.dlg == nil {
		l.early = id
	}
	l.mu.Unlock()
}

// earlyID is the outgoing early dialog, while the call is not answered.
func (l *callLeg) earlyID() (dialogID, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.early, l.dlg == nil && l.early.remote != ""
}

// decision is the phone's answer to a ringing incoming call.
type decision struct {
	answer bool
	code   int    // final response when !answer: 486, 603... or 302
	target string // with code 302: where to (call forwarding)
}

// sipDialog is what both kinds of diago dialog (we called, we were called)
// offer once a call is established.
type sipDialog interface {
	Context() context.Context
	Hangup(ctx context.Context) error
	DialogSIP() *sipgo.Dialog
	Do(ctx context.Context, req *sip.Request) (*sip.Response, error)
	Hold(ctx context.Context) error
	Unhold(ctx context.Context) error
	RemoteContact() *sip.ContactHeader
}

var (
	_ sipDialog = (*diago.DialogServerSession)(nil)
	_ sipDialog = (*diago.DialogClientSession)(nil)
)

// dialogID identifies a dialog from our side (RFC 3261 §12: Call-ID, local
// tag, remote tag).
type dialogID struct {
	callID, local, remote string
}

func dialogIDOf(d sipDialog) dialogID {
	sd := d.DialogSIP()
	var id dialogID
	if cid := sd.InviteRequest.CallID(); cid != nil {
		id.callID = cid.Value()
	}
	tag := func(params sip.HeaderParams) string {
		v, _ := params.Get("tag")
		return v
	}
	switch d.(type) {
	case *diago.DialogServerSession:
		// The UAS's copy of the INVITE carries its own To tag.
		if to := sd.InviteRequest.To(); to != nil {
			id.local = tag(to.Params)
		}
		if from := sd.InviteRequest.From(); from != nil {
			id.remote = tag(from.Params)
		}
	default:
		if from := sd.InviteRequest.From(); from != nil {
			id.local = tag(from.Params)
		}
		if sd.InviteResponse != nil {
			if to := sd.InviteResponse.To(); to != nil {
				id.remote = tag(to.Params)
			}
		}
	}
	return id
}

func newLeg(ref emulator.CallRef) *callLeg {
	return &callLeg{ref: ref, line: 1, decision: make(chan decision, 1), ring: make(chan struct{}, 1), hangupCh: make(chan struct{})}
}

func (l *callLeg) hangup() { l.once.Do(func() { close(l.hangupCh) }) }

func (l *callLeg) sendDTMF(d rune) {
	l.mu.Lock()
	m := l.media
	l.mu.Unlock()
	if m != nil {
		m.sendDTMF(d)
	}
}

func (l *callLeg) setMedia(m *callMedia) {
	l.mu.Lock()
	l.media = m
	l.mu.Unlock()
}

// established records the dialog and media of an answered call.
func (l *callLeg) established(d sipDialog, m *callMedia) {
	id := dialogIDOf(d)
	l.mu.Lock()
	l.dlg, l.id, l.media = d, id, m
	l.mu.Unlock()
}

// dialog returns the established dialog, or nil while ringing.
func (l *callLeg) dialog() sipDialog {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dlg
}

func (l *callLeg) dialogID() (dialogID, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.id, l.dlg != nil
}

func (l *callLeg) cancelled() bool {
	select {
	case <-l.hangupCh:
		return true
	default:
		return false
	}
}

// serveIncoming is diago's handler for a new INVITE. It must block for the
// whole call: when it returns diago sends BYE (answered) or 480 (not).
func (u *UA) serveIncoming(d *diago.DialogServerSession) {
	inv := d.InviteRequest
	// RFC 3891 §3: an INVITE with Replaces takes the place of one of our
	// dialogs; one that matches none is refused before it rings.
	var replaced *callLeg
	if hs := inv.GetHeaders("Replaces"); len(hs) > 0 {
		old, code := u.matchReplaces(hs)
		if old == nil {
			u.log.Info("INVITE with Replaces refused", "code", code, "replaces", hs[0].Value())
			_ = d.Respond(code, reasonPhrase(code), nil)
			return
		}
		replaced = old
	}

	ref := emulator.CallRef("i" + strconv.FormatUint(u.inSeq.Add(1), 10))
	leg := newLeg(ref)
	leg.line = u.lineFor(d.ToUser())
	if cid := d.InviteRequest.CallID(); cid != nil {
		leg.callID = cid.Value()
	}
	u.calls.Store(ref, leg)
	defer u.calls.Delete(ref)

	from, to := inv.From(), inv.To()
	in := emulator.SIPIncoming{Ref: ref, Line: leg.line}
	if cid := inv.CallID(); cid != nil {
		in.CallID = cid.Value()
	}
	if from != nil {
		in.RemoteURI, in.RemoteDisplay = uriString(from.Address), from.DisplayName
	}
	if to != nil {
		in.LocalURI, in.LocalDisplay = uriString(to.Address), to.DisplayName
	}
	if replaced != nil {
		// A replacing call is answered at once (RFC 3891 §3: it takes
		// over a call the user already accepted).
		_ = d.Trying()
		u.to.Post(in)
	} else {
		// Any other waits for the phone: it rings (180) or is answered
		// 486/302 at once, with nothing before. sipgo sends 100 Trying
		// itself if neither has gone out within 200 ms (RFC 3261
		// §17.2.1: "MUST generate a 100 (Trying) response unless it knows
		// that the TU will generate a provisional or final response
		// within 200 ms").
		u.to.Post(in)
		if !u.awaitAnswer(d, leg) {
			return
		}
	}

	med, err := d.Answer(diago.AnswerOptions{})
	if err != nil {
		code, reason := sipStatus(err)
		if reason == "" {
			reason = err.Error()
		}
		u.to.Post(emulator.SIPEnded{Ref: ref, Code: code, Reason: reason, ByRemote: d.Context().Err() != nil})
		return
	}
	m := u.startMedia(ref, med)
	leg.established(d, m)
	defer m.stop()
	u.to.Post(emulator.SIPAnswered{Ref: ref, Media: m.stats})
	if replaced != nil {
		// RFC 3891 §3: once the new dialog is confirmed, the replaced
		// one ends with BYE; its own goroutine reports SIPEnded.
		u.to.Post(emulator.SIPReplaced{Old: replaced.ref, New: ref})
		replaced.hangup()
	}
	u.talk(d.Context(), ref, leg, d.Hangup)
}

// awaitAnswer waits for the phone's decision on a new incoming call,
// sending 180 Ringing when the phone rings. It returns true to answer;
// otherwise it has sent the final response and reported SIPEnded.
func (u *UA) awaitAnswer(d *diago.DialogServerSession, leg *callLeg) bool {
	ref := leg.ref
	ring := leg.ring
	// ring180 sends the 180 once the phone rings (rang: Ring was
	// received; otherwise it is looked for). The phone's loop calls Ring
	// before anything else about the call, so it is checked first
	// whatever woke the select (Ring and an auto-answer come together).
	ring180 := func(rang bool) bool {
		if !rang && ring != nil {
			select {
			case <-ring:
				rang = true
			default:
			}
		}
		if !rang {
			return true
		}
		ring = nil
		if err := d.Ringing(); err != nil {
			u.to.Post(emulator.SIPEnded{Ref: ref, ByRemote: true, Reason: err.Error()})
			return false
		}
		return true
	}
	for {
		select {
		case <-ring:
			if !ring180(true) {
				return false
			}
			continue
		case dec := <-leg.decision:
			if !ring180(false) {
				return false
			}
			switch {
			case dec.answer:
				return true
			case dec.code == sip.StatusMovedTemporarily:
				u.redirect(d, leg, dec.target)
			default:
				code := dec.code
				if code == 0 {
					code = sip.StatusBusyHere
				}
				u.refuse(d, leg, code)
			}
		case <-leg.hangupCh:
			u.refuse(d, leg, statusDecline)
		case <-d.Context().Done():
			// CANCEL from the caller (RFC 3261 §9.2: the INVITE gets 487).
			u.to.Post(emulator.SIPEnded{Ref: ref, Code: sip.StatusRequestTerminated, Reason: "Request Terminated", ByRemote: true, Cancelled: true})
		case <-u.ctx.Done():
			_ = d.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
			u.to.Post(emulator.SIPEnded{Ref: ref, Code: sip.StatusServiceUnavailable, Reason: "phone shutting down"})
		}
		return false
	}
}

// talk waits for either side to end an established call.
func (u *UA) talk(dialogCtx context.Context, ref emulator.CallRef, leg *callLeg, hangup func(context.Context) error) {
	select {
	case <-dialogCtx.Done():
		u.to.Post(emulator.SIPEnded{Ref: ref, ByRemote: true, Reason: "remote hangup"})
	case <-leg.hangupCh:
		// The call is over for the phone now; the BYE's transaction
		// finishes here, off the phone's path (issue 7). The leg stays
		// in u.calls until then, so Stop waits for the BYE to go out.
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: "local hangup"})
		ctx, cancel := context.WithTimeout(context.Background(), u.opts.RequestTimeout)
		if err := hangup(ctx); err != nil {
			u.log.Info("BYE failed", "call", ref, "error", err)
		}
		cancel()
	case <-u.ctx.Done():
		ctx, cancel := context.WithTimeout(context.Background(), u.opts.RequestTimeout)
		_ = hangup(ctx)
		cancel()
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: "phone shutting down"})
	}
}

// runOutgoing places a dialled call from leg.line to target, with extra
// headers on the INVITE (Replaces for a call pickup).
func (u *UA) runOutgoing(leg *callLeg, target string, headers ...sip.Header) {
	ref := leg.ref
	lc, ok := u.lineCfg(leg.line)
	if !ok {
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: "line " + strconv.Itoa(leg.line) + " has no account"})
		return
	}
	recipient, err := u.requestURI(target, lc.Server)
	if err != nil {
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: err.Error()})
		return
	}
	d, err := u.dg.NewDialog(recipient, u.dialogOptions())
	if err != nil {
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: err.Error()})
		return
	}
	defer d.Close()
	u.placeCall(outgoing{leg: leg, account: lc, dialog: d, headers: headers})
}

// outgoing is a call we place: a dialled number, or the target of a REFER
// we received.
type outgoing struct {
	leg     *callLeg
	account emulator.LineConfig
	dialog  *diago.DialogClientSession
	headers []sip.Header // added to the INVITE (Referred-By, Replaces)
	// outcome, if set, learns how the INVITE ended as a SIP status line:
	// 200 OK once answered and ACKed, else the failure (for the NOTIFY
	// that ends a REFER's subscription, RFC 3515 §2.4.5).
	outcome func(code int, reason string)
	// redirects counts the 3xx answers followed so far.
	redirects int
	// callID is the Call-ID of the first INVITE, kept by the ones that
	// follow a redirect.
	callID string
}

// maxRedirects bounds how many 3xx answers one call follows, against loops.
const maxRedirects = 3

// redirectContact is the first Contact of a 301/302 answer to our INVITE.
func redirectContact(err error) (sip.Uri, bool) {
	var res *sip.Response
	var pe *sipgo.ErrDialogResponse
	var ve sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &pe) && pe.Res != nil:
		res = pe.Res
	case errors.As(err, &ve) && ve.Res != nil:
		res = ve.Res
	default:
		return sip.Uri{}, false
	}
	if res.StatusCode != sip.StatusMovedPermanently && res.StatusCode != sip.StatusMovedTemporarily {
		return sip.Uri{}, false
	}
	c := res.Contact()
	if c == nil || c.Address.Host == "" {
		return sip.Uri{}, false
	}
	return *c.Address.Clone(), true
}

// placeCall runs an outgoing call from INVITE to hang-up: INVITE (answering
// 401/407 with the line's credentials), progress on 180/183, ACK on 200,
// CANCEL when the user hangs up first (RFC 3261 §9.1).
func (u *UA) placeCall(o outgoing) {
	leg, d, lc := o.leg, o.dialog, o.account
	ref := leg.ref
	outcome := func(code int, reason string) {
		if o.outcome != nil {
			o.outcome(code, reason)
		}
	}
	// RemoteURI stays empty: the phone keeps the address it shows for the
	// number dialled (or the REFER's target).
	started := emulator.SIPCallStarted{Ref: ref}
	if cid := d.InviteRequest.CallID(); cid != nil {
		started.CallID = cid.Value()
	}

	ctx, cancel := context.WithCancel(u.ctx)
	defer cancel()
	go func() {
		select {
		case <-leg.hangupCh:
			if leg.dialog() == nil {
				// Not answered yet: the call ends for the phone now,
				// while CANCEL waits for the far end's 487 (up to
				// Timer B, 32 s, if it went away). talk reports a
				// call answered meanwhile; the phone ignores the
				// second report.
				u.to.Post(emulator.SIPEnded{Ref: ref, Code: sip.StatusRequestTerminated, Reason: "cancelled"})
			}
			cancel() // diago sends CANCEL when the INVITE's ctx ends early
		case <-ctx.Done():
		}
	}()

	opts := diago.InviteClientOptions{
		Username: lc.User,
		Password: lc.Password,
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode == sip.StatusRinging || res.StatusCode == sip.StatusSessionInProgress {
				leg.setEarly(o.dialog.InviteRequest, res)
				u.to.Post(emulator.SIPProgress{Ref: ref, Code: res.StatusCode})
			}
			return nil
		},
	}
	opts.WithCaller(lc.DisplayName, lc.User, hostOf(lc.Server))
	opts.Headers = append(opts.Headers, sip.NewHeader("User-Agent", u.opts.UserAgent))
	opts.Headers = append(opts.Headers, o.headers...)
	// The Call-ID is only known once sipgo builds the INVITE; report the
	// call placed right before sending it. A redirected INVITE is the same
	// call to another target and keeps its Call-ID (a new From tag makes it
	// a new dialog): nothing new to report.
	if d.InviteRequest.CallID() == nil {
		if o.callID == "" {
			o.callID = newCallID()
		}
		callID := sip.CallIDHeader(o.callID)
		d.InviteRequest.AppendHeader(&callID)
		started.CallID = o.callID
	}
	if o.redirects == 0 {
		u.to.Post(started)
	}

	// safely: diago panics on some malformed SDP in the answer (its
	// ConnectionInformation indexes unchecked fields).
	var med *diago.DialogMedia
	err := safely(func() (err error) {
		med, err = d.Invite(ctx, opts)
		return err
	})
	if err == nil {
		err = d.Ack(ctx)
	}
	if err != nil {
		// RFC 3261 §8.1.3.4: on 3xx a UAC may try the Contact it names
		// (how a forwarding phone passes the call on).
		if target, ok := redirectContact(err); ok && !leg.cancelled() && o.redirects < maxRedirects && o.outcome == nil {
			if nd, nerr := u.dg.NewDialog(target, u.dialogOptions()); nerr == nil {
				defer nd.Close()
				u.log.Info("following redirect", "call", ref, "to", uriString(target))
				o.dialog, o.redirects = nd, o.redirects+1
				u.placeCall(o)
				return
			}
		}
		code, reason := sipStatus(err)
		ended := emulator.SIPEnded{Ref: ref, Code: code, Reason: reason, ByRemote: code != 0}
		switch {
		case leg.cancelled():
			ended = emulator.SIPEnded{Ref: ref, Code: sip.StatusRequestTerminated, Reason: "cancelled"}
			code, reason = sip.StatusRequestTerminated, "Request Terminated"
		case code == 0:
			ended.Reason = err.Error()
			code, reason = sip.StatusServiceUnavailable, "Service Unavailable"
		}
		u.to.Post(ended)
		outcome(code, reason)
		return
	}
	m := u.startMedia(ref, med)
	leg.established(d, m)
	defer m.stop()
	var display string
	if to := d.InviteResponse.To(); to != nil {
		display = to.DisplayName
	}
	u.to.Post(emulator.SIPAnswered{Ref: ref, Media: m.stats, RemoteDisplay: display})
	outcome(sip.StatusOK, "OK")
	u.talk(d.Context(), ref, leg, d.Hangup)
}

func uriString(u sip.Uri) string {
	s := "sip:"
	if u.Scheme == "sips" {
		s = "sips:"
	}
	if u.User != "" {
		s += u.User + "@"
	}
	s += u.Host
	if u.Port != 0 {
		s += ":" + strconv.Itoa(u.Port)
	}
	return s
}

// newCallID is a random Call-ID without "@host" (RFC 3261 §20.8 makes the
// host part optional): it travels percent-encoded in Replaces, and baresip
// 1.0.0 prints Refer-To through a format string, so "%40p" came out as a
// pointer.
func newCallID() string {
	return sip.GenerateTagN(32)
}

// statusDecline is 603 Decline (RFC 3261 §21.6.2); sipgo has no constant.
const statusDecline = 603

// reasonPhrase is the RFC 3261 §21 phrase of the codes a phone answers with.
func reasonPhrase(code int) string {
	switch code {
	case 302:
		return "Moved Temporarily"
	case 400:
		return "Bad Request"
	case 480:
		return "Temporarily Unavailable"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 503:
		return "Service Unavailable"
	case 603:
		return "Decline"
	}
	return "Rejected"
}
