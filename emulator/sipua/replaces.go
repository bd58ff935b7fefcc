package sipua

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The Replaces header (RFC 3891): attended transfer and its receiving end.
//
// RFC 3891 §6.1:
//
//	Replaces        = "Replaces" HCOLON callid *(SEMI replaces-param)
//	replaces-param  = to-tag / from-tag / early-flag / generic-param
//	to-tag          = "to-tag" EQUAL token
//	from-tag        = "from-tag" EQUAL token
//	early-flag      = "early-only"
//
// "A Replaces header field MUST contain exactly one to-tag and exactly one
// from-tag, as they are required for unique dialog matching."

// replacesID is a parsed Replaces value.
type replacesID struct {
	callID, toTag, fromTag string
	earlyOnly              bool
}

var errBadReplaces = errors.New("malformed Replaces header")

// parseReplaces parses a Replaces header value.
func parseReplaces(v string) (replacesID, error) {
	var r replacesID
	parts := strings.Split(v, ";")
	r.callID = strings.TrimSpace(parts[0])
	if r.callID == "" || strings.ContainsAny(r.callID, " \t\r\n") {
		return r, errBadReplaces
	}
	var haveTo, haveFrom bool
	for _, p := range parts[1:] {
		name, val, _ := strings.Cut(p, "=")
		name, val = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val)
		switch name {
		case "to-tag":
			if haveTo || val == "" {
				return r, errBadReplaces
			}
			r.toTag, haveTo = val, true
		case "from-tag":
			if haveFrom || val == "" {
				return r, errBadReplaces
			}
			r.fromTag, haveFrom = val, true
		case "early-only":
			r.earlyOnly = true
		case "":
			return r, errBadReplaces
		}
	}
	if !haveTo || !haveFrom {
		return r, errBadReplaces
	}
	return r, nil
}

func formatReplaces(r replacesID) string {
	s := r.callID + ";to-tag=" + r.toTag + ";from-tag=" + r.fromTag
	if r.earlyOnly {
		s += ";early-only"
	}
	return s
}

// escapeURIHeader escapes a value for a SIP URI header (RFC 3261 §25.1:
// hvalue = *( hnv-unreserved / unreserved / escaped )), so that the ';'
// and '=' of a Replaces value become %3B and %3D inside Refer-To.
func escapeURIHeader(v string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isAlnum(c) || strings.IndexByte("-_.!~*'()[]/?:+$", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// unescapeURIHeader undoes %XX escapes. Unlike query unescaping it keeps
// '+' (Call-IDs may contain it).
func unescapeURIHeader(v string) (string, error) {
	return url.PathUnescape(v)
}

// matchReplaces finds the established call an INVITE's Replaces names. It
// returns the call, or nil and the response for the INVITE (RFC 3891 §3):
// 400 for more than one or a malformed Replaces, 481 when no dialog
// matches, 486 when early-only names a confirmed dialog.
//
// The tags are compared as the RFC says (to-tag is our local tag, from-tag
// the far end's) and also the other way round, for transferors that write
// them from their own point of view.
func (u *UA) matchReplaces(hs []sip.Header) (*callLeg, int) {
	if len(hs) != 1 {
		return nil, sip.StatusBadRequest
	}
	r, err := parseReplaces(hs[0].Value())
	if err != nil {
		return nil, sip.StatusBadRequest
	}
	match := func(id dialogID) bool {
		return id.callID == r.callID &&
			(id.local == r.toTag && id.remote == r.fromTag || id.local == r.fromTag && id.remote == r.toTag)
	}
	// A call we are answering right now is confirmed only once its ACK
	// is in; a transfer can outrun that (the transferor's 200 came first).
	// Give such a call a moment before answering 481.
	leg := u.findLeg(match)
	for i := 0; leg == nil && i < replacesWaitSteps && u.answering(r.callID); i++ {
		time.Sleep(replacesWaitStep)
		leg = u.findLeg(match)
	}
	if leg != nil {
		if r.earlyOnly {
			// RFC 3891 §3: early-only and the dialog is confirmed.
			return nil, sip.StatusBusyHere
		}
		return leg, 0
	}
	// An early dialog we initiated (a call still ringing at the far end)
	// may be replaced too: that is how call pickup takes our call
	// (RFC 3891 §3, RFC 5359 §2.11). One we did not initiate gets 481.
	early := u.findBy((*callLeg).earlyID, match)
	if early == nil {
		return nil, sip.StatusCallTransactionDoesNotExists
	}
	return early, 0
}

// How long an INVITE with Replaces waits for the call it names to be
// confirmed: 40 x 50 ms.
const (
	replacesWaitSteps = 40
	replacesWaitStep  = 50 * time.Millisecond
)

// answering reports an incoming call with this Call-ID that is not yet
// established.
func (u *UA) answering(callID string) bool {
	found := false
	u.calls.Range(func(_, v any) bool {
		l := v.(*callLeg)
		if _, ok := l.dialogID(); !ok && l.callID == callID {
			found = true
			return false
		}
		return true
	})
	return found
}
