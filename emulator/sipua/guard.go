package sipua

import (
	"log/slog"
	"runtime/debug"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/internal/sipcheck"
)

// guard screens every request before diago sees it.
//
// It refuses what RFC 3261 says a UAS refuses (screen), so a malformed
// INVITE gets its 4xx and never rings the phone (issue 7).
//
// RFC 3261 §8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via are the
// minimum every request carries; §8.2.2 ff. a UAS answers what it cannot
// process with a 4xx. diago dereferences To and From without checking (its
// error log calls req.To().Value()), so a datagram without them would panic
// and take every phone of the process down; FuzzSIPDatagram found it. The
// guard answers such requests 400 itself, and turns any other panic in a
// handler into a log line and, where nothing was sent yet, a 500.
func guard(log *slog.Logger) func(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(next sipgo.RequestHandler) sipgo.RequestHandler {
		return func(req *sip.Request, tx sip.ServerTransaction) {
			if missing := missingHeader(req); missing != "" {
				log.Info("bad SIP request", "method", req.Method.String(), "source", req.Source(), "missing", missing)
				if !req.IsAck() {
					_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Missing "+missing, nil))
				}
				return
			}
			if r := screen(req); r != nil {
				log.Info("SIP request refused", "method", req.Method.String(), "source", req.Source(), "code", r.Code, "reason", r.Reason)
				if !req.IsAck() {
					res := sip.NewResponseFromRequest(req, r.Code, r.Reason, nil)
					for _, h := range r.Headers {
						res.AppendHeader(h)
					}
					_ = tx.Respond(res)
				}
				return
			}
			defer func() {
				if r := recover(); r != nil {
					log.Error("panic in SIP handler", "method", req.Method.String(), "panic", r, "stack", string(debug.Stack()))
					if !req.IsAck() {
						_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Internal Error", nil))
					}
				}
			}()
			next(req, tx)
		}
	}
}

func missingHeader(req *sip.Request) string {
	switch {
	case req.Via() == nil:
		return "Via"
	case req.From() == nil:
		return "From"
	case req.To() == nil:
		return "To"
	case req.CallID() == nil:
		return "Call-ID"
	case req.CSeq() == nil:
		return "CSeq"
	}
	return ""
}

// screen refuses, before anything rings, what RFC 3261 says a UAS refuses
// (internal/sipcheck): repeated single-value headers, headers in the
// Request-URI, a bad Date, a CSeq method mismatch (400), an unknown URI
// scheme (416), an INVITE body other than SDP (415), an Accept without
// SDP (406) and a Require the phone does not support (420). The phone
// supports Replaces (RFC 3891).
func screen(req *sip.Request) *sipcheck.Refusal {
	if r := sipcheck.Syntax(req); r != nil {
		return r
	}
	if r := sipcheck.Extensions(req, "replaces"); r != nil {
		return r
	}
	return sipcheck.Offer(req)
}
