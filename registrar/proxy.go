package registrar

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// The stateful proxy, RFC 3261 §16: every request but REGISTER is routed
// (§16.4-16.5), forwarded on a sipgo client transaction (§16.6) and its
// responses relayed back on the server transaction (§16.7).

// allowedMethods is our Allow header (answers to OPTIONS for the registrar).
const allowedMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, SUBSCRIBE, INFO, UPDATE, MESSAGE, PRACK, PUBLISH"

// prebuilt tells sipgo's client the request is complete (no header added).
func prebuilt(*sipgo.Client, *sip.Request) error { return nil }

// fail answers req with a locally generated error; for an INVITE it also
// remembers the branch so that its ACK is absorbed (see nonSuccessBranches).
func (rn *run) fail(req *sip.Request, tx *txn, code int, reason string, hdrs ...sip.Header) {
	if req.IsInvite() && code >= 300 {
		rn.branches.add(req)
	}
	tx.respond(req, code, reason, hdrs...)
}

// failForward answers a request that could not be sent on. sipgo refuses
// UDP messages above sip.UDPMTUSize-200 bytes (RFC 3261 §18.1.1 wants TCP
// for those): 513. Anything else means the next hop is unreachable: 480, as
// for a phone that is registered but gone.
func (rn *run) failForward(req *sip.Request, tx *txn, err error) {
	if errors.Is(err, sip.ErrUDPMTUCongestion) {
		rn.fail(req, tx, sip.StatusMessageTooLarge, "Message Too Large")
		return
	}
	rn.fail(req, tx, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
}

// handleProxy handles every method but REGISTER, ACK and CANCEL.
func (rn *run) handleProxy(req *sip.Request, tx *txn) {
	r := rn.r
	// §16.3 step 2: "If the Request-URI has a URI whose scheme is not
	// understood by the proxy, the proxy SHOULD reject the request with a
	// 416 (Unsupported URI Scheme) response."
	if s := strings.ToLower(req.Recipient.Scheme); s != "sip" && s != "sips" {
		rn.fail(req, tx, sip.StatusRequestedRangeNotSatisfiable, "Unsupported URI Scheme") // 416 in SIP
		return
	}
	// §16.3 step 3: "If the request does not contain a Max-Forwards header
	// field, this check is passed. If the request contains a Max-Forwards
	// header field with a field value of zero (0), the element MUST NOT
	// forward the request. [...] the element MUST return a 483".
	if mf := req.MaxForwards(); mf != nil && mf.Val() <= 0 {
		rn.fail(req, tx, sip.StatusTooManyHops, "Too Many Hops")
		return
	}

	fwd := req.Clone()
	rn.preprocessRoutes(fwd)
	initial := !req.To().Params.Has("tag")
	forUs := len(routeURIs(fwd)) == 0 && rn.isOurDomain(fwd.Recipient)

	// BLF (subscribe.go): we are the notifier of the dialog
	// event package for our users; a BYE ends a call we watch.
	if req.Method == sip.SUBSCRIBE && forUs {
		rn.handleSubscribe(req, tx)
		return
	}
	if req.Method == sip.BYE {
		rn.events.bye(req)
	}

	// An initial INVITE from a phone is challenged, as real PBXs do.
	authenticated := false
	if req.IsInvite() && initial && !r.cfg.DisableInviteChallenge && !r.auth.open() {
		if !rn.authorizeInvite(req, fwd, tx) {
			return
		}
		authenticated = true
	}

	var callee string // the local user an initial INVITE is for
	if forUs {
		callee = fwd.Recipient.User
	}
	next, code, reason := rn.resolveTarget(fwd)
	if code == sip.StatusOK { // addressed to the registrar itself
		rn.answerLocally(req, tx)
		return
	}
	if code != 0 {
		rn.fail(req, tx, code, reason)
		return
	}
	// The relay policy (relay.go): other out-of-dialog requests from
	// unregistered senders are challenged like INVITEs, and only our
	// domain and our registered phones are served to strangers.
	if initial && !req.IsInvite() {
		if !rn.challengeUnknown(req, fwd, tx) {
			return
		}
		authenticated = authenticated || !r.auth.open()
	}
	if !forUs && !rn.relayAllowed(req, tx, next, authenticated) {
		return
	}
	if next.transport != "udp" && next.transport != "tcp" {
		rn.fail(req, tx, sip.StatusServiceUnavailable, "Unsupported Transport "+next.transport)
		return
	}
	if rn.isSelfHop(next) {
		// §16.3 step 4 is optional loop detection; a request bound for our
		// own address would come straight back, so stop it here.
		rn.fail(req, tx, sip.StatusLoopDetected, "Loop Detected")
		return
	}
	dialogCreating := initial && (req.IsInvite() || req.Method == sip.SUBSCRIBE || req.Method == sip.REFER || req.Method == sip.NOTIFY)
	rn.prepareForward(req, fwd, next, dialogCreating)

	if req.IsInvite() {
		var watch *callWatch
		if initial {
			watch = rn.events.watchInvite(req, callee)
		}
		rn.proxyInvite(req, fwd, tx, watch)
		return
	}
	rn.proxyNonInvite(req, fwd, tx)
}

// authorizeInvite checks Proxy-Authorization on an initial INVITE (RFC 3261
// §22.3). It answers and returns false when the INVITE may not go on.
func (rn *run) authorizeInvite(req, fwd *sip.Request, tx *txn) bool {
	user, outcome := rn.r.auth.check(req, "Proxy-Authorization")
	switch outcome {
	case authOK:
		// Like Kamailio's auth_check(..., 1): the authenticated user must be
		// the one in From, or a phone could call in another's name.
		if user != req.From().Address.User {
			rn.fail(req, tx, sip.StatusForbidden, "Forbidden")
			return false
		}
		consumeCredentials(fwd, rn.r.cfg.Realm)
		return true
	case authMissing, authInvalid, authStale:
		// "the proxy [...] MUST respond with a 407 (Proxy Authentication
		// Required) [...] including a Proxy-Authenticate header field"
		rn.fail(req, tx, sip.StatusProxyAuthRequired, "Proxy Authentication Required",
			sip.NewHeader("Proxy-Authenticate", rn.r.auth.challenge(outcome == authStale)))
		return false
	default: // unknown user, wrong password
		rn.fail(req, tx, sip.StatusForbidden, "Forbidden")
		return false
	}
}

// consumeCredentials drops the Proxy-Authorization meant for our realm from
// the forwarded copy (Kamailio's consume_credentials); the callee has no use
// for it.
func consumeCredentials(fwd *sip.Request, realm string) {
	hs := fwd.GetHeaders("Proxy-Authorization")
	if len(hs) == 0 {
		return
	}
	for fwd.RemoveHeader("Proxy-Authorization") {
	}
	for _, h := range hs {
		if c, ok := parseCredentials(h.Value()); ok && c.Realm == realm {
			continue
		}
		fwd.AppendHeader(h)
	}
}

// resolveTarget is RFC 3261 §16.5 for fwd (after Route preprocessing): it
// sets the new Request-URI and returns the next hop. code is non-zero when
// the request cannot be forwarded; 200 means "answer it yourself".
func (rn *run) resolveTarget(fwd *sip.Request) (hop, int, string) {
	// Loose routing: a Route left after ours names the next hop, the
	// Request-URI stays as it is.
	if routes := routeURIs(fwd); len(routes) > 0 {
		next, ok := hopOf(routes[0])
		if !ok {
			return hop{}, sip.StatusBadRequest, "Bad Route"
		}
		return next, 0, ""
	}
	target := fwd.Recipient
	if rn.isOurDomain(target) {
		// "If the domain of the Request-URI indicates a domain this element
		// is responsible for, the Request-URI MUST be placed into the target
		// set as the only target" — after asking the location service.
		if target.User == "" {
			return hop{}, sip.StatusOK, ""
		}
		contact, ok := rn.r.loc.lookup(target.User, rn.r.opts.now())
		if !ok {
			if _, known := rn.r.cfg.Users[target.User]; known {
				return hop{}, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable"
			}
			return hop{}, sip.StatusNotFound, "Not Found"
		}
		fwd.Recipient = contact
		target = contact
	}
	next, ok := hopOf(target)
	if !ok {
		return hop{}, sip.StatusBadRequest, "Bad Request-URI"
	}
	return next, 0, ""
}

// answerLocally answers a request addressed to the registrar with no user.
func (rn *run) answerLocally(req *sip.Request, tx *txn) {
	if req.Method == sip.OPTIONS {
		// RFC 3261 §11.2: "Allow, Accept, Accept-Encoding, Accept-Language,
		// and Supported header fields SHOULD be present".
		tx.respond(req, sip.StatusOK, "OK",
			sip.NewHeader("Allow", allowedMethods),
			sip.NewHeader("Accept", "application/sdp"),
			sip.NewHeader("Supported", ""))
		return
	}
	rn.fail(req, tx, sip.StatusNotFound, "Not Found")
}

// proxyInvite forwards an INVITE and relays its responses; it handles
// CANCEL from the caller and Timer C (RFC 3261 §16.6 step 11, §16.8,
// §16.10). watch (nil for re-INVITEs) follows the call for BLF.
func (rn *run) proxyInvite(req, fwd *sip.Request, tx *txn, watch *callWatch) {
	// §16.2: "a stateful proxy [...] MUST generate a 100 (Trying)" when it
	// may not answer within 200 ms; we always do, at once.
	trying := sip.NewResponseFromRequest(req, sip.StatusTrying, "Trying", nil)
	upstream := trying.Destination()
	tx.respondWith(trying)

	cancelled := make(chan struct{})
	var once sync.Once
	if !tx.OnCancel(func(*sip.Request) { once.Do(func() { close(cancelled) }) }) {
		rn.branches.add(req) // sipgo answered 487 already
		return
	}

	clTx, err := rn.client.TransactionRequest(rn.ctx, fwd, prebuilt)
	if err != nil {
		rn.r.log.Info("registrar: forwarding INVITE failed", "to", fwd.Destination(), "error", err)
		rn.failForward(req, tx, err)
		return
	}
	watch.forwarded()
	defer watch.finish()

	var (
		gotProvisional bool
		isCancelled    bool
		cancelSent     bool
		txDone         = tx.Done()
		cancelCh       = (<-chan struct{})(cancelled)
	)
	timerC := time.NewTimer(rn.r.opts.ringTimeout)
	defer timerC.Stop()
	sendCancel := func() {
		if !cancelSent {
			cancelSent = true
			rn.sendCancel(fwd)
		}
	}
	// abandon stops caring about the caller: cancel downstream as soon as
	// we may (§9.1: not before a provisional response) and wait, bounded,
	// for the callee's final response, which clTx acknowledges itself.
	abandon := func() {
		isCancelled = true
		if gotProvisional {
			sendCancel()
		}
		timerC.Reset(cancelTransactionWait)
	}

	for {
		select {
		case res := <-clTx.Responses():
			watch.response(res)
			if res.IsProvisional() {
				gotProvisional = true
				if isCancelled {
					sendCancel()
					continue
				}
				if res.StatusCode == sip.StatusTrying {
					continue // §16.7 step 5: 100 is not forwarded
				}
				// §16.7 step 2: a provisional response other than 100
				// resets Timer C.
				timerC.Reset(rn.r.opts.ringTimeout)
				tx.respondWith(relayResponse(res, req, upstream))
				continue
			}
			if res.IsSuccess() {
				relay := relayResponse(res, req, upstream)
				// RFC 6026 §8.4: 2xx retransmissions reach the client
				// transaction in the Accepted state; forward them too.
				clTx.OnRetransmission(func(again *sip.Response) {
					rn.forwardStateless(relayResponse(again, req, upstream))
				})
				if isCancelled || tx.final.Load() {
					// The caller got 487 (or went away) but the callee
					// answered: the 2xx must still reach the caller, which
					// will ACK and BYE it (§16.7 step 10, §9.1).
					rn.forwardStateless(relay)
				} else {
					tx.respondWith(relay)
				}
				return
			}
			if !isCancelled {
				rn.branches.add(req)
				tx.respondWith(relayResponse(res, req, upstream))
			}
			return // clTx stays for Timer D, acknowledging retransmissions

		case <-cancelCh:
			cancelCh = nil
			rn.branches.add(req) // sipgo answered 487 to the caller
			watch.cancelled()
			abandon()

		case <-txDone:
			txDone = nil
			if !isCancelled && !tx.final.Load() {
				abandon() // transport error towards the caller
			}

		case <-clTx.Done():
			if !isCancelled {
				// No final response: Timer B or a transport error (§16.7
				// step 6: a timeout "MUST be treated as [...] 408").
				if errors.Is(clTx.Err(), sip.ErrTransactionTimeout) {
					rn.fail(req, tx, sip.StatusRequestTimeout, "Request Timeout")
				} else {
					rn.fail(req, tx, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
				}
			}
			return

		case <-timerC.C:
			if isCancelled {
				clTx.Terminate() // the callee never finished; give up
				return
			}
			// §16.8: Timer C fired. "If the client transaction has received
			// a provisional response, the proxy MUST generate a CANCEL
			// request matching that transaction. If the client transaction
			// has not received a provisional response, the proxy MUST
			// behave as if the transaction received a 408".
			rn.fail(req, tx, sip.StatusRequestTimeout, "Request Timeout")
			if !gotProvisional {
				clTx.Terminate()
				return
			}
			abandon()

		case <-rn.stop:
			rn.fail(req, tx, sip.StatusServiceUnavailable, "Shutting Down")
			clTx.Terminate()
			return
		}
	}
}

// sendCancel cancels the INVITE fwd downstream (RFC 3261 §9.1, §16.10):
// same Request-URI, Call-ID, From, To, CSeq number and top Via (our branch),
// and the same Route headers. Its transaction runs in the background.
func (rn *run) sendCancel(fwd *sip.Request) {
	c := sip.NewRequest(sip.CANCEL, *fwd.Recipient.Clone())
	c.AppendHeader(sip.HeaderClone(fwd.Via()))
	for _, h := range fwd.GetHeaders("Route") {
		c.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(70)
	c.AppendHeader(&mf)
	c.AppendHeader(sip.HeaderClone(fwd.From()))
	c.AppendHeader(sip.HeaderClone(fwd.To()))
	callID := sip.CallIDHeader(fwd.CallID().Value())
	c.AppendHeader(&callID)
	c.AppendHeader(&sip.CSeqHeader{SeqNo: fwd.CSeq().SeqNo, MethodName: sip.CANCEL})
	c.SetBody(nil)
	c.SetTransport(fwd.Transport())
	c.SetDestination(fwd.Destination())
	c.Laddr = fwd.Laddr
	rn.goBackground(func() {
		ctx, cancel := context.WithTimeout(rn.ctx, cancelTransactionWait)
		defer cancel()
		res, err := rn.client.Do(ctx, c, prebuilt)
		if err != nil {
			rn.r.log.Debug("registrar: CANCEL got no answer", "to", c.Destination(), "error", err)
			return
		}
		rn.r.log.Debug("registrar: CANCEL answered", "status", res.StatusCode)
	})
}

// proxyNonInvite forwards any other request and relays its responses.
func (rn *run) proxyNonInvite(req, fwd *sip.Request, tx *txn) {
	upstream := upstreamOf(req)
	clTx, err := rn.client.TransactionRequest(rn.ctx, fwd, prebuilt)
	if err != nil {
		rn.r.log.Info("registrar: forwarding failed", "method", req.Method, "to", fwd.Destination(), "error", err)
		rn.failForward(req, tx, err)
		return
	}
	for {
		select {
		case res := <-clTx.Responses():
			if res.StatusCode == sip.StatusTrying {
				continue
			}
			tx.respondWith(relayResponse(res, req, upstream))
			if !res.IsProvisional() {
				return // clTx stays for Timer K
			}
		case <-clTx.Done():
			if errors.Is(clTx.Err(), sip.ErrTransactionTimeout) {
				rn.fail(req, tx, sip.StatusRequestTimeout, "Request Timeout")
			} else {
				rn.fail(req, tx, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
			}
			return
		case <-tx.Done():
			clTx.Terminate()
			return
		case <-rn.stop:
			rn.fail(req, tx, sip.StatusServiceUnavailable, "Shutting Down")
			clTx.Terminate()
			return
		}
	}
}

// forwardStateless sends a response upstream outside any transaction (2xx
// retransmissions, a 2xx racing a CANCEL).
func (rn *run) forwardStateless(res *sip.Response) {
	if strings.EqualFold(res.Transport(), "udp") {
		ap, err := netip.ParseAddrPort(res.Destination())
		if err == nil {
			_, err = rn.udp.WriteToUDPAddrPort([]byte(res.String()), ap)
		}
		if err != nil && !errors.Is(err, net.ErrClosed) {
			rn.r.log.Debug("registrar: stateless response not sent", "to", res.Destination(), "error", err)
		}
		return
	}
	if err := rn.srv.WriteResponse(res); err != nil {
		rn.r.log.Debug("registrar: stateless response not sent", "to", res.Destination(), "error", err)
	}
}

// handleAck forwards an ACK statelessly (RFC 3261 §16.11 / §17): an ACK for
// a 2xx is its own transaction and follows the Route set like any
// in-dialog request; an ACK for a failure we sent stops here.
func (rn *run) handleAck(req *sip.Request, _ *txn) {
	if rn.branches.has(req) {
		return
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() <= 0 {
		return
	}
	fwd := req.Clone()
	rn.preprocessRoutes(fwd)
	next, code, _ := rn.resolveTarget(fwd)
	if code != 0 || (next.transport != "udp" && next.transport != "tcp") || rn.isSelfHop(next) {
		rn.r.log.Debug("registrar: ACK dropped", "ruri", req.Recipient.String(), "code", code)
		return
	}
	rn.prepareForward(req, fwd, next, false)
	if err := rn.client.WriteRequest(fwd, prebuilt); err != nil {
		rn.r.log.Debug("registrar: ACK not forwarded", "to", fwd.Destination(), "error", err)
	}
}

// handleCancel sees only a CANCEL that matched no INVITE: sipgo's
// transaction layer answers matching ones itself (200, then 487 to the
// INVITE) and we relay them downstream from proxyInvite. RFC 3261 §9.2: "If
// the UAS did not find a matching transaction for the CANCEL [...], it
// SHOULD respond to the CANCEL with a 481".
func (rn *run) handleCancel(req *sip.Request, tx *txn) {
	tx.respond(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}
