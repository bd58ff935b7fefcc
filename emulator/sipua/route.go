package sipua

import (
	"context"
	"net"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// Every request we send goes through sentRequests before sipgo's
// transaction layer (it is the client's TxRequester): the last place where
// the request is whole and not yet on the wire.
//
// RFC 3261 §12.2.1.1: "If the route set is not empty, and the first URI in
// the route set contains the lr parameter ..., the UAC MUST place the
// remote target URI into the Request-URI and MUST include a Route header
// field containing the route set values in order" and §8.1.2: the request
// is then sent to the first Route. sipgo's dialogs add the Route headers,
// but diago's re-INVITE (Hold, Unhold) clones the request before that,
// and the clone pins the destination to the remote target: the re-INVITE
// skipped the proxy. It also never set the local address, so sipgo opened
// a fresh socket on 0.0.0.0 and wrote "Via: SIP/2.0/UDP 0.0.0.0:PORT"
// (RFC 3261 §18.1.1: sent-by is where responses must come back). Here each
// request leaves from the phone's SIP socket towards its first Route.
//
// The SDP origin is mended on the way out as well (sdporigin.go).
type sentRequests struct {
	u   *UA
	txl *sip.TransactionLayer
	tpl *sip.TransportLayer
}

// Request implements sipgo.ClientTransactionRequester.
func (s sentRequests) Request(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error) {
	s.u.route(req)
	s.u.origins.outgoing(req)
	if req.IsAck() {
		// sipgo's WriteRequest comes here too: an ACK has no
		// transaction (RFC 3261 §17.1.1.3 for 2xx), it goes straight out.
		return nil, s.tpl.WriteMsg(req)
	}
	tx, err := s.txl.Request(ctx, req)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return tx, nil
}

// route makes req leave from the phone's SIP socket and, when it carries a
// route set, go to its first entry.
func (u *UA) route(req *sip.Request) {
	if u.opts.Transport == "udp" && req.Laddr.IP == nil {
		// sipgo then writes on the listening socket (one socket per
		// phone, as a desk phone has) and Via names it.
		req.Laddr = sip.Addr{IP: net.ParseIP(u.opts.IP), Port: u.port}
	}
	if via := req.Via(); via != nil && (via.Host == "" || via.Host == "0.0.0.0" || via.Port == 0) {
		via.Host, via.Port = u.opts.IP, u.port
	}
	if r := req.Route(); r != nil {
		req.SetDestination(hostPort(r.Address, req.Transport()))
	}
}

// hostPort is where a URI points: its host and port, the transport's
// default port when it names none (RFC 3263 §4.2 without DNS: the phone
// is given IP addresses).
func hostPort(u sip.Uri, transport string) string {
	port := u.Port
	if port == 0 {
		port = sip.DefaultPort(transport)
	}
	return net.JoinHostPort(u.Host, strconv.Itoa(port))
}
