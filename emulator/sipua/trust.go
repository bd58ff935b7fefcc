package sipua

import (
	"net"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// trusted takes new calls only from the lines' registrars when
// Options.AcceptCallsFromRegistrar is set, as desk phones can be set to:
// Yealink's "Accept SIP Trust Server Only" (sip.trust_ctrl: "only accept
// the SIP message from your SIP server and outbound proxy server"),
// Grandstream's "Only Accept SIP Requests from Known Servers". An INVITE
// outside a dialog from any other address gets 403 Forbidden and never
// rings. Over UDP the source must be the registrar's host:port (its
// listening socket); over TCP its host, as the connection's port is not the
// server's.
func (u *UA) trusted(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if u.opts.AcceptCallsFromRegistrar && req.IsInvite() && !hasToTag(req) && !u.fromRegistrar(req) {
			u.log.Info("INVITE refused: not from a line's registrar", "source", req.Source())
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil))
			return
		}
		next(req, tx)
	}
}

func hasToTag(req *sip.Request) bool {
	to := req.To()
	return to != nil && to.Params.Has("tag")
}

// fromRegistrar reports whether req came from one of the lines' servers.
func (u *UA) fromRegistrar(req *sip.Request) bool {
	src := req.Source()
	srcHost, _, err := net.SplitHostPort(src)
	if err != nil {
		return false
	}
	reliable := !strings.EqualFold(req.Transport(), "udp")
	for _, l := range u.accounts() {
		host, port, err := net.SplitHostPort(l.Server)
		if err != nil {
			host, port = l.Server, "5060" // RFC 3261 §19.1.2: default port
		}
		if (reliable && host == srcHost) || net.JoinHostPort(host, port) == src {
			return true
		}
	}
	return false
}
