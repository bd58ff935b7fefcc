package sipua

import (
	"context"
	"strconv"
	"sync"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
)

// callLeg is one call's SIP side. Its goroutine owns the dialog; the phone's
// loop talks to it through the channels.
type callLeg struct {
	ref      emulator.CallRef
	decision chan decision // incoming: answer or reject, from the phone
	hangupCh chan struct{} // closed when the user hangs up
	once     sync.Once

	mu    sync.Mutex
	media *callMedia // set once established
}

type decision struct {
	answer bool
	code   int // reject code when !answer
}

func newLeg(ref emulator.CallRef) *callLeg {
	return &callLeg{ref: ref, decision: make(chan decision, 1), hangupCh: make(chan struct{})}
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

// serveIncoming is diago's handler for a new INVITE. It must block for the
// whole call: when it returns diago sends BYE (answered) or 480 (not).
func (u *UA) serveIncoming(d *diago.DialogServerSession) {
	ref := emulator.CallRef("i" + strconv.FormatUint(u.inSeq.Add(1), 10))
	leg := newLeg(ref)
	u.calls.Store(ref, leg)
	defer u.calls.Delete(ref)

	inv := d.InviteRequest
	from, to := inv.From(), inv.To()
	in := emulator.SIPIncoming{Ref: ref, Line: u.lineFor(d.ToUser())}
	if cid := inv.CallID(); cid != nil {
		in.CallID = cid.Value()
	}
	if from != nil {
		in.RemoteURI, in.RemoteDisplay = uriString(from.Address), from.DisplayName
	}
	if to != nil {
		in.LocalURI, in.LocalDisplay = uriString(to.Address), to.DisplayName
	}
	_ = d.Trying()
	u.to.Post(in)
	if err := d.Ringing(); err != nil {
		u.to.Post(emulator.SIPEnded{Ref: ref, ByRemote: true, Reason: err.Error()})
		return
	}

	select {
	case dec := <-leg.decision:
		if !dec.answer {
			code := dec.code
			if code == 0 {
				code = sip.StatusBusyHere
			}
			err := d.Respond(code, reasonPhrase(code), nil)
			u.to.Post(emulator.SIPEnded{Ref: ref, Code: code, Reason: reasonPhrase(code), ByRemote: false})
			if err != nil {
				u.log.Debug("reject failed", "call", ref, "error", err)
			}
			return
		}
	case <-leg.hangupCh:
		_ = d.Respond(statusDecline, "Decline", nil)
		u.to.Post(emulator.SIPEnded{Ref: ref, Code: statusDecline, Reason: "Decline"})
		return
	case <-d.Context().Done():
		// CANCEL from the caller (RFC 3261 §9.2: the INVITE gets 487).
		u.to.Post(emulator.SIPEnded{Ref: ref, Code: sip.StatusRequestTerminated, Reason: "Request Terminated", ByRemote: true, Cancelled: true})
		return
	case <-u.ctx.Done():
		_ = d.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
		u.to.Post(emulator.SIPEnded{Ref: ref, Code: sip.StatusServiceUnavailable, Reason: "phone shutting down"})
		return
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
	leg.setMedia(m)
	defer m.stop()
	u.to.Post(emulator.SIPAnswered{Ref: ref, Media: m.stats})
	u.talk(d.Context(), ref, leg, d.Hangup)
}

// talk waits for either side to end an established call.
func (u *UA) talk(dialogCtx context.Context, ref emulator.CallRef, leg *callLeg, hangup func(context.Context) error) {
	select {
	case <-dialogCtx.Done():
		u.to.Post(emulator.SIPEnded{Ref: ref, ByRemote: true, Reason: "remote hangup"})
	case <-leg.hangupCh:
		ctx, cancel := context.WithTimeout(context.Background(), u.opts.RequestTimeout)
		err := hangup(ctx)
		cancel()
		reason := "local hangup"
		if err != nil {
			reason = "local hangup (BYE failed: " + err.Error() + ")"
		}
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: reason})
	case <-u.ctx.Done():
		ctx, cancel := context.WithTimeout(context.Background(), u.opts.RequestTimeout)
		_ = hangup(ctx)
		cancel()
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: "phone shutting down"})
	}
}

// runOutgoing places a call: INVITE (answering 401/407 with the line's
// credentials), ringback on 180/183, ACK on 200, CANCEL when the user hangs
// up first (RFC 3261 §9.1).
func (u *UA) runOutgoing(leg *callLeg, line int, target string) {
	ref := leg.ref
	lc, ok := u.lineCfg(line)
	if !ok {
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: "line " + strconv.Itoa(line) + " has no account"})
		return
	}
	recipient, err := uriFor(target, lc.Server)
	if err != nil {
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: err.Error()})
		return
	}
	d, err := u.dg.NewDialog(recipient, diago.NewDialogOptions{})
	if err != nil {
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: err.Error()})
		return
	}
	defer d.Close()
	started := emulator.SIPCallStarted{Ref: ref}
	if cid := d.InviteRequest.CallID(); cid != nil {
		started.CallID = cid.Value()
	}

	ctx, cancel := context.WithCancel(u.ctx)
	defer cancel()
	go func() {
		select {
		case <-leg.hangupCh:
			cancel() // diago sends CANCEL when the INVITE's ctx ends early
		case <-ctx.Done():
		}
	}()

	opts := diago.InviteClientOptions{
		Username: lc.User,
		Password: lc.Password,
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode == sip.StatusRinging || res.StatusCode == sip.StatusSessionInProgress {
				u.to.Post(emulator.SIPProgress{Ref: ref, Code: res.StatusCode})
			}
			return nil
		},
	}
	opts.WithCaller(lc.DisplayName, lc.User, hostOf(lc.Server))
	opts.Headers = append(opts.Headers, sip.NewHeader("User-Agent", u.opts.UserAgent))
	// The Call-ID is only known once sipgo builds the INVITE; report the
	// call placed right before sending it.
	if d.InviteRequest.CallID() == nil {
		callID := sip.CallIDHeader(newCallID())
		d.InviteRequest.AppendHeader(&callID)
		started.CallID = string(callID)
	}
	u.to.Post(started)

	med, err := d.Invite(ctx, opts)
	if err == nil {
		err = d.Ack(ctx)
	}
	if err != nil {
		code, reason := sipStatus(err)
		ended := emulator.SIPEnded{Ref: ref, Code: code, Reason: reason, ByRemote: code != 0}
		switch {
		case leg.cancelled():
			ended = emulator.SIPEnded{Ref: ref, Code: sip.StatusRequestTerminated, Reason: "cancelled"}
		case code == 0:
			ended.Reason = err.Error()
		}
		u.to.Post(ended)
		return
	}
	m := u.startMedia(ref, med)
	leg.setMedia(m)
	defer m.stop()
	var display string
	if to := d.InviteResponse.To(); to != nil {
		display = to.DisplayName
	}
	u.to.Post(emulator.SIPAnswered{Ref: ref, Media: m.stats, RemoteDisplay: display})
	u.talk(d.Context(), ref, leg, d.Hangup)
}

func (l *callLeg) cancelled() bool {
	select {
	case <-l.hangupCh:
		return true
	default:
		return false
	}
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

func hostOf(server string) string {
	var u sip.Uri
	if err := sip.ParseUri("sip:"+server, &u); err == nil {
		return u.Host
	}
	return server
}

func newCallID() string {
	return sip.GenerateTagN(24) + "@phonesim"
}

// statusDecline is 603 Decline (RFC 3261 §21.6.2); sipgo has no constant.
const statusDecline = 603

// reasonPhrase is the RFC 3261 §21 phrase of the codes a phone answers with.
func reasonPhrase(code int) string {
	switch code {
	case 480:
		return "Temporarily Unavailable"
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
