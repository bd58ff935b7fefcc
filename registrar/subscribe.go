package registrar

import (
	"context"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/phonesim/phonesim/internal/dialoginfo"
)

// BLF support, part 2: the registrar as notifier of the dialog event
// package (RFC 4235 §3) under the SIP events framework (RFC 6665 §4.2).
// A local user SUBSCRIBEs to sip:<user>@<registrar> with "Event: dialog";
// the registrar answers 200, sends a NOTIFY with the full current state at
// once, and another (full state, next version) each time a call of the
// watched user changes state (dialog_events.go).

const (
	// eventDialog is the only event package we serve.
	eventDialog = "dialog"
	// DefaultSubscribeExpires is granted when a SUBSCRIBE names no expiry:
	// RFC 4235 §3.3 makes one hour the default duration of the package.
	DefaultSubscribeExpires = time.Hour
	// DefaultSubscribeMinExpires: shorter non-zero expiries get 423.
	DefaultSubscribeMinExpires = time.Minute
	// maxSubscriptions bounds the memory subscribers can make us hold.
	maxSubscriptions = 10000
	// maxPendingNotifies bounds the NOTIFYs queued for one slow subscriber;
	// every document is full state, so the oldest can go.
	maxPendingNotifies = 16
	// notifyTimeout is Timer F (64*T1), the longest a NOTIFY may take.
	notifyTimeout = 32 * time.Second
	// StatusBadEvent is 489 Bad Event (RFC 6665); sipgo has no name for
	// it.
	StatusBadEvent = 489
)

// WithSubscribeMinExpires sets the shortest dialog subscription accepted
// (default 1 min); a shorter non-zero Expires is answered 423 Interval Too
// Brief with Min-Expires, as RFC 6665 §4.2.1.1 allows. Tests lower it to
// see subscriptions expire.
func WithSubscribeMinExpires(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.subscribeMinExpires = d
		}
	}
}

// Subscription is one dialog-event subscription, as shown by Subscriptions.
type Subscription struct {
	Subscriber string    // authenticated user that subscribed (From)
	User       string    // watched user
	Contact    string    // where NOTIFYs go
	Expires    time.Time // when it lapses unless refreshed
}

// Subscriptions lists the active dialog-event subscriptions, sorted by
// watched user then subscriber.
func (r *Registrar) Subscriptions() []Subscription {
	r.mu.Lock()
	rn := r.cur
	r.mu.Unlock()
	if rn == nil {
		return nil
	}
	ev := rn.events
	ev.mu.Lock()
	out := make([]Subscription, 0, len(ev.subs))
	for _, s := range ev.subs {
		out = append(out, Subscription{Subscriber: s.subscriber, User: s.user, Contact: s.target.String(), Expires: s.expires})
	}
	ev.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].User != out[j].User {
			return out[i].User < out[j].User
		}
		if out[i].Subscriber != out[j].Subscriber {
			return out[i].Subscriber < out[j].Subscriber
		}
		return out[i].Contact < out[j].Contact
	})
	return out
}

// subscription is the notifier's side of one subscription dialog (RFC 6665
// §4.2; RFC 3261 §12.1.1 for the dialog state we keep as UAS).
type subscription struct {
	key        string // Call-ID, tags and Event id
	user       string // watched user
	subscriber string // authenticated subscriber
	entity     string // dialog-info "entity": sip:user@domain
	eventID    string // "id" parameter of Event, echoed in NOTIFYs

	callID        string
	localTag      string  // ours: To tag of the 200, From tag of NOTIFYs
	remoteTag     string  // the subscriber's From tag
	local         sip.Uri // To of the SUBSCRIBE
	localDisplay  string
	remote        sip.Uri // From of the SUBSCRIBE
	remoteDisplay string
	target        sip.Uri   // the subscriber's Contact (remote target)
	routes        []sip.Uri // route set: Record-Route of the SUBSCRIBE
	next          hop       // where NOTIFYs are sent
	contact       sip.Uri   // our Contact
	remoteCSeq    uint32
	cseq          uint32 // of our NOTIFYs
	version       int    // next dialog-info version (RFC 4235 §4.1: from 0, +1 per document)

	expires time.Time
	timer   *time.Timer
	queue   []notification
	held    bool // the 200 for the SUBSCRIBE is not out yet: no NOTIFY before it
	sending bool // a sendLoop goroutine owns the queue
	removed bool
}

// notification is one NOTIFY to send.
type notification struct {
	dialogs []dialoginfo.Dialog
	final   bool   // Subscription-State: terminated
	reason  string // its reason parameter
}

func subKey(callID, remoteTag, localTag, eventID string) string {
	return callID + "\x00" + remoteTag + "\x00" + localTag + "\x00" + eventID
}

// handleSubscribe serves a SUBSCRIBE addressed to our domain: initial
// (sip:<user>@<registrar>) or within one of our subscription dialogs.
func (rn *run) handleSubscribe(req *sip.Request, tx *txn) {
	allowEvents := sip.NewHeader("Allow-Events", eventDialog)
	pkg, eventID, ok := eventOf(req)
	if !ok {
		tx.respond(req, sip.StatusBadRequest, "Missing Event Header", allowEvents)
		return
	}
	// RFC 6665 §4.2.1.1: a notifier that does not understand the event
	// package answers 489 (Bad Event), listing the packages it does serve
	// in Allow-Events.
	if pkg != eventDialog {
		tx.respond(req, StatusBadEvent, "Bad Event", allowEvents)
		return
	}
	secs, ok := rn.subscribeExpires(req, tx)
	if !ok {
		return
	}
	if req.To().Params.Has("tag") {
		rn.events.refresh(req, tx, eventID, secs)
		return
	}
	rn.subscribeInitial(req, tx, eventID, secs)
}

// eventOf returns the package and "id" parameter of the Event header
// (compact form "o"); in RFC 6665's grammar the value is an event-type
// followed by ";"-separated event-params.
func eventOf(req *sip.Request) (pkg, id string, ok bool) {
	h := req.GetHeader("Event")
	if h == nil {
		h = req.GetHeader("o")
	}
	if h == nil {
		return "", "", false
	}
	parts := strings.Split(h.Value(), ";")
	pkg = strings.TrimSpace(parts[0])
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "id") {
			id = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return pkg, id, pkg != ""
}

// subscribeExpires is the granted duration in seconds. RFC 6665 §4.2.1.1
// lets the notifier shorten the requested duration, never lengthen it, and
// answer 423 with Min-Expires to one that is too short. 0 is an
// unsubscription (or a fetch).
func (rn *run) subscribeExpires(req *sip.Request, tx *txn) (uint32, bool) {
	o := rn.r.opts
	minSecs := durationSeconds(o.subscribeMinExpires)
	maxSecs := max(durationSeconds(rn.r.cfg.MaxExpires), minSecs)
	secs := min(max(durationSeconds(DefaultSubscribeExpires), minSecs), maxSecs)
	if h := req.GetHeader("Expires"); h != nil {
		if v, ok := parseDeltaSeconds(h.Value()); ok {
			secs = v
		} // RFC 3261 §20.19: malformed means the default
	}
	if secs != 0 && secs < minSecs {
		tx.respond(req, sip.StatusIntervalToBrief, "Interval Too Brief",
			sip.NewHeader("Min-Expires", strconv.FormatUint(uint64(minSecs), 10)))
		return 0, false
	}
	return min(secs, maxSecs), true
}

// subscribeInitial creates a subscription (RFC 6665 §4.2.1.1).
func (rn *run) subscribeInitial(req *sip.Request, tx *txn, eventID string, secs uint32) {
	r := rn.r
	if exts := requiredExtensions(req); len(exts) > 0 {
		tx.respond(req, sip.StatusBadExtension, "Bad Extension", sip.NewHeader("Unsupported", strings.Join(exts, ", ")))
		return
	}
	// RFC 4235 §3.4: application/dialog-info+xml is the package's format;
	// a SUBSCRIBE that does not accept it gets 406.
	if !acceptsDialogInfo(req) {
		tx.respond(req, sip.StatusNotAcceptable, "Not Acceptable", sip.NewHeader("Accept", dialoginfo.ContentType))
		return
	}
	if !rn.authorizeSubscribe(req, tx) {
		return
	}
	user := req.Recipient.User
	if !r.isLocalUser(user) {
		tx.respond(req, sip.StatusNotFound, "Not Found")
		return
	}
	from := req.From()
	fromTag, _ := from.Params.Get("tag")
	if fromTag == "" {
		tx.respond(req, sip.StatusBadRequest, "Missing From Tag")
		return
	}
	c := req.Contact()
	if c == nil {
		// RFC 6665 §4.1.2.1 / RFC 3261 §12.1.2: a dialog-creating request
		// carries the Contact our NOTIFYs go to.
		tx.respond(req, sip.StatusBadRequest, "Missing Contact")
		return
	}
	s := &subscription{
		user:          user,
		subscriber:    from.Address.User,
		entity:        (&sip.Uri{Scheme: strings.ToLower(req.Recipient.Scheme), User: user, Host: req.Recipient.Host, Port: req.Recipient.Port}).String(),
		eventID:       eventID,
		callID:        req.CallID().Value(),
		localTag:      sip.GenerateTagN(16),
		remoteTag:     fromTag,
		local:         *req.To().Address.Clone(),
		localDisplay:  req.To().DisplayName,
		remote:        *from.Address.Clone(),
		remoteDisplay: from.DisplayName,
		remoteCSeq:    req.CSeq().SeqNo,
		cseq:          1,
		contact:       rn.subscriptionContact(user, req.Transport()),
	}
	// RFC 3261 §12.1.1: "The route set MUST be set to the list of URIs in
	// the Record-Route header field from the request, taken in order".
	s.routes = recordRouteURIs(req)
	if !rn.setTarget(s, c.Address) {
		tx.respond(req, sip.StatusBadRequest, "Unreachable Contact")
		return
	}
	s.key = subKey(s.callID, s.remoteTag, s.localTag, eventID)

	ev := rn.events
	ev.mu.Lock()
	if ev.closed {
		ev.mu.Unlock()
		tx.respond(req, sip.StatusServiceUnavailable, "Shutting Down")
		return
	}
	if len(ev.subs) >= maxSubscriptions {
		ev.mu.Unlock()
		tx.respond(req, sip.StatusServiceUnavailable, "Too Many Subscriptions", sip.NewHeader("Retry-After", "60"))
		return
	}
	s.held = true
	if secs > 0 {
		ev.addSub(s, secs)
		ev.enqueue(s, notification{dialogs: ev.dialogsOf(user)})
	} else {
		// RFC 6665 §4.4.3: Expires 0 on a new subscription is a fetch:
		// one NOTIFY with the state, and the subscription is over.
		s.removed = true
		ev.enqueue(s, notification{dialogs: ev.dialogsOf(user), final: true, reason: "timeout"})
	}
	ev.mu.Unlock()
	r.log.Debug("registrar: dialog subscription", "subscriber", s.subscriber, "user", user, "expires", secs, "contact", s.target.String())
	rn.acceptSubscribe(req, tx, s, secs)
}

// refresh handles a SUBSCRIBE within a subscription dialog: a refresh, or
// an unsubscription with Expires 0 (RFC 6665 §4.2.1.2, §4.2.1.3). It is not
// challenged: the dialog was set up by an authenticated subscriber.
func (ev *dialogEvents) refresh(req *sip.Request, tx *txn, eventID string, secs uint32) {
	fromTag, _ := req.From().Params.Get("tag")
	toTag, _ := req.To().Params.Get("tag")
	key := subKey(req.CallID().Value(), fromTag, toTag, eventID)
	ev.mu.Lock()
	s := ev.subs[key]
	if s == nil {
		ev.mu.Unlock()
		// RFC 6665 §4.2.1.2: a refresh of an unknown (or expired)
		// subscription gets 481.
		tx.respond(req, sip.StatusCallTransactionDoesNotExists, "Subscription Does Not Exist")
		return
	}
	// RFC 3261 §12.2.2: "If the remote sequence number was not empty, but
	// the sequence number of the request is lower than the remote sequence
	// number, the request is out of order and MUST be rejected with a 500".
	if cseq := req.CSeq().SeqNo; cseq <= s.remoteCSeq {
		ev.mu.Unlock()
		tx.respond(req, sip.StatusInternalServerError, "CSeq Out Of Order")
		return
	}
	s.remoteCSeq = req.CSeq().SeqNo
	if c := req.Contact(); c != nil {
		// SUBSCRIBE is a target refresh request (RFC 6665 §4.1.2.2).
		if !ev.rn.setTarget(s, c.Address) {
			ev.mu.Unlock()
			tx.respond(req, sip.StatusBadRequest, "Unreachable Contact")
			return
		}
	}
	s.held = true
	if secs == 0 {
		ev.removeSub(s)
		ev.enqueue(s, notification{dialogs: ev.dialogsOf(s.user), final: true, reason: "timeout"})
	} else {
		d := time.Duration(secs) * time.Second
		s.expires = time.Now().Add(d)
		s.timer.Reset(d)
		ev.enqueue(s, notification{dialogs: ev.dialogsOf(s.user)})
	}
	ev.mu.Unlock()
	ev.rn.acceptSubscribe(req, tx, s, secs)
}

// acceptSubscribe sends the 200 and then lets the NOTIFYs go. RFC 6665
// §4.2.1.1: a 200 to SUBSCRIBE must carry Expires, the duration granted;
// §4.2.2: on accepting or refreshing a subscription, the notifier sends a
// NOTIFY with the current state at once.
func (rn *run) acceptSubscribe(req *sip.Request, tx *txn, s *subscription, secs uint32) {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	// sipgo's NewResponseFromRequest made up a To tag; ours is the one
	// the NOTIFYs carry.
	if to := res.To(); to != nil {
		to.Params.Add("tag", s.localTag)
	}
	exp := sip.ExpiresHeader(secs)
	res.AppendHeader(&exp)
	res.AppendHeader(&sip.ContactHeader{Address: *s.contact.Clone()})
	res.AppendHeader(sip.NewHeader("Server", serverName))
	tx.respondWith(res)

	ev := rn.events
	ev.mu.Lock()
	s.held = false
	ev.kick(s)
	ev.mu.Unlock()
}

// authorizeSubscribe challenges a new subscription like an INVITE (407,
// RFC 3261 §22.3) and checks the subscriber is the user in From. It
// answers and returns false when the SUBSCRIBE may not go on.
func (rn *run) authorizeSubscribe(req *sip.Request, tx *txn) bool {
	a := rn.r.auth
	if a.open() {
		return true
	}
	header := "Proxy-Authorization"
	if len(req.GetHeaders(header)) == 0 && len(req.GetHeaders("Authorization")) > 0 {
		header = "Authorization" // a phone that was challenged with 401 elsewhere
	}
	user, outcome := a.check(req, header)
	switch outcome {
	case authOK:
		if user != req.From().Address.User {
			tx.respond(req, sip.StatusForbidden, "Forbidden")
			return false
		}
		return true
	case authMissing, authInvalid, authStale:
		tx.respond(req, sip.StatusProxyAuthRequired, "Proxy Authentication Required",
			sip.NewHeader("Proxy-Authenticate", a.challenge(outcome == authStale)))
		return false
	default:
		tx.respond(req, sip.StatusForbidden, "Forbidden")
		return false
	}
}

// acceptsDialogInfo applies the Accept headers of req, if any.
func acceptsDialogInfo(req *sip.Request) bool {
	hs := req.GetHeaders("Accept")
	if len(hs) == 0 {
		return true
	}
	for _, h := range hs {
		for _, mt := range strings.Split(h.Value(), ",") {
			mt, _, _ = strings.Cut(mt, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case dialoginfo.ContentType, "application/*", "*/*":
				return true
			}
		}
	}
	return false
}

// setTarget sets the subscriber's Contact and the next hop of our NOTIFYs
// (the first route, else the Contact: loose routing, RFC 3261 §12.2.1.1).
// It reports false for a target we cannot send to.
func (rn *run) setTarget(s *subscription, target sip.Uri) bool {
	scheme := strings.ToLower(target.Scheme)
	if (scheme != "sip" && scheme != "sips") || target.Host == "" {
		return false
	}
	via := target
	if len(s.routes) > 0 {
		via = s.routes[0]
	}
	next, ok := hopOf(via)
	if !ok || (next.transport != "udp" && next.transport != "tcp") || rn.isSelfHop(next) {
		return false
	}
	s.target, s.next = *target.Clone(), next
	return true
}

// subscriptionContact is our Contact in a subscription dialog: the watched
// user at our address, so that an in-dialog SUBSCRIBE comes back here.
func (rn *run) subscriptionContact(user, transport string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: user, Host: rn.selfHost(), Port: rn.selfPort()}
	if strings.EqualFold(transport, "tcp") {
		u.UriParams = sip.HeaderParams{{K: "transport", V: "tcp"}}
	}
	return u
}

// addSub installs s for secs seconds; ev.mu held.
func (ev *dialogEvents) addSub(s *subscription, secs uint32) {
	d := time.Duration(secs) * time.Second
	s.expires = time.Now().Add(d)
	s.timer = time.AfterFunc(d, func() { ev.expire(s) })
	ev.subs[s.key] = s
	w := ev.watchers[s.user]
	if w == nil {
		w = make(map[*subscription]bool)
		ev.watchers[s.user] = w
	}
	w[s] = true
}

// removeSub uninstalls s and drops the NOTIFYs it had queued (a final one
// follows); ev.mu held.
func (ev *dialogEvents) removeSub(s *subscription) {
	if s.removed {
		return
	}
	s.removed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.queue = nil
	delete(ev.subs, s.key)
	if w := ev.watchers[s.user]; w != nil {
		delete(w, s)
		if len(w) == 0 {
			delete(ev.watchers, s.user)
		}
	}
}

// expire ends a subscription that was not refreshed in time. RFC 6665
// §4.2.2: the notifier sends a final NOTIFY, "Subscription-State:
// terminated;reason=timeout".
func (ev *dialogEvents) expire(s *subscription) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.closed || s.removed || time.Now().Before(s.expires) {
		return // gone, or refreshed since the timer fired
	}
	ev.removeSub(s)
	ev.enqueue(s, notification{dialogs: ev.dialogsOf(s.user), final: true, reason: "timeout"})
}

// enqueue queues a NOTIFY for s and starts sending; ev.mu held.
func (ev *dialogEvents) enqueue(s *subscription, n notification) {
	if ev.closed || (s.removed && !n.final) {
		return
	}
	if len(s.queue) >= maxPendingNotifies {
		s.queue = s.queue[1:]
	}
	s.queue = append(s.queue, n)
	ev.kick(s)
}

// kick starts the goroutine that sends the queue of s, unless one runs;
// ev.mu held. NOTIFYs of one subscription go one at a time, in order, each
// after the previous one was answered, so that versions arrive in order.
func (ev *dialogEvents) kick(s *subscription) {
	if s.held || s.sending || len(s.queue) == 0 || ev.closed {
		return
	}
	s.sending = true
	if !ev.rn.goBackground(func() { ev.sendLoop(s) }) {
		s.sending = false
		s.queue = nil
	}
}

func (ev *dialogEvents) sendLoop(s *subscription) {
	for {
		ev.mu.Lock()
		if ev.closed || len(s.queue) == 0 || s.held {
			// held: a refresh is being answered; acceptSubscribe kicks
			// again once its 200 is out.
			s.sending = false
			ev.mu.Unlock()
			return
		}
		n := s.queue[0]
		s.queue = s.queue[1:]
		req, err := ev.buildNotify(s, n)
		ev.mu.Unlock()
		if err != nil {
			ev.rn.r.log.Error("registrar: NOTIFY not built", "user", s.user, "error", err)
			continue
		}
		ctx, cancel := context.WithTimeout(ev.rn.ctx, notifyTimeout)
		res, err := ev.rn.client.Do(ctx, req, prebuilt)
		cancel()
		if notifyEndsSubscription(res, err) {
			if err != nil && !ev.rn.stopping() {
				ev.rn.r.log.Info("registrar: NOTIFY failed, subscription removed", "user", s.user, "subscriber", s.subscriber, "error", err)
			} else if err == nil {
				ev.rn.r.log.Info("registrar: NOTIFY refused, subscription removed", "user", s.user, "subscriber", s.subscriber, "status", res.StatusCode)
			}
			ev.mu.Lock()
			ev.removeSub(s)
			ev.mu.Unlock()
		}
	}
}

// notifyEndsSubscription applies RFC 6665 §4.2.2: a NOTIFY that times out
// ends a subscription made by SUBSCRIBE (soft state), and so does a 404,
// 405, 410, 416, 480-485, 489, 501 or 604 answer (see also RFC 5057). A
// transport error counts as a timeout; other failures keep it.
func notifyEndsSubscription(res *sip.Response, err error) bool {
	if err != nil || res == nil {
		return true
	}
	switch c := res.StatusCode; {
	case c == 404, c == 405, c == 410, c == 416, c >= 480 && c <= 485, c == 489, c == 501, c == 604:
		return true
	}
	return false
}

// buildNotify builds the next NOTIFY of s within its dialog (RFC 6665
// §4.2.2, RFC 3261 §12.2.1.1): Request-URI the subscriber's Contact, the
// route set, From/To the SUBSCRIBE's To/From (tags swapped), its Call-ID,
// our own increasing CSeq. ev.mu held.
func (ev *dialogEvents) buildNotify(s *subscription, n notification) (*sip.Request, error) {
	rn := ev.rn
	info := dialoginfo.Info{Version: s.version, State: dialoginfo.StateFull, Entity: s.entity, Dialogs: n.dialogs}
	body, err := dialoginfo.Marshal(info)
	if err != nil {
		return nil, err
	}
	s.version++
	s.cseq++

	req := sip.NewRequest(sip.NOTIFY, *s.target.Clone())
	upper := strings.ToUpper(s.next.transport)
	req.AppendHeader(&sip.ViaHeader{
		ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: upper,
		Host: rn.selfHost(), Port: rn.selfPort(),
		Params: sip.HeaderParams{{K: "branch", V: sip.GenerateBranchN(16)}},
	})
	for _, u := range s.routes {
		req.AppendHeader(&sip.RouteHeader{Address: *u.Clone()})
	}
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.FromHeader{DisplayName: s.localDisplay, Address: *s.local.Clone(), Params: sip.HeaderParams{{K: "tag", V: s.localTag}}})
	req.AppendHeader(&sip.ToHeader{DisplayName: s.remoteDisplay, Address: *s.remote.Clone(), Params: sip.HeaderParams{{K: "tag", V: s.remoteTag}}})
	callID := sip.CallIDHeader(s.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: s.cseq, MethodName: sip.NOTIFY})
	req.AppendHeader(&sip.ContactHeader{Address: *s.contact.Clone()})
	event := eventDialog
	if s.eventID != "" {
		event += ";id=" + s.eventID
	}
	req.AppendHeader(sip.NewHeader("Event", event))
	// RFC 6665 §4.2.2: every NOTIFY carries Subscription-State, "active"
	// with the time left, or "terminated" with a reason when the
	// subscription is over.
	state := "terminated;reason=" + n.reason
	if !n.final {
		left := (time.Until(s.expires) + time.Second - 1) / time.Second
		state = "active;expires=" + strconv.FormatInt(max(int64(left), 1), 10)
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("User-Agent", serverName))
	ct := sip.ContentTypeHeader(dialoginfo.ContentType)
	req.AppendHeader(&ct)
	req.SetBody(body)

	req.SetTransport(upper)
	req.SetDestination(s.next.dest())
	if s.next.transport == "udp" {
		// From the listening socket, where the subscriber knows us.
		req.Laddr = sip.Addr{IP: net.IP(rn.self.Addr().AsSlice()), Port: rn.selfPort()}
	}
	return req, nil
}

// close forgets every call and subscription and stops the timers; queued
// NOTIFYs are dropped and running sendLoops end with rn.ctx. Subscribers
// are not told: like a registrar restarting, they notice at their next
// refresh (481) and subscribe again.
func (ev *dialogEvents) close() {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.closed = true
	for _, s := range ev.subs {
		if s.timer != nil {
			s.timer.Stop()
		}
		s.queue = nil
		s.removed = true
	}
	ev.subs = make(map[string]*subscription)
	ev.watchers = make(map[string]map[*subscription]bool)
	ev.legs = make(map[string][]*callLeg)
}
