package registrar

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// handleRegister is the registrar, RFC 3261 §10.3 "Processing REGISTER
// Requests", step by step.
func (rn *run) handleRegister(req *sip.Request, tx *txn) {
	r := rn.r
	now := r.opts.now()

	// Step 2: "the registrar MUST process the Require header field values
	// as described for UASs in Section 8.2.2." We support no extension.
	if exts := requiredExtensions(req); len(exts) > 0 {
		tx.respond(req, sip.StatusBadExtension, "Bad Extension", sip.NewHeader("Unsupported", strings.Join(exts, ", ")))
		return
	}
	user := req.To().Address.User
	if user == "" {
		tx.respond(req, sip.StatusBadRequest, "Missing User In To")
		return
	}

	// Steps 3-4: authenticate, then check that the authenticated user may
	// change this address of record.
	if !r.auth.open() {
		authUser, outcome := r.auth.check(req, "Authorization")
		switch outcome {
		case authOK:
			if authUser != user {
				// "If the authenticated user is not authorized to modify
				// registrations, the registrar MUST return a 403 (Forbidden)"
				tx.respond(req, sip.StatusForbidden, "Forbidden")
				return
			}
		case authMissing, authInvalid, authStale:
			tx.respond(req, sip.StatusUnauthorized, "Unauthorized",
				sip.NewHeader("WWW-Authenticate", r.auth.challenge(outcome == authStale)))
			return
		case authUnknownUser:
			// Step 5 in effect: "If the address-of-record in the To header
			// field [...] does not exist within the domain, the registrar
			// MUST return a 404 (Not Found)".
			tx.respond(req, sip.StatusNotFound, "Not Found")
			return
		case authWrongPassword:
			// Asterisk chan_sip and FreeSWITCH answer 403 to a wrong
			// password; Kamailio's default script and PJSIP challenge again
			// with 401. We answer 403: the phone stops at once and can show
			// "wrong password" instead of looping on challenges.
			r.log.Info("registrar: wrong password", "user", authUser, "source", req.Source())
			tx.respond(req, sip.StatusForbidden, "Forbidden")
			return
		}
	}

	rq := registerRequest{
		user:      user,
		callID:    req.CallID().Value(),
		cseq:      req.CSeq().SeqNo,
		source:    req.Source(),
		transport: strings.ToUpper(req.Transport()),
	}
	if h := req.GetHeader("User-Agent"); h != nil {
		rq.userAgent = h.Value()
	}

	// Step 6: Contact processing.
	defaultExp := durationSeconds(r.cfg.DefaultExpires)
	headerExp, hasHeaderExp := defaultExp, false
	if h := req.GetHeader("Expires"); h != nil {
		hasHeaderExp = true
		if v, ok := parseDeltaSeconds(h.Value()); ok {
			headerExp = v
		} // §20.19: malformed means 3600 (our default)
	}
	var contacts []*sip.ContactHeader
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			tx.respond(req, sip.StatusBadRequest, "Malformed Contact")
			return
		}
		contacts = append(contacts, c)
	}
	var granted uint32
	for _, c := range contacts {
		if c.Address.Wildcard {
			// "If the request has additional Contact fields or an expiration
			// time other than zero, the request is invalid, and the server
			// MUST return a 400 (Invalid Request)".
			if len(contacts) != 1 || !hasHeaderExp || headerExp != 0 {
				tx.respond(req, sip.StatusBadRequest, "Invalid Wildcard Contact")
				return
			}
			rq.wildcard = true
			break
		}
		scheme := strings.ToLower(c.Address.Scheme)
		if (scheme != "sip" && scheme != "sips") || c.Address.Host == "" {
			tx.respond(req, sip.StatusBadRequest, "Unsupported Contact URI")
			return
		}
		// Step 7: "If the field value has an "expires" parameter, that value
		// MUST be taken as the requested expiration. If there is no such
		// parameter, but the request has an Expires header field, that value
		// MUST be taken [...]. If neither, the registrar [...] MUST use a
		// locally-configured default value".
		secs := headerExp
		if v, ok := paramFold(c.Params, "expires"); ok {
			secs = defaultExp
			if n, ok := parseDeltaSeconds(v); ok {
				secs = n
			}
		}
		if secs != 0 && secs < durationSeconds(r.cfg.MinExpires) {
			// "the registrar MAY reject the registration with a response of
			// 423 (Interval Too Brief). This response MUST contain a
			// Min-Expires header field".
			tx.respond(req, sip.StatusIntervalToBrief, "Interval Too Brief",
				sip.NewHeader("Min-Expires", strconv.FormatUint(uint64(durationSeconds(r.cfg.MinExpires)), 10)))
			return
		}
		// "the registrar MAY shorten the expiration time"
		secs = min(secs, durationSeconds(r.cfg.MaxExpires))
		if len(rq.contacts) == 0 {
			granted = secs
		}
		rq.contacts = append(rq.contacts, contactUpdate{
			uri:     *c.Address.Clone(),
			key:     contactKey(c.Address),
			expires: time.Duration(secs) * time.Second,
		})
	}

	if rq.wildcard || len(rq.contacts) > 0 {
		if err := r.loc.apply(rq, now); err != nil {
			tx.respond(req, sip.StatusBadRequest, "CSeq Out Of Order")
			return
		}
		r.log.Debug("registrar: bindings updated", "user", user, "contacts", len(rq.contacts), "wildcard", rq.wildcard, "expires", granted, "source", rq.source)
	}

	// Step 8: "The response SHOULD include a Contact header field value
	// enumerating all current bindings. Each Contact value MUST feature an
	// "expires" parameter indicating its expiration interval chosen by the
	// registrar. The response SHOULD include a Date header field."
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	for _, b := range r.loc.of(user, now) {
		var u sip.Uri
		if err := sip.ParseUri(b.Contact, &u); err != nil {
			continue // cannot happen: we printed it
		}
		left := b.Expires.Sub(now)
		secs := (left + time.Second - 1) / time.Second
		res.AppendHeader(&sip.ContactHeader{
			Address: u,
			Params:  sip.HeaderParams{{K: "expires", V: strconv.FormatInt(int64(secs), 10)}},
		})
	}
	if rq.wildcard || len(rq.contacts) > 0 {
		// Not required by §10.3, but phones (and diago) time their refresh
		// from it: the expiry granted to the request's first contact.
		exp := sip.ExpiresHeader(granted)
		res.AppendHeader(&exp)
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(http.TimeFormat)))
	tx.respondWith(res)
}

// requiredExtensions lists the option-tags of Require headers (§20.32).
func requiredExtensions(req *sip.Request) []string {
	var out []string
	for _, h := range req.GetHeaders("Require") {
		for _, tag := range strings.Split(h.Value(), ",") {
			if tag = strings.TrimSpace(tag); tag != "" {
				out = append(out, tag)
			}
		}
	}
	return out
}

// durationSeconds rounds d up to whole seconds, as SIP counts them.
func durationSeconds(d time.Duration) uint32 {
	s := (d + time.Second - 1) / time.Second
	if s > maxDeltaSeconds {
		return maxDeltaSeconds
	}
	if s < 0 {
		return 0
	}
	return uint32(s)
}
