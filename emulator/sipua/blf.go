package sipua

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/dialoginfo"
)

// BLF: a DSS key watches another extension through the dialog event
// package (RFC 4235 over RFC 6665 SUBSCRIBE/NOTIFY) and shows its lamp.

// blfExpires is the subscription length asked for; it is refreshed at 3/4.
const blfExpires = 600 * time.Second

// watch is one BLF subscription.
type watch struct {
	key    int
	callID string          // of the current SUBSCRIBE dialog; NOTIFYs match on it
	ctx    context.Context // ended by Unwatch, a new Watch of the key, or Stop
	// dialog is the last accepted subscription (keepWatching's goroutine
	// only), ended in-dialog when the watch stops.
	dialog *sip.Request

	// The dialog-info version last shown, per subscription (RFC 4235
	// §4.1: versions "allow the recipient ... to properly order" the
	// documents and "are scoped within a subscription"). sipgo handles
	// each NOTIFY on its own goroutine, so two can reach the phone in
	// either order; an older one must not undo a newer lamp.
	mu          sync.Mutex
	shownCallID string
	shownVer    int
}

// fresh reports whether a document of this version, in the subscription
// callID, is newer than what the key shows, and takes it as shown. Call
// with wt.mu held.
func (wt *watch) fresh(callID string, version int) bool {
	if callID == wt.shownCallID && version <= wt.shownVer {
		return false
	}
	wt.shownCallID, wt.shownVer = callID, version
	return true
}

type watches struct {
	mu     sync.Mutex
	byCall map[string]*watch
	byKey  map[int]context.CancelFunc // ends a key's keepWatching
}

// replace makes cancel the one subscription of key, ending the one before.
func (w *watches) replace(key int, cancel context.CancelFunc) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byKey == nil {
		w.byKey = map[int]context.CancelFunc{}
	}
	if old := w.byKey[key]; old != nil {
		old()
	}
	if cancel == nil {
		delete(w.byKey, key)
	} else {
		w.byKey[key] = cancel
	}
	// NOTIFYs of the old subscription no longer light the key.
	for id, wt := range w.byCall {
		if wt.key == key {
			delete(w.byCall, id)
		}
	}
}

func (w *watches) set(callID string, wt *watch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byCall == nil {
		w.byCall = map[string]*watch{}
	}
	if wt.callID != "" {
		delete(w.byCall, wt.callID)
	}
	wt.callID = callID
	w.byCall[callID] = wt
}

func (w *watches) get(callID string) *watch {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.byCall[callID]
}

// Watch implements emulator.Signaling: subscribe to target's dialogs for
// DSS key `key`, with line's account, until Stop; lamp states come back as
// SIPDialogState.
func (u *UA) Watch(key, line int, target string) {
	lc, ok := u.lineCfg(line)
	if !ok {
		return
	}
	if u.ctx == nil {
		return
	}
	ctx, cancel := context.WithCancel(u.ctx)
	wt := &watch{key: key, ctx: ctx}
	u.blf.replace(key, cancel)
	if !u.goCall(func() { defer cancel(); u.keepWatching(ctx, wt, lc, target) }) {
		cancel()
	}
}

// Unwatch implements emulator.Signaling: key's subscription ends (its
// goroutine unsubscribes).
func (u *UA) Unwatch(key int) { u.blf.replace(key, nil) }

func (u *UA) keepWatching(ctx context.Context, wt *watch, lc emulator.LineConfig, target string) {
	recipient, err := u.requestURI(target, lc.Server)
	if err != nil {
		u.log.Warn("BLF target", "key", wt.key, "error", err)
		return
	}
	// Over UDP the SUBSCRIBE leaves from the phone's SIP socket; over TCP
	// from a new connection on the phone's IP (its listening port is taken).
	port := u.port
	if u.opts.Transport != "udp" {
		port = 0
	}
	client, err := sipgo.NewClient(u.ua, sipgo.WithClientNAT(), sipgo.WithClientLogger(u.log),
		sipgo.WithClientConnectionAddr(net.JoinHostPort(u.opts.IP, strconv.Itoa(port))))
	if err != nil {
		u.log.Warn("BLF client", "error", err)
		return
	}
	backoff := u.opts.RetryMin
	for ctx.Err() == nil {
		expires, err := u.subscribe(ctx, client, wt, lc, recipient, blfExpires)
		if err != nil {
			u.log.Info("BLF subscribe failed", "key", wt.key, "target", target, "error", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				break
			}
			backoff = min(2*backoff, u.opts.RetryMax)
			continue
		}
		backoff = u.opts.RetryMin
		if !sleep(ctx, refreshIn(expires)) {
			break
		}
	}
	// Unsubscribe, best effort: the key changed or the phone is stopping.
	uctx, cancel := context.WithTimeout(context.Background(), u.opts.RequestTimeout)
	defer cancel()
	u.unsubscribe(uctx, client, wt)
}

// unsubscribe ends the watch's subscription within its dialog: "A
// subscriber may unsubscribe by sending a SUBSCRIBE request with an
// 'Expires' header field of 0" (RFC 6665 §4.1.2.3), with the dialog's
// Call-ID, tags and the next CSeq (RFC 3261 §12.2.1.1). A new dialog
// with Expires 0 would only be a fetch (§4.4.3) and leave the old
// subscription to run out at the notifier.
func (u *UA) unsubscribe(ctx context.Context, client *sipgo.Client, wt *watch) {
	d := wt.dialog
	if d == nil {
		return
	}
	req := sip.NewRequest(sip.SUBSCRIBE, d.Recipient)
	for _, name := range []string{"From", "To", "Call-ID", "Contact", "Event", "Accept", "User-Agent"} {
		for _, h := range d.GetHeaders(name) {
			req.AppendHeader(sip.HeaderClone(h))
		}
	}
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.CSeq().SeqNo + 1, MethodName: sip.SUBSCRIBE})
	req.AppendHeader(sip.NewHeader("Expires", "0"))
	res, err := client.Do(ctx, req)
	if err != nil || !res.IsSuccess() {
		u.log.Debug("BLF unsubscribe", "key", wt.key, "error", err, "response", res)
	}
}

// subscribe sends one SUBSCRIBE (a new dialog each time, answering a
// digest challenge with the line's credentials) and returns the granted
// expiry.
func (u *UA) subscribe(ctx context.Context, client *sipgo.Client, wt *watch, lc emulator.LineConfig, recipient sip.Uri, expires time.Duration) (time.Duration, error) {
	req := sip.NewRequest(sip.SUBSCRIBE, recipient)
	aor := sip.Uri{Scheme: "sip", User: lc.User, Host: hostOf(lc.Server)}
	from := &sip.FromHeader{DisplayName: lc.DisplayName, Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: recipient.User, Host: recipient.Host}, Params: sip.NewParams()})
	callID := sip.CallIDHeader(newCallID())
	req.AppendHeader(&callID)
	// The NOTIFYs must come over our transport.
	contact := &sip.ContactHeader{Address: u.withTransport(sip.Uri{Scheme: "sip", User: lc.User, Host: u.opts.IP, Port: u.port})}
	req.AppendHeader(contact)
	req.AppendHeader(sip.NewHeader("Event", "dialog"))
	req.AppendHeader(sip.NewHeader("Accept", "application/dialog-info+xml"))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires.Seconds()))))
	req.AppendHeader(sip.NewHeader("User-Agent", u.opts.UserAgent))
	if expires > 0 {
		// NOTIFYs may arrive before the 200: route them already.
		u.blf.set(string(callID), wt)
	}
	rctx, cancel := context.WithTimeout(ctx, u.opts.RequestTimeout)
	defer cancel()
	res, err := client.Do(rctx, req)
	if err == nil && (res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired) {
		res, err = client.DoDigestAuth(rctx, req, res, sipgo.DigestAuth{Username: lc.User, Password: lc.Password})
	}
	if err != nil {
		return 0, err
	}
	if !res.IsSuccess() {
		return 0, &subscribeError{code: res.StatusCode, reason: res.Reason}
	}
	if expires > 0 {
		// The dialog as the notifier made it: its To tag, and the CSeq
		// that digest auth may have raised. The request goes where the
		// SUBSCRIBE went (the registrar), over the same transport.
		d := req.Clone()
		d.ReplaceHeader(sip.HeaderClone(res.To()))
		if c := res.CSeq(); c != nil {
			d.ReplaceHeader(sip.HeaderClone(c))
		}
		wt.dialog = d
	}
	granted := expires
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
			granted = time.Duration(n) * time.Second
		}
	}
	return granted, nil
}

type subscribeError struct {
	code   int
	reason string
}

func (e *subscribeError) Error() string {
	return "SUBSCRIBE answered " + strconv.Itoa(e.code) + " " + e.reason
}

// handleDialogNotify takes a NOTIFY of a BLF subscription (Event: dialog):
// 200, then the watched extension's lamp state goes to the phone. It
// reports false for requests that are not ours.
func (u *UA) handleDialogNotify(req *sip.Request, tx sip.ServerTransaction) bool {
	if !isNotifyFor(req, "dialog") {
		return false
	}
	cid := req.CallID()
	if cid == nil {
		return false
	}
	wt := u.blf.get(cid.Value())
	if wt == nil || (wt.ctx != nil && wt.ctx.Err() != nil && u.ctx.Err() == nil) {
		// Not ours, or a subscription the key no longer has (RFC 6665
		// §4.1.3: a NOTIFY for no subscription gets 481).
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		return true
	}
	if len(req.Body()) == 0 {
		// A NOTIFY without a body (e.g. the final one): nothing to show.
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
		return true
	}
	info, err := dialoginfo.Parse(req.Body())
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad dialog-info", nil))
		return true
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	// Checked and posted under one lock, so the loop gets the documents
	// in version order.
	wt.mu.Lock()
	defer wt.mu.Unlock()
	if !wt.fresh(cid.Value(), info.Version) {
		u.log.Debug("BLF: stale dialog-info dropped", "key", wt.key, "version", info.Version, "shown", wt.shownVer)
		return true
	}
	st := emulator.SIPDialogState{Key: wt.key, State: info.LampState()}
	if st.State == dialoginfo.LampRinging {
		st.PickupTarget, st.PickupReplaces = pickupOf(info)
	}
	u.to.Post(st)
	return true
}

// pickupOf finds the call ringing at the watched extension and says how to
// take it (RFC 5359 §2.11, RFC 3891): an INVITE to the caller with Replaces
// naming the early dialog, early-only. The caller is the dialog's remote
// party; the tags are the caller's (from) and the watched phone's (to).
func pickupOf(info dialoginfo.Info) (target, replaces string) {
	for _, d := range info.Dialogs {
		switch d.State {
		case dialoginfo.DialogTrying, dialoginfo.DialogProceeding, dialoginfo.DialogEarly:
		default:
			continue
		}
		// Replaces needs both tags (RFC 3891 §6.1): a dialog still in
		// trying has no To tag yet, so it cannot be picked up.
		if d.Direction == dialoginfo.DirectionInitiator || d.CallID == "" || d.RemoteIdentity == "" ||
			d.LocalTag == "" || d.RemoteTag == "" {
			continue
		}
		r := d.CallID + ";to-tag=" + d.LocalTag + ";from-tag=" + d.RemoteTag + ";early-only"
		return pickupTarget(d.RemoteIdentity), r
	}
	return "", ""
}

// pickupTarget is the caller to send the pickup INVITE to. Its AOR
// (sip:1003@pbx) names the PBX's domain, not where the PBX listens, so the
// user alone goes out through our line's server, as phones send every call
// to their outbound proxy.
func pickupTarget(identity string) string {
	var u sip.Uri
	if err := sip.ParseUri(identity, &u); err == nil && u.User != "" {
		return u.User
	}
	return identity
}

// Pickup implements emulator.Signaling: call target with a Replaces header
// (a directed call pickup); reported like a dialled call.
func (u *UA) Pickup(ref emulator.CallRef, line int, target, replaces string) {
	leg := newLeg(ref)
	leg.line = line
	u.calls.Store(ref, leg)
	ok := u.goCall(func() {
		defer u.calls.Delete(ref)
		u.runOutgoing(leg, target, sip.NewHeader("Replaces", replaces))
	})
	if !ok {
		u.calls.Delete(ref)
		u.to.Post(emulator.SIPEnded{Ref: ref, Reason: "phone shutting down"})
	}
}
