package registrar

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/internal/sipcheck"
)

// txn wraps a sipgo server transaction and remembers whether it got a final
// response: sipgo #277 — a server transaction left without one leaks a
// goroutine — so handle answers 500 for any handler that forgot.
type txn struct {
	sip.ServerTransaction
	final atomic.Bool
	log   func(msg string, args ...any)
}

func (t *txn) respondWith(res *sip.Response) {
	if res.IsProvisional() && t.final.Load() {
		return
	}
	if !res.IsProvisional() {
		if t.final.Swap(true) {
			return // a final response went already (e.g. 487 after CANCEL)
		}
	}
	if err := t.Respond(res); err != nil {
		t.log("registrar: respond failed", "status", res.StatusCode, "error", err)
	}
}

// respond answers req with a locally generated response.
func (t *txn) respond(req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.AppendHeader(sip.NewHeader("Server", serverName))
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	t.respondWith(res)
}

// handle adapts a handler to sipgo: it tracks it for shutdown, validates the
// request, recovers panics and makes sure a final response goes out.
func (rn *run) handle(h func(req *sip.Request, tx *txn)) sipgo.RequestHandler {
	return func(req *sip.Request, stx sip.ServerTransaction) {
		tx := &txn{ServerTransaction: stx, log: rn.r.log.Warn}
		if !rn.enter() {
			if !req.IsAck() {
				tx.respond(req, sip.StatusServiceUnavailable, "Shutting Down")
			}
			return
		}
		defer rn.handlers.Done()
		if stx.OnCancel(func(*sip.Request) { tx.final.Store(true) }) == false && req.IsInvite() {
			return // cancelled before we saw it: sipgo answered 487 already
		}
		defer func() {
			if p := recover(); p != nil {
				rn.r.log.Error("registrar: handler panic", "method", req.Method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
			if !req.IsAck() && !tx.final.Load() {
				tx.respond(req, sip.StatusInternalServerError, "Server Internal Error")
			}
		}()
		if code, reason := validateRequest(req); code != 0 {
			if !req.IsAck() {
				tx.respond(req, code, reason)
			}
			return
		}
		h(req, tx)
	}
}

// validateRequest applies RFC 3261 §8.2 / §16.3 checks sipgo leaves to us.
// It returns 0 when the request is fine.
func validateRequest(req *sip.Request) (int, string) {
	// §8.1.1: "A valid SIP request [...] MUST, at a minimum, contain the
	// following header fields: To, From, CSeq, Call-ID, Max-Forwards, and
	// Via". Max-Forwards we tolerate (many old UAs omit it) and add 70.
	if req.To() == nil || req.From() == nil || req.CallID() == nil || req.CSeq() == nil || req.Via() == nil {
		return sip.StatusBadRequest, "Missing Mandatory Header"
	}
	// §8.2.1 / §16.3 step 1: the CSeq method must match the request method.
	if req.CSeq().MethodName != req.Method {
		return sip.StatusBadRequest, "CSeq Method Mismatch"
	}
	if req.SipVersion != "SIP/2.0" {
		return sip.StatusVersionNotSupported, "Version Not Supported"
	}
	// What RFC 3261 refuses in any element (internal/sipcheck): repeated
	// single-value headers, headers in the Request-URI, a bad Date, an
	// unknown scheme. A proxy that relayed them would ring the phone.
	if rf := sipcheck.Syntax(req); rf != nil {
		return rf.Code, rf.Reason
	}
	return 0, ""
}

// nonSuccessBranches remembers INVITE transactions we answered with a
// failure (>= 300), for Timer H. Their ACK is hop-by-hop (RFC 3261 §17.1.1.3)
// and must stop here; over UDP sipgo's transaction absorbs it, but over TCP
// the transaction is gone when the ACK arrives, so the ACK handler asks here.
type nonSuccessBranches struct {
	mu        sync.Mutex
	m         map[string]time.Time
	lastPrune time.Time
}

func branchKey(via *sip.ViaHeader) string {
	if via == nil {
		return ""
	}
	b, _ := via.Params.Get("branch")
	if b == "" {
		return ""
	}
	return b + "|" + via.SentBy()
}

func (n *nonSuccessBranches) add(req *sip.Request) {
	key := branchKey(req.Via())
	if key == "" {
		return
	}
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = make(map[string]time.Time)
	}
	n.m[key] = now.Add(nonSuccessBranchTTL)
	if now.Sub(n.lastPrune) > time.Second {
		n.lastPrune = now
		for k, until := range n.m {
			if now.After(until) {
				delete(n.m, k)
			}
		}
	}
}

func (n *nonSuccessBranches) has(req *sip.Request) bool {
	key := branchKey(req.Via())
	if key == "" {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	until, ok := n.m[key]
	return ok && time.Now().Before(until)
}
