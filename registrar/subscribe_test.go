package registrar

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/phonesim/phonesim/internal/dialoginfo"
)

// BLF through the registrar: a plain sipgo UA subscribes to the dialog
// event package of a user (RFC 4235, RFC 6665) and reads the NOTIFYs, while
// diago phones call each other through the proxy.

// watcher is a subscriber: a raw UA that answers NOTIFYs with reply (200
// unless changed) and keeps the subscription dialog it set up.
type watcher struct {
	t        testing.TB
	ua       *rawUA
	user     string // who subscribes
	notifies chan *sip.Request
	reply    atomic.Int32

	// the subscription dialog, from the 200 to the initial SUBSCRIBE
	target  sip.Uri // Request-URI of in-dialog SUBSCRIBEs: the registrar's Contact
	from    *sip.FromHeader
	to      *sip.ToHeader
	callID  string
	cseq    uint32
	event   string
	lastSeq uint32 // CSeq of the last NOTIFY seen
	version int    // version of the last document seen; -1 before the first
}

func newWatcher(t testing.TB, user string) *watcher {
	w := &watcher{t: t, user: user, notifies: make(chan *sip.Request, 64), version: -1, event: "dialog"}
	w.reply.Store(sip.StatusOK)
	w.ua = newRawUA(t, "watcher-"+user, func(s *sipgo.Server) {
		s.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
			// Queue it before answering: sipgo runs each request on its own
			// goroutine, and the registrar sends the next NOTIFY as soon as
			// it has our answer.
			select {
			case w.notifies <- req:
			default: // a dropped one shows as a version gap in next
			}
			_ = tx.Respond(sip.NewResponseFromRequest(req, int(w.reply.Load()), "Test", nil))
		})
	})
	return w
}

// newSubscribe builds an initial SUBSCRIBE from w.user for user's dialogs.
func (w *watcher) newSubscribe(r *Registrar, user string, expires int) *sip.Request {
	req := newRequest(sip.SUBSCRIBE, userURI(w.t, r, user), w.user)
	req.AppendHeader(&sip.ToHeader{Address: userURI(w.t, r, user), Params: sip.NewParams()})
	callID := sip.CallIDHeader("blf-" + sip.GenerateTagN(12))
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.SUBSCRIBE})
	req.AppendHeader(&sip.ContactHeader{Address: w.ua.contact(w.user)})
	req.AppendHeader(sip.NewHeader("Event", w.event))
	req.AppendHeader(sip.NewHeader("Accept", dialoginfo.ContentType))
	if expires >= 0 {
		e := sip.ExpiresHeader(expires)
		req.AppendHeader(&e)
	}
	return req
}

// subscribe subscribes to user (answering the 407 with w.user's password)
// and, on 200, remembers the dialog.
func (w *watcher) subscribe(r *Registrar, user string, expires int) *sip.Response {
	w.t.Helper()
	req := w.newSubscribe(r, user, expires)
	res := w.ua.doAuth(req, w.user, testUsers[w.user])
	if res.StatusCode == sip.StatusOK {
		w.from = req.From()
		w.to = res.To()
		w.callID = req.CallID().Value()
		w.cseq = req.CSeq().SeqNo
		if c := res.Contact(); c != nil {
			w.target = *c.Address.Clone()
		} else {
			w.t.Error("200 to SUBSCRIBE has no Contact")
		}
	}
	return res
}

// resubscribe sends a SUBSCRIBE within the dialog: refresh, or unsubscribe
// with expires 0.
func (w *watcher) resubscribe(expires int) *sip.Response {
	w.t.Helper()
	w.cseq++
	req := sip.NewRequest(sip.SUBSCRIBE, *w.target.Clone())
	req.AppendHeader(sip.HeaderClone(w.from))
	req.AppendHeader(sip.HeaderClone(w.to))
	callID := sip.CallIDHeader(w.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: w.cseq, MethodName: sip.SUBSCRIBE})
	req.AppendHeader(&sip.ContactHeader{Address: w.ua.contact(w.user)})
	req.AppendHeader(sip.NewHeader("Event", w.event))
	e := sip.ExpiresHeader(expires)
	req.AppendHeader(&e)
	return w.ua.do(req)
}

// next waits for the next NOTIFY, checks it belongs to the subscription
// dialog and carries the next document, and returns it parsed with its
// Subscription-State.
func (w *watcher) next(timeout time.Duration) (dialoginfo.Info, string) {
	w.t.Helper()
	var req *sip.Request
	select {
	case req = <-w.notifies:
	case <-time.After(timeout):
		w.t.Fatalf("no NOTIFY within %v", timeout)
	}
	// RFC 6665 §4.2.2 / RFC 3261 §12.2.1.1: within the SUBSCRIBE dialog,
	// tags swapped, increasing CSeq, to our Contact.
	if req.CallID().Value() != w.callID {
		w.t.Errorf("NOTIFY Call-ID %q, want the SUBSCRIBE's %q", req.CallID().Value(), w.callID)
	}
	wantLocal, _ := w.from.Params.Get("tag")
	wantRemote, _ := w.to.Params.Get("tag")
	if tag, _ := req.To().Params.Get("tag"); tag != wantLocal {
		w.t.Errorf("NOTIFY To tag %q, want our From tag %q", tag, wantLocal)
	}
	if tag, _ := req.From().Params.Get("tag"); tag != wantRemote || tag == "" {
		w.t.Errorf("NOTIFY From tag %q, want the 200's To tag %q", tag, wantRemote)
	}
	if req.Recipient.Port != w.ua.port || req.Recipient.User != w.user {
		w.t.Errorf("NOTIFY Request-URI %s, want our Contact", req.Recipient.String())
	}
	if seq := req.CSeq().SeqNo; seq <= w.lastSeq {
		w.t.Errorf("NOTIFY CSeq %d after %d", seq, w.lastSeq)
	} else {
		w.lastSeq = seq
	}
	if ev := req.GetHeader("Event"); ev == nil || ev.Value() != w.event {
		w.t.Errorf("NOTIFY Event %v, want %q", ev, w.event)
	}
	if ct := req.ContentType(); ct == nil || ct.Value() != dialoginfo.ContentType {
		w.t.Errorf("NOTIFY Content-Type %v", ct)
	}
	ss := req.GetHeader("Subscription-State")
	if ss == nil {
		w.t.Fatal("NOTIFY without Subscription-State")
	}
	info, err := dialoginfo.Parse(req.Body())
	if err != nil {
		w.t.Fatalf("NOTIFY body: %v\n%s", err, req.Body())
	}
	// RFC 4235 §4.1: versions start at 0 and go up by one per document.
	if info.Version != w.version+1 {
		w.t.Errorf("document version %d after %d", info.Version, w.version)
	}
	w.version = info.Version
	if info.State != dialoginfo.StateFull {
		w.t.Errorf("document state %q, want full", info.State)
	}
	return info, ss.Value()
}

// expectNone checks that no NOTIFY comes within d.
func (w *watcher) expectNone(d time.Duration) {
	w.t.Helper()
	select {
	case req := <-w.notifies:
		w.t.Fatalf("unexpected NOTIFY:\n%s", req.String())
	case <-time.After(d):
	}
}

// activeExpires parses "active;expires=N".
func activeExpires(t testing.TB, state string) int {
	t.Helper()
	rest, ok := strings.CutPrefix(state, "active;expires=")
	n, err := strconv.Atoi(rest)
	if !ok || err != nil {
		t.Fatalf("Subscription-State %q, want active;expires=N", state)
	}
	return n
}

// ringingPhone rings on every call and answers when answer is closed.
func ringingPhone(t *testing.T, user string, answer <-chan struct{}) *phone {
	ctx, cancel := context.WithCancel(context.Background())
	p := newPhone(t, user, func(d *diago.DialogServerSession) {
		if err := d.Ringing(); err != nil {
			return
		}
		select {
		case <-answer:
		case <-d.Context().Done():
			return
		case <-ctx.Done():
			return
		}
		if _, err := d.Answer(diago.AnswerOptions{}); err != nil {
			return
		}
		select {
		case <-d.Context().Done():
		case <-ctx.Done():
		}
	})
	t.Cleanup(cancel) // runs before the phone's own cleanup waits for this function
	return p
}

func TestBLFLampFollowsCall(t *testing.T) {
	r := startRegistrar(t, Config{})
	answer := make(chan struct{})
	callee := ringingPhone(t, "1002", answer)
	callee.register(r, testUsers["1002"])
	caller := newPhone(t, "1001", nil)
	caller.register(r, testUsers["1001"])

	// 1003 watches the callee, 1002 watches the caller.
	onCallee := newWatcher(t, "1003")
	if res := onCallee.subscribe(r, "1002", 600); res.StatusCode != sip.StatusOK {
		t.Fatalf("SUBSCRIBE 1002: %s", res.StartLine())
	} else if exp := res.GetHeader("Expires"); exp == nil || exp.Value() != "600" {
		t.Errorf("200 to SUBSCRIBE: Expires %v, want 600", exp)
	}
	onCaller := newWatcher(t, "1002")
	if res := onCaller.subscribe(r, "1001", -1); res.StatusCode != sip.StatusOK {
		t.Fatalf("SUBSCRIBE 1001: %s", res.StartLine())
	} else if exp := res.GetHeader("Expires"); exp == nil || exp.Value() != "3600" {
		t.Errorf("200 to SUBSCRIBE without Expires: Expires %v, want the default 3600", exp)
	}

	// RFC 6665 §4.2.2: an immediate NOTIFY with the current state.
	info, state := onCallee.next(3 * time.Second)
	if info.LampState() != dialoginfo.LampIdle || len(info.Dialogs) != 0 || info.Version != 0 {
		t.Fatalf("first NOTIFY: %+v, want version 0, idle, no dialog", info)
	}
	if entity := userURI(t, r, "1002"); info.Entity != entity.String() {
		t.Errorf("entity %q, want %q", info.Entity, entity.String())
	}
	if n := activeExpires(t, state); n < 598 || n > 600 {
		t.Errorf("Subscription-State %q, want about 600 s left", state)
	}
	if info, _ := onCaller.next(3 * time.Second); info.LampState() != dialoginfo.LampIdle {
		t.Fatalf("first NOTIFY for 1001: %+v", info)
	}

	// 1001 calls 1002; the call rings until we answer.
	type result struct {
		d   *diago.DialogClientSession
		err error
	}
	called := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		d, _, err := caller.dg.Invite(ctx, userURI(t, r, "1002"), diago.InviteOptions{Username: "1001", Password: testUsers["1001"]})
		called <- result{d, err}
	}()

	// lamps collects the lamp states of w's NOTIFYs, without repeats, from
	// the lamp shown so far up to and including until; it returns the last
	// document.
	lamps := func(w *watcher, from, until string) ([]string, dialoginfo.Info) {
		t.Helper()
		seen := []string{from}
		for {
			info, state := w.next(5 * time.Second)
			activeExpires(t, state)
			lamp := info.LampState()
			if lamp != seen[len(seen)-1] {
				seen = append(seen, lamp)
			}
			if lamp == until {
				return seen, info
			}
			if len(seen) > 4 {
				t.Fatalf("lamp went %v", seen)
			}
		}
	}

	seq, ringing := lamps(onCallee, dialoginfo.LampIdle, dialoginfo.LampRinging)
	if len(ringing.Dialogs) != 1 {
		t.Fatalf("ringing document has %d dialogs: %+v", len(ringing.Dialogs), ringing)
	}
	d := ringing.Dialogs[0]
	in := callee.waitCall(3 * time.Second)
	if d.Direction != dialoginfo.DirectionRecipient || d.CallID != in.InviteRequest.CallID().Value() ||
		!strings.Contains(d.RemoteIdentity, "1001") || !strings.Contains(d.LocalIdentity, "1002") {
		t.Errorf("ringing dialog %+v does not describe the call from 1001", d)
	}
	if fromTag, _ := in.InviteRequest.From().Params.Get("tag"); d.RemoteTag != fromTag {
		t.Errorf("ringing dialog remote-tag %q, want the caller's tag %q", d.RemoteTag, fromTag)
	}

	close(answer)
	var res result
	select {
	case res = <-called:
	case <-time.After(10 * time.Second):
		t.Fatal("call not answered")
	}
	if res.err != nil {
		t.Fatalf("INVITE: %v", res.err)
	}
	defer res.d.Close()
	seq2, busy := lamps(onCallee, dialoginfo.LampRinging, dialoginfo.LampBusy)
	seq = append(seq, seq2[1:]...)
	if b := busy.Dialogs[0]; b.State != dialoginfo.DialogConfirmed || b.LocalTag == "" || b.RemoteTag == "" {
		t.Errorf("busy dialog %+v, want confirmed with both tags", b)
	}

	if err := res.d.Hangup(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	seq2, idle := lamps(onCallee, dialoginfo.LampBusy, dialoginfo.LampIdle)
	seq = append(seq, seq2[1:]...)
	if want := []string{"idle", "ringing", "busy", "idle"}; strings.Join(seq, " ") != strings.Join(want, " ") {
		t.Errorf("callee's lamp went %v, want %v", seq, want)
	}
	// The last document shows the call once more, as ended by the caller.
	if len(idle.Dialogs) != 1 || idle.Dialogs[0].State != dialoginfo.DialogTerminated || idle.Dialogs[0].Event != "remote-bye" {
		t.Errorf("final document %+v, want the call terminated by remote-bye", idle.Dialogs)
	}

	// The caller's lamp is busy from the INVITE on, never ringing.
	callerSeq, _ := lamps(onCaller, dialoginfo.LampIdle, dialoginfo.LampBusy)
	rest, _ := lamps(onCaller, dialoginfo.LampBusy, dialoginfo.LampIdle)
	callerSeq = append(callerSeq, rest[1:]...)
	if want := []string{"idle", "busy", "idle"}; strings.Join(callerSeq, " ") != strings.Join(want, " ") {
		t.Errorf("caller's lamp went %v, want %v", callerSeq, want)
	}
}

func TestBLFCancelledCall(t *testing.T) {
	r := startRegistrar(t, Config{})
	callee := ringingPhone(t, "1002", nil) // never answers
	callee.register(r, testUsers["1002"])
	caller := newPhone(t, "1001", nil)
	caller.register(r, testUsers["1001"])
	w := newWatcher(t, "1003")
	if res := w.subscribe(r, "1002", 600); res.StatusCode != sip.StatusOK {
		t.Fatalf("SUBSCRIBE: %s", res.StartLine())
	}
	w.next(3 * time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := caller.dg.Invite(ctx, userURI(t, r, "1002"), diago.InviteOptions{Username: "1001", Password: testUsers["1001"]})
		done <- err
	}()
	for {
		info, _ := w.next(5 * time.Second)
		if info.LampState() == dialoginfo.LampRinging {
			break
		}
	}
	cancel() // the caller hangs up while it rings: CANCEL
	if err := <-done; err == nil {
		t.Fatal("cancelled INVITE succeeded")
	}
	for {
		info, _ := w.next(5 * time.Second)
		if info.LampState() == dialoginfo.LampIdle {
			if len(info.Dialogs) != 1 || info.Dialogs[0].Event != "cancelled" {
				t.Errorf("final document %+v, want the call cancelled", info.Dialogs)
			}
			return
		}
		if info.LampState() != dialoginfo.LampRinging {
			t.Fatalf("lamp %q after CANCEL", info.LampState())
		}
	}
}

func TestBLFRefreshAndUnsubscribe(t *testing.T) {
	r := startRegistrar(t, Config{})
	w := newWatcher(t, "1001")
	w.event = "dialog;id=key7"
	if res := w.subscribe(r, "1002", 600); res.StatusCode != sip.StatusOK {
		t.Fatalf("SUBSCRIBE: %s", res.StartLine())
	}
	w.next(3 * time.Second) // checks the Event id is echoed
	if subs := r.Subscriptions(); len(subs) != 1 || subs[0].User != "1002" || subs[0].Subscriber != "1001" {
		t.Fatalf("Subscriptions() = %+v", subs)
	}

	// Refresh: 200 and a new NOTIFY with the next version (RFC 6665
	// §4.2.2 applies to every accepted SUBSCRIBE).
	res := w.resubscribe(1200)
	if res.StatusCode != sip.StatusOK || res.GetHeader("Expires").Value() != "1200" {
		t.Fatalf("refresh: %s Expires %v", res.StartLine(), res.GetHeader("Expires"))
	}
	if _, state := w.next(3 * time.Second); activeExpires(t, state) < 1198 {
		t.Errorf("after refresh Subscription-State %q, want about 1200 s", state)
	}

	// An old CSeq is out of order (RFC 3261 §12.2.2).
	w.cseq -= 2
	if res := w.resubscribe(600); res.StatusCode != sip.StatusInternalServerError {
		t.Errorf("SUBSCRIBE with an old CSeq: %s, want 500", res.StartLine())
	}
	w.cseq += 2

	// Unsubscribe: 200 with Expires 0, a final NOTIFY, no subscription.
	res = w.resubscribe(0)
	if res.StatusCode != sip.StatusOK || res.GetHeader("Expires").Value() != "0" {
		t.Fatalf("unsubscribe: %s Expires %v", res.StartLine(), res.GetHeader("Expires"))
	}
	if _, state := w.next(3 * time.Second); state != "terminated;reason=timeout" {
		t.Errorf("final NOTIFY Subscription-State %q", state)
	}
	if subs := r.Subscriptions(); len(subs) != 0 {
		t.Errorf("Subscriptions() after unsubscribe = %+v", subs)
	}
	// The dialog is gone: another refresh gets 481.
	if res := w.resubscribe(600); res.StatusCode != sip.StatusCallTransactionDoesNotExists {
		t.Errorf("refresh after unsubscribe: %s, want 481", res.StartLine())
	}
	// And a call to 1002 tells nobody.
	p := newPhone(t, "1002", nil)
	p.register(r, testUsers["1002"])
	caller := newPhone(t, "1003", nil)
	caller.register(r, testUsers["1003"])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	caller.dg.Invite(ctx, userURI(t, r, "1002"), diago.InviteOptions{Username: "1003", Password: testUsers["1003"]}) // 1002 rejects: 480
	w.expectNone(200 * time.Millisecond)
}

func TestBLFSubscriptionExpires(t *testing.T) {
	r := startRegistrar(t, Config{}, WithSubscribeMinExpires(time.Second))
	w := newWatcher(t, "1001")
	start := time.Now()
	if res := w.subscribe(r, "1002", 1); res.StatusCode != sip.StatusOK {
		t.Fatalf("SUBSCRIBE: %s", res.StartLine())
	}
	if _, state := w.next(3 * time.Second); activeExpires(t, state) != 1 {
		t.Errorf("Subscription-State %q, want expires=1", state)
	}
	// RFC 6665 §4.2.2: at expiry, a final NOTIFY with reason=timeout.
	if _, state := w.next(3 * time.Second); state != "terminated;reason=timeout" {
		t.Errorf("NOTIFY at expiry: Subscription-State %q", state)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("expired after %v, granted 1 s", d)
	}
	if subs := r.Subscriptions(); len(subs) != 0 {
		t.Errorf("Subscriptions() after expiry = %+v", subs)
	}
}

func TestBLFExpiresLimits(t *testing.T) {
	r := startRegistrar(t, Config{MaxExpires: time.Hour})
	w := newWatcher(t, "1001")
	// Too short: 423 with Min-Expires (RFC 6665 §4.2.1.1).
	res := w.subscribe(r, "1002", 30)
	if res.StatusCode != sip.StatusIntervalToBrief {
		t.Fatalf("SUBSCRIBE for 30 s: %s, want 423", res.StartLine())
	}
	if h := res.GetHeader("Min-Expires"); h == nil || h.Value() != "60" {
		t.Errorf("423 Min-Expires %v, want 60", h)
	}
	// Too long: shortened to MaxExpires.
	res = w.subscribe(r, "1002", 100000)
	if res.StatusCode != sip.StatusOK || res.GetHeader("Expires").Value() != "3600" {
		t.Fatalf("SUBSCRIBE for 100000 s: %s Expires %v, want 200 with 3600", res.StartLine(), res.GetHeader("Expires"))
	}
	w.next(3 * time.Second)

	// Expires 0 on a new subscription is a fetch (RFC 6665 §4.4.3): one
	// NOTIFY with the state, terminated, and nothing kept.
	f := newWatcher(t, "1003")
	if res := f.subscribe(r, "1001", 0); res.StatusCode != sip.StatusOK {
		t.Fatalf("fetch: %s", res.StartLine())
	}
	info, state := f.next(3 * time.Second)
	if state != "terminated;reason=timeout" || info.LampState() != dialoginfo.LampIdle {
		t.Errorf("fetch NOTIFY: %q %+v", state, info)
	}
	if subs := r.Subscriptions(); len(subs) != 1 {
		t.Errorf("Subscriptions() = %+v, want only 1001's", subs)
	}
}

func TestBLFSubscribeRejected(t *testing.T) {
	r := startRegistrar(t, Config{})
	w := newWatcher(t, "1001")

	// No credentials: 407 with a challenge, as for INVITE.
	res := w.ua.do(w.newSubscribe(r, "1002", 600))
	if res.StatusCode != sip.StatusProxyAuthRequired || res.GetHeader("Proxy-Authenticate") == nil {
		t.Fatalf("SUBSCRIBE without credentials: %s, want 407 with Proxy-Authenticate", res.StartLine())
	}
	if res := w.ua.doAuth(w.newSubscribe(r, "1002", 600), "1001", "wrong"); res.StatusCode != sip.StatusForbidden {
		t.Errorf("wrong password: %s, want 403", res.StartLine())
	}
	// 1003's credentials in 1001's name.
	if res := w.ua.doAuth(w.newSubscribe(r, "1002", 600), "1003", testUsers["1003"]); res.StatusCode != sip.StatusForbidden {
		t.Errorf("From 1001 authenticated as 1003: %s, want 403", res.StartLine())
	}
	// Unknown user: 404.
	if res := w.subscribe(r, "9999", 600); res.StatusCode != sip.StatusNotFound {
		t.Errorf("SUBSCRIBE to 9999: %s, want 404", res.StartLine())
	}
	// Another event package: 489 with Allow-Events (RFC 6665 §4.2.1.1).
	w.event = "presence"
	res = w.subscribe(r, "1002", 600)
	if res.StatusCode != StatusBadEvent {
		t.Errorf("SUBSCRIBE presence: %s, want 489", res.StartLine())
	} else if h := res.GetHeader("Allow-Events"); h == nil || h.Value() != "dialog" {
		t.Errorf("489 Allow-Events %v, want dialog", h)
	}
	// No Event at all: 400.
	req := w.newSubscribe(r, "1002", 600)
	req.RemoveHeader("Event")
	if res := w.ua.do(req); res.StatusCode != sip.StatusBadRequest {
		t.Errorf("SUBSCRIBE without Event: %s, want 400", res.StartLine())
	}
	// A subscriber that cannot read dialog-info: 406.
	w.event = "dialog"
	req = w.newSubscribe(r, "1002", 600)
	req.RemoveHeader("Accept")
	req.AppendHeader(sip.NewHeader("Accept", "application/pidf+xml"))
	if res := w.ua.doAuth(req, "1001", testUsers["1001"]); res.StatusCode != sip.StatusNotAcceptable {
		t.Errorf("SUBSCRIBE accepting pidf only: %s, want 406", res.StartLine())
	}
	// A refresh of a subscription we never made: 481.
	req = w.newSubscribe(r, "1002", 600)
	req.To().Params.Add("tag", "made-up")
	if res := w.ua.do(req); res.StatusCode != sip.StatusCallTransactionDoesNotExists {
		t.Errorf("SUBSCRIBE in an unknown dialog: %s, want 481", res.StartLine())
	}
	if subs := r.Subscriptions(); len(subs) != 0 {
		t.Errorf("Subscriptions() = %+v after only failures", subs)
	}
	w.expectNone(100 * time.Millisecond)
}

// A subscriber that answers 481 to a NOTIFY has forgotten the subscription:
// RFC 6665 §4.2.2, the notifier MUST remove it.
func TestBLFNotifyRefused(t *testing.T) {
	r := startRegistrar(t, Config{})
	w := newWatcher(t, "1001")
	w.reply.Store(sip.StatusCallTransactionDoesNotExists)
	if res := w.subscribe(r, "1002", 600); res.StatusCode != sip.StatusOK {
		t.Fatalf("SUBSCRIBE: %s", res.StartLine())
	}
	w.next(3 * time.Second)
	deadline := time.Now().Add(3 * time.Second)
	for len(r.Subscriptions()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("subscription kept after its NOTIFY got 481: %+v", r.Subscriptions())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close with live subscriptions and a call ringing leaves nothing running
// (goleak checks at the end of the package).
func TestBLFCloseWithSubscriptions(t *testing.T) {
	r := startRegistrar(t, Config{})
	callee := ringingPhone(t, "1002", nil)
	callee.register(r, testUsers["1002"])
	caller := newPhone(t, "1001", nil)
	caller.register(r, testUsers["1001"])
	w := newWatcher(t, "1003")
	if res := w.subscribe(r, "1002", 600); res.StatusCode != sip.StatusOK {
		t.Fatalf("SUBSCRIBE: %s", res.StartLine())
	}
	w.next(3 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		caller.dg.Invite(ctx, userURI(t, r, "1002"), diago.InviteOptions{Username: "1001", Password: testUsers["1001"]})
	}()
	for {
		if info, _ := w.next(5 * time.Second); info.LampState() == dialoginfo.LampRinging {
			break
		}
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	<-done // the caller got 503 from the closing proxy
	if subs := r.Subscriptions(); len(subs) != 0 {
		t.Errorf("Subscriptions() after Close = %+v", subs)
	}
}
