package registrar

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Routing helpers of the proxy: who "we" are, Route preprocessing, where a
// URI sends a request, and the headers a forwarded request gains.

// hop is the next hop of a forwarded request.
type hop struct {
	host      string // IP or name, no brackets
	port      int
	transport string // "udp" or "tcp"
}

func (h hop) dest() string { return net.JoinHostPort(h.host, strconv.Itoa(h.port)) }

// hopOf resolves where a URI sends a request (RFC 3263 §4 without DNS:
// transport parameter, else UDP for sip:; port, else 5060 / 5061).
func hopOf(u sip.Uri) (hop, bool) {
	host := strings.TrimSuffix(strings.TrimPrefix(u.Host, "["), "]")
	if host == "" || u.Wildcard {
		return hop{}, false
	}
	tp := "udp"
	if strings.EqualFold(u.Scheme, "sips") {
		tp = "tls"
	}
	if v, ok := paramFold(u.UriParams, "transport"); ok && v != "" {
		tp = strings.ToLower(v)
	}
	port := u.Port
	if port == 0 {
		port = 5060
		if tp == "tls" {
			port = 5061
		}
	}
	if port < 0 || port > 65535 {
		return hop{}, false
	}
	return hop{host: host, port: port, transport: tp}, true
}

// isSelf reports whether u names this registrar's own address.
func (rn *run) isSelf(u sip.Uri) bool {
	h, ok := hopOf(u)
	if !ok {
		return false
	}
	return rn.isSelfHop(h)
}

func (rn *run) isSelfHop(h hop) bool {
	ip, err := netip.ParseAddr(h.host)
	if err != nil {
		return false
	}
	return ip.Unmap() == rn.self.Addr() && h.port == rn.selfPort()
}

// isOurDomain reports whether requests for u are ours to resolve through the
// location service: our address, or our realm used as a domain name.
func (rn *run) isOurDomain(u sip.Uri) bool {
	return rn.isSelf(u) || strings.EqualFold(u.Host, rn.r.cfg.Realm)
}

// routeURIs returns the Route header values of msg, top first.
func routeURIs(msg *sip.Request) []sip.Uri { return headerURIs(msg, "Route") }

// recordRouteURIs returns the Record-Route values of req, in order.
func recordRouteURIs(req *sip.Request) []sip.Uri { return headerURIs(req, "Record-Route") }

// headerURIs returns the addresses of every name header (Route or
// Record-Route), in order; values that do not parse are skipped.
func headerURIs(msg *sip.Request, name string) []sip.Uri {
	var out []sip.Uri
	for _, h := range msg.GetHeaders(name) {
		switch rh := h.(type) {
		case *sip.RouteHeader:
			out = append(out, *rh.Address.Clone())
		case *sip.RecordRouteHeader:
			out = append(out, *rh.Address.Clone())
		default:
			var u sip.Uri
			params := sip.NewParams()
			if _, err := sip.ParseAddressValue(h.Value(), &u, &params); err == nil {
				out = append(out, u)
			}
		}
	}
	return out
}

// setRoutes replaces every Route header of msg with routes, in order.
func setRoutes(msg *sip.Request, routes []sip.Uri) {
	for msg.RemoveHeader("Route") {
	}
	for _, u := range routes {
		msg.AppendHeader(&sip.RouteHeader{Address: u})
	}
}

// preprocessRoutes is RFC 3261 §16.4 on the copy we forward.
func (rn *run) preprocessRoutes(fwd *sip.Request) {
	routes := routeURIs(fwd)
	changed := false
	// "If the Request-URI contains a value this proxy previously placed
	// into a Record-Route header field, the proxy MUST replace the
	// Request-URI in the request with the last value from the Route header
	// field, and remove that value from the Route header field." (a strict
	// router before us)
	if fwd.Recipient.User == "" && rn.isSelf(fwd.Recipient) && len(routes) > 0 {
		fwd.Recipient = routes[len(routes)-1]
		routes = routes[:len(routes)-1]
		changed = true
	}
	// "If the first value in the Route header field indicates this proxy,
	// the proxy MUST remove that value from the request." Both of our
	// double Record-Route entries may be there.
	for len(routes) > 0 && rn.isSelf(routes[0]) {
		routes = routes[1:]
		changed = true
	}
	if changed {
		setRoutes(fwd, routes)
	}
}

// recordRoute is our Record-Route value for a transport, with lr (RFC 3261
// §16.6 step 4: "The URI placed in the Record-Route header field value MUST
// be a SIP or SIPS URI [...] and MUST contain an lr parameter").
func (rn *run) recordRoute(tp string) *sip.RecordRouteHeader {
	return &sip.RecordRouteHeader{Address: sip.Uri{
		Scheme:    "sip",
		Host:      rn.selfHost(),
		Port:      rn.selfPort(),
		UriParams: sip.HeaderParams{{K: "transport", V: tp}, {K: "lr"}},
	}}
}

// prepareForward applies RFC 3261 §16.6 steps 3, 4 and 8 to fwd, bound for
// next, and addresses it. recordRoute is set for dialog-initiating requests.
func (rn *run) prepareForward(req, fwd *sip.Request, next hop, recordRoute bool) {
	// Step 3: "If the copy contains a Max-Forwards header field, the proxy
	// MUST decrement its value by one (1). If the copy does not contain a
	// Max-Forwards header field, the proxy MUST add one with a field value,
	// which SHOULD be 70." (A fresh header: sipgo's Clone shares this one.)
	mf := sip.MaxForwardsHeader(70)
	if cur := fwd.MaxForwards(); cur != nil {
		mf = sip.MaxForwardsHeader(cur.Val() - 1)
		fwd.ReplaceHeader(&mf)
	} else {
		fwd.AppendHeader(&mf)
	}

	// RFC 3581 §4 / RFC 3261 §18.2.1: record where the request came from in
	// the sender's Via, so that responses find their way back.
	if via := fwd.Via(); via != nil {
		if srcHost, srcPort, err := net.SplitHostPort(req.Source()); err == nil {
			if v, ok := via.Params.Get("rport"); ok && v == "" {
				via.Params.Add("rport", srcPort)
				via.Params.Add("received", srcHost)
			} else if strings.Trim(via.Host, "[]") != srcHost {
				via.Params.Add("received", srcHost)
			}
		}
	}

	// Step 4: Record-Route, so that in-dialog requests come through us.
	// When the two sides use different transports we record-route twice
	// (RFC 5658 §3.2 "double Record-Routing"): the top entry faces the
	// callee, the next one the caller.
	if recordRoute {
		in := strings.ToLower(req.Transport())
		if in == next.transport {
			fwd.PrependHeader(rn.recordRoute(next.transport))
		} else {
			fwd.PrependHeader(rn.recordRoute(next.transport), rn.recordRoute(in))
		}
	}

	// Step 8: "The proxy MUST insert a Via header field value into the copy
	// before the existing Via header field values." A fresh branch: we are
	// stateful, so the CANCEL we may send later copies it.
	upper := strings.ToUpper(next.transport)
	fwd.PrependHeader(&sip.ViaHeader{
		ProtocolName:    "SIP",
		ProtocolVersion: "2.0",
		Transport:       upper,
		Host:            rn.selfHost(),
		Port:            rn.selfPort(),
		Params:          sip.HeaderParams{{K: "branch", V: sip.GenerateBranchN(16)}},
	})
	fwd.SetTransport(upper)
	fwd.SetDestination(next.dest())
	fwd.Laddr = sip.Addr{}
	if next.transport == "udp" {
		// Send from the listening socket, so that replies come back to it.
		fwd.Laddr = sip.Addr{IP: net.IP(rn.self.Addr().AsSlice()), Port: rn.selfPort()}
	}
}

// upstreamOf is where responses to req go (RFC 3261 §18.2.2, RFC 3581 §4),
// as sipgo works it out for responses it builds itself.
func upstreamOf(req *sip.Request) string {
	return sip.NewResponseFromRequest(req, sip.StatusTrying, "Trying", nil).Destination()
}

// relayResponse prepares a response from downstream for upstream: RFC 3261
// §16.7 step 3, "The proxy removes the topmost Via header field value from
// the response."
func relayResponse(res *sip.Response, req *sip.Request, upstream string) *sip.Response {
	out := res.Clone()
	out.RemoveHeader("Via")
	out.SetTransport(req.Transport())
	out.SetDestination(upstream)
	return out
}
