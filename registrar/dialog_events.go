package registrar

import (
	"hash/fnv"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/phonesim/phonesim/internal/dialoginfo"
)

// BLF support, part 1: the dialog state of local users as the proxy sees
// their calls, in the terms of RFC 4235 §3.7.1 (trying, proceeding, early,
// confirmed, terminated). Every change is pushed to the subscribers of the
// watched user (subscribe.go) as a full-state dialog-info
// document.
//
// The proxy reports what it sees through a callWatch per initial INVITE
// (proxy.go) and through bye for in-dialog BYEs, which pass here
// because the proxy record-routes.

// maxConfirmedCallAge drops a confirmed call whose BYE never came through
// us (a phone that vanished), so its lamp does not stay busy forever; the
// same 12 h as the default_timeout (43200 s) of Kamailio's dialog module.
const maxConfirmedCallAge = 12 * time.Hour

// callLeg is one call through the proxy: an initial INVITE from caller to
// callee (each "" when not a local user) and the dialog it created.
type callLeg struct {
	id                                     string // base of the dialog ids, stable for the call
	callID                                 string
	callerTag                              string // From tag
	calleeTag                              string // To tag of the callee's responses, once known
	caller                                 string // local user names
	callee                                 string
	callerURI, callerDisplay, callerTarget string // From, its display name, INVITE Contact
	calleeURI, calleeDisplay, calleeTarget string // To, its display name, response Contact

	state       string // a dialoginfo.Dialog* state; "" until forwarded
	code        int    // response code of the last change, when one caused it
	callerEvent string // RFC 4235 <state event>, from each side's view
	calleeEvent string
	started     time.Time
}

// dialogEvents holds the calls and the subscriptions of one run. One mutex
// guards both: every change of a call builds documents for subscriptions.
type dialogEvents struct {
	rn *run

	mu        sync.Mutex
	closed    bool
	legs      map[string][]*callLeg             // Call-ID -> calls (one, unless a UA reuses Call-IDs)
	subs      map[string]*subscription          // subscription key -> subscription
	watchers  map[string]map[*subscription]bool // watched user -> its subscriptions
	lastPrune time.Time
}

func newDialogEvents(rn *run) *dialogEvents {
	return &dialogEvents{
		rn:       rn,
		legs:     make(map[string][]*callLeg),
		subs:     make(map[string]*subscription),
		watchers: make(map[string]map[*subscription]bool),
	}
}

// isLocalUser reports whether user is an account of this registrar (any
// non-empty user when the registrar is open).
func (r *Registrar) isLocalUser(user string) bool {
	if user == "" {
		return false
	}
	if r.auth.open() {
		return true
	}
	_, ok := r.cfg.Users[user]
	return ok
}

// callWatch follows one proxied initial INVITE. Its methods may be called
// on a nil *callWatch (a call between no local users): they do nothing.
type callWatch struct {
	ev  *dialogEvents
	leg *callLeg
}

// watchInvite prepares to follow the initial INVITE req, addressed to the
// local user callee ("" when the Request-URI is not one of ours).
func (ev *dialogEvents) watchInvite(req *sip.Request, callee string) *callWatch {
	r := ev.rn.r
	from, to := req.From(), req.To()
	caller := from.Address.User
	if !r.isLocalUser(caller) {
		caller = ""
	}
	if !r.isLocalUser(callee) {
		callee = ""
	}
	if caller == "" && callee == "" {
		return nil
	}
	tag, _ := from.Params.Get("tag")
	leg := &callLeg{
		callID:        req.CallID().Value(),
		callerTag:     tag,
		caller:        caller,
		callee:        callee,
		callerURI:     from.Address.String(),
		callerDisplay: from.DisplayName,
		calleeURI:     to.Address.String(),
		calleeDisplay: to.DisplayName,
	}
	if c := req.Contact(); c != nil {
		leg.callerTarget = c.Address.String()
	}
	h := fnv.New64a()
	h.Write([]byte(leg.callID + "\x00" + leg.callerTag))
	leg.id = strconv.FormatUint(h.Sum64(), 36)
	return &callWatch{ev: ev, leg: leg}
}

// forwarded: the INVITE went to the callee. In RFC 4235's state machine
// (§3.7.1) a dialog is "trying" from the INVITE until a response.
func (w *callWatch) forwarded() {
	if w == nil {
		return
	}
	ev, l := w.ev, w.leg
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.closed {
		return
	}
	now := time.Now()
	if now.Sub(ev.lastPrune) > time.Minute {
		ev.pruneStale(now)
	}
	l.state = dialoginfo.DialogTrying
	l.started = now
	ev.legs[l.callID] = append(ev.legs[l.callID], l)
	ev.changed(l)
}

// response records a response of the callee, relayed or not: 1xx with a To
// tag is "early" (ringing), 1xx without one "proceeding", 2xx "confirmed",
// anything else "terminated" (rejected).
func (w *callWatch) response(res *sip.Response) {
	if w == nil || res.StatusCode == sip.StatusTrying {
		return
	}
	ev, l := w.ev, w.leg
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if !ev.tracked(l) {
		return
	}
	tag, _ := res.To().Params.Get("tag")
	if c := res.Contact(); c != nil {
		l.calleeTarget = c.Address.String()
	}
	before, beforeTag := l.state, l.calleeTag
	if tag != "" {
		l.calleeTag = tag
	}
	switch {
	case res.IsProvisional():
		if tag != "" {
			l.state = dialoginfo.DialogEarly
		} else if l.state == dialoginfo.DialogTrying {
			l.state = dialoginfo.DialogProceeding
		}
	case res.IsSuccess():
		l.state = dialoginfo.DialogConfirmed
	default:
		ev.terminate(l, "rejected", "rejected", res.StatusCode)
		return
	}
	if l.state != before || l.calleeTag != beforeTag {
		ev.changed(l)
	}
}

// cancelled: the caller sent CANCEL.
func (w *callWatch) cancelled() {
	if w == nil {
		return
	}
	w.ev.mu.Lock()
	defer w.ev.mu.Unlock()
	if w.ev.tracked(w.leg) && w.leg.state != dialoginfo.DialogConfirmed {
		w.ev.terminate(w.leg, "cancelled", "cancelled", 0)
	}
}

// finish ends the watch when the proxy is done with the INVITE: a call that
// never got to confirmed is over (Timer C, no answer, shutdown).
func (w *callWatch) finish() {
	if w == nil {
		return
	}
	w.ev.mu.Lock()
	defer w.ev.mu.Unlock()
	if w.ev.tracked(w.leg) && w.leg.state != dialoginfo.DialogConfirmed {
		w.ev.terminate(w.leg, "", "", 0)
	}
}

// bye records a BYE passing through the proxy: it ends the dialog with the
// same Call-ID and tags (RFC 4235 §3.7.1: a BYE leads to "terminated"),
// from whichever side it came.
func (ev *dialogEvents) bye(req *sip.Request) {
	callID := req.CallID().Value()
	fromTag, _ := req.From().Params.Get("tag")
	toTag, _ := req.To().Params.Get("tag")
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, l := range append([]*callLeg(nil), ev.legs[callID]...) {
		switch {
		case l.callerTag == fromTag && l.calleeTag == toTag:
			ev.terminate(l, "local-bye", "remote-bye", 0)
		case l.callerTag == toTag && l.calleeTag == fromTag:
			ev.terminate(l, "remote-bye", "local-bye", 0)
		}
	}
}

// tracked reports whether l is a live call of ours; ev.mu held.
func (ev *dialogEvents) tracked(l *callLeg) bool {
	if ev.closed || l.state == "" || l.state == dialoginfo.DialogTerminated {
		return false
	}
	for _, x := range ev.legs[l.callID] {
		if x == l {
			return true
		}
	}
	return false
}

// terminate ends l, tells the watchers (the last document to show the
// call, as terminated) and forgets it; ev.mu held.
func (ev *dialogEvents) terminate(l *callLeg, callerEvent, calleeEvent string, code int) {
	l.state = dialoginfo.DialogTerminated
	l.callerEvent, l.calleeEvent, l.code = callerEvent, calleeEvent, code
	ev.changed(l)
	rest := ev.legs[l.callID][:0]
	for _, x := range ev.legs[l.callID] {
		if x != l {
			rest = append(rest, x)
		}
	}
	if len(rest) == 0 {
		delete(ev.legs, l.callID)
	} else {
		ev.legs[l.callID] = rest
	}
}

// pruneStale ends confirmed calls older than maxConfirmedCallAge; ev.mu
// held.
func (ev *dialogEvents) pruneStale(now time.Time) {
	ev.lastPrune = now
	for _, legs := range ev.legs {
		for _, l := range append([]*callLeg(nil), legs...) {
			if l.state == dialoginfo.DialogConfirmed && now.Sub(l.started) > maxConfirmedCallAge {
				ev.terminate(l, "timeout", "timeout", 0)
			}
		}
	}
}

// changed queues a document for every subscription watching a party of l;
// ev.mu held.
func (ev *dialogEvents) changed(l *callLeg) {
	users := []string{l.caller}
	if l.callee != l.caller {
		users = append(users, l.callee) // a user calling itself gets one document
	}
	for _, user := range users {
		subs := ev.watchers[user]
		if user == "" || len(subs) == 0 {
			continue
		}
		dialogs := ev.dialogsOf(user)
		for s := range subs {
			ev.enqueue(s, notification{dialogs: dialogs})
		}
	}
}

// dialogsOf returns the current dialogs of user, oldest call first; ev.mu
// held.
func (ev *dialogEvents) dialogsOf(user string) []dialoginfo.Dialog {
	var legs []*callLeg
	for _, ls := range ev.legs {
		for _, l := range ls {
			if l.caller == user || l.callee == user {
				legs = append(legs, l)
			}
		}
	}
	sort.Slice(legs, func(i, j int) bool {
		if !legs[i].started.Equal(legs[j].started) {
			return legs[i].started.Before(legs[j].started)
		}
		return legs[i].id < legs[j].id
	})
	var out []dialoginfo.Dialog
	for _, l := range legs {
		out = append(out, l.view(user)...)
	}
	return out
}

// view is l from user's side: RFC 4235 §4.1 describes every dialog from the
// observed user's point of view ("local" is that user).
func (l *callLeg) view(user string) []dialoginfo.Dialog {
	code := l.code
	if code < 100 || code > 699 {
		code = 0
	}
	var out []dialoginfo.Dialog
	if l.caller == user {
		out = append(out, dialoginfo.Dialog{
			ID: l.id + "-i", CallID: l.callID, LocalTag: l.callerTag, RemoteTag: l.calleeTag,
			Direction: dialoginfo.DirectionInitiator, State: l.state, Event: l.callerEvent, Code: code,
			LocalIdentity: l.callerURI, LocalDisplay: l.callerDisplay, LocalTarget: l.callerTarget,
			RemoteIdentity: l.calleeURI, RemoteDisplay: l.calleeDisplay, RemoteTarget: l.calleeTarget,
		})
	}
	if l.callee == user {
		out = append(out, dialoginfo.Dialog{
			ID: l.id + "-r", CallID: l.callID, LocalTag: l.calleeTag, RemoteTag: l.callerTag,
			Direction: dialoginfo.DirectionRecipient, State: l.state, Event: l.calleeEvent, Code: code,
			LocalIdentity: l.calleeURI, LocalDisplay: l.calleeDisplay, LocalTarget: l.calleeTarget,
			RemoteIdentity: l.callerURI, RemoteDisplay: l.callerDisplay, RemoteTarget: l.callerTarget,
		})
	}
	return out
}
