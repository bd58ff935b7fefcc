package registrar

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The location service (RFC 3261 §10.3, §16.5): address-of-record user ->
// contact bindings with their expiry. Expired bindings are dropped lazily,
// whenever their user is looked up or the list is read; no goroutine runs.

type binding struct {
	Binding
	uri     sip.Uri
	callID  string
	cseq    uint32
	updated time.Time // last REGISTER that set it: the newest one gets calls
}

type location struct {
	mu        sync.Mutex
	aors      map[string]map[string]*binding // user -> contact key -> binding
	lastSweep time.Time                      // last pruning of every user
}

// sweepEvery bounds how long expired bindings of users nobody asks about
// stay in memory.
const sweepEvery = time.Minute

func newLocation() *location {
	return &location{aors: make(map[string]map[string]*binding)}
}

func (l *location) clear() {
	l.mu.Lock()
	l.aors = make(map[string]map[string]*binding)
	l.mu.Unlock()
}

// contactUpdate is one Contact of a REGISTER, already validated.
type contactUpdate struct {
	uri     sip.Uri
	key     string
	expires time.Duration // 0 removes the binding
}

// registerRequest is what a REGISTER asks of the location service.
type registerRequest struct {
	user      string
	wildcard  bool // "Contact: *" with Expires: 0 — remove all
	contacts  []contactUpdate
	callID    string
	cseq      uint32
	source    string
	transport string
	userAgent string
}

var errOutOfOrder = errors.New("CSeq out of order for this Call-ID")

// apply performs RFC 3261 §10.3 steps 6-7 atomically: either every contact
// of the request is applied or none (when one is out of order).
func (l *location) apply(rq registerRequest, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > sweepEvery {
		l.sweep(now)
	}
	set := l.aors[rq.user]
	pruneExpired(set, now)

	// Step 7: "If the binding does exist, the registrar checks the Call-ID
	// value. [...] If they are the same, the registrar compares the CSeq
	// value. If the value is higher than that of the existing binding, it
	// MUST update or remove the binding as above. If not, the update MUST
	// be aborted and the request fails."
	stale := func(b *binding) bool { return b.callID == rq.callID && rq.cseq <= b.cseq }
	if rq.wildcard {
		for _, b := range set {
			if stale(b) {
				return errOutOfOrder
			}
		}
		delete(l.aors, rq.user)
		return nil
	}
	for _, c := range rq.contacts {
		if b, ok := set[c.key]; ok && stale(b) {
			return errOutOfOrder
		}
	}
	for _, c := range rq.contacts {
		if c.expires == 0 {
			delete(set, c.key)
			continue
		}
		if set == nil {
			set = make(map[string]*binding)
			l.aors[rq.user] = set
		}
		set[c.key] = &binding{
			Binding: Binding{
				User:      rq.user,
				Contact:   c.key,
				Expires:   now.Add(c.expires),
				Source:    rq.source,
				Transport: rq.transport,
				UserAgent: rq.userAgent,
			},
			uri:     c.uri,
			callID:  rq.callID,
			cseq:    rq.cseq,
			updated: now,
		}
	}
	if len(set) == 0 {
		delete(l.aors, rq.user)
	}
	return nil
}

// of returns the current bindings of user, sorted by contact.
func (l *location) of(user string, now time.Time) []Binding {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.aors[user]
	pruneExpired(set, now)
	if len(set) == 0 {
		delete(l.aors, user)
		return nil
	}
	out := make([]Binding, 0, len(set))
	for _, b := range set {
		out = append(out, b.Binding)
	}
	sortBindings(out)
	return out
}

// lookup returns the contact to forward a request for user to. A user may
// have several bindings (several phones); without forking we use the one
// registered most recently, as the phone most likely to be there.
func (l *location) lookup(user string, now time.Time) (sip.Uri, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.aors[user]
	pruneExpired(set, now)
	if len(set) == 0 {
		delete(l.aors, user)
		return sip.Uri{}, false
	}
	var best *binding
	for _, b := range set {
		if best == nil || b.updated.After(best.updated) || (b.updated.Equal(best.updated) && b.Contact < best.Contact) {
			best = b
		}
	}
	return *best.uri.Clone(), true
}

// list returns every current binding, sorted by user and contact.
func (l *location) list(now time.Time) []Binding {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	var out []Binding
	for _, set := range l.aors {
		for _, b := range set {
			out = append(out, b.Binding)
		}
	}
	sortBindings(out)
	return out
}

// sweep drops every expired binding; l.mu must be held.
func (l *location) sweep(now time.Time) {
	l.lastSweep = now
	for user, set := range l.aors {
		pruneExpired(set, now)
		if len(set) == 0 {
			delete(l.aors, user)
		}
	}
}

func pruneExpired(set map[string]*binding, now time.Time) {
	for k, b := range set {
		if !now.Before(b.Expires) {
			delete(set, k)
		}
	}
}

func sortBindings(bs []Binding) {
	sort.Slice(bs, func(i, j int) bool {
		if bs[i].User != bs[j].User {
			return bs[i].User < bs[j].User
		}
		return bs[i].Contact < bs[j].Contact
	})
}

// contactKey identifies a binding: the contact URI without the header
// parameters (RFC 3261 §10.3 step 7 compares URIs per §19.1.4, where
// parameter order does not matter; we keep it simple and compare the text
// of scheme, user, host, port and URI parameters as sent).
func contactKey(u sip.Uri) string {
	c := *u.Clone()
	c.Headers = nil
	c.Scheme = strings.ToLower(c.Scheme)
	if c.Scheme == "" {
		c.Scheme = "sip"
	}
	c.Host = strings.ToLower(c.Host)
	return c.String()
}

// maxDeltaSeconds is the largest delta-seconds value, 2**32-1 (§20.19).
const maxDeltaSeconds = 1<<32 - 1

// parseDeltaSeconds parses an Expires header or "expires" Contact
// parameter: RFC 3261 §25.1 delta-seconds = 1*DIGIT. Values above 2**32-1
// saturate. ok is false for anything else, and §20.19 says a malformed
// value "SHOULD be treated as equivalent to 3600" — the caller's default.
func parseDeltaSeconds(s string) (seconds uint32, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v <= maxDeltaSeconds {
			v = v*10 + uint64(c-'0')
		}
	}
	if v > maxDeltaSeconds {
		v = maxDeltaSeconds
	}
	return uint32(v), true
}

// paramFold returns a parameter by case-insensitive name (RFC 3261 §7.3.1:
// parameter names are case-insensitive).
func paramFold(params sip.HeaderParams, name string) (string, bool) {
	for _, kv := range params {
		if strings.EqualFold(kv.K, name) {
			return kv.V, true
		}
	}
	return "", false
}
