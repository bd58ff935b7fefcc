package registrar

import (
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The relay policy (issue 7): the proxy serves its own domain and its
// registered users, not the world. RFC 3261 §16.5 leaves it to the proxy
// which domains it is "responsible for"; §26.3.2.2 asks a proxy to
// authenticate requests before it acts on them. Kamailio's default
// kamailio.cfg does the same in route[AUTH]: it challenges requests from
// its own users, and refuses the rest unless they are for a local
// destination ("not an open relay here": 403 Not relaying).

// registeredSource reports whether src ("ip:port") is where a current
// binding's REGISTER came from: a phone registered here.
func (l *location) registeredSource(src string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, set := range l.aors {
		for _, b := range set {
			if b.Source == src && b.Expires.After(now) {
				return true
			}
		}
	}
	return false
}

// registeredHop reports whether h is the address of a current binding's
// contact: a request routed there reaches one of our registered phones.
func (l *location) registeredHop(h hop, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, set := range l.aors {
		for _, b := range set {
			if bh, ok := hopOf(b.uri); ok && bh.host == h.host && bh.port == h.port && b.Expires.After(now) {
				return true
			}
		}
	}
	return false
}

// senderKnown reports whether req comes from a phone registered here.
func (rn *run) senderKnown(req *sip.Request) bool {
	return rn.r.loc.registeredSource(req.Source(), rn.r.opts.now())
}

// challengeUnknown applies §26.3.2.2 to an out-of-dialog request other
// than INVITE (INVITEs are challenged in handleProxy): from a sender that
// has not registered here it needs digest credentials, as an INVITE does.
// It reports whether the request may go on; otherwise it answered.
func (rn *run) challengeUnknown(req, fwd *sip.Request, tx *txn) bool {
	r := rn.r
	if r.auth.open() || r.cfg.DisableInviteChallenge || rn.senderKnown(req) {
		return true
	}
	return rn.authorizeInvite(req, fwd, tx)
}

// relayAllowed decides whether a request may be forwarded to next, a hop
// outside our domain (forUs false): to a registered phone, always; for a
// registered or authenticated sender, to an IP address (or a host name
// when Config.ResolveForeignDomains is set). Otherwise it answers 403, or
// 404 for a name it will not resolve, without a DNS lookup.
func (rn *run) relayAllowed(req *sip.Request, tx *txn, next hop, authenticated bool) bool {
	now := rn.r.opts.now()
	if rn.r.loc.registeredHop(next, now) {
		return true
	}
	if !authenticated && !rn.senderKnown(req) && !rn.r.auth.open() {
		rn.fail(req, tx, sip.StatusForbidden, "Relaying Forbidden")
		return false
	}
	if _, err := netip.ParseAddr(next.host); err != nil && !rn.r.cfg.ResolveForeignDomains {
		rn.fail(req, tx, sip.StatusNotFound, "Domain Not Served")
		return false
	}
	return true
}
