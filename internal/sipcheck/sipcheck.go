// Package sipcheck screens requests for what RFC 3261 says a UAS or proxy
// refuses before it acts on them: the phone (emulator/sipua) and the
// embedded registrar both run it, so a malformed INVITE neither rings a
// phone nor is relayed. The cases are the RFC 4475 torture messages that
// sipgo parses without complaint (testdata/rfc4475).
package sipcheck

import (
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Refusal is the response a screened request gets.
type Refusal struct {
	Code    int
	Reason  string
	Headers []sip.Header // e.g. Accept on a 415
}

// singleValued are the header fields RFC 3261 §7.3.1 lets appear once:
// "Multiple header field rows with the same field-name MAY be present in a
// message if and only if the entire field-value for that header field is
// defined as a comma-separated list". Keys are lower case; compact forms
// (§7.3.3) map to the full name.
var singleValued = map[string]bool{
	"call-id": true, "cseq": true, "content-length": true, "content-type": true,
	"date": true, "expires": true, "from": true, "max-forwards": true,
	"mime-version": true, "min-expires": true, "organization": true,
	"priority": true, "reply-to": true, "retry-after": true, "subject": true,
	"timestamp": true, "to": true, "user-agent": true, "server": true,
}

var compact = map[string]string{
	"i": "call-id", "l": "content-length", "c": "content-type", "f": "from",
	"t": "to", "s": "subject",
}

// Syntax checks what any element refuses with 400 (or 416 for a scheme
// it cannot route): RFC 4475 §3.1.2 and §3.3. It returns nil for a
// request to act on.
func Syntax(req *sip.Request) *Refusal {
	seen := map[string]bool{}
	for _, h := range req.Headers() {
		name := strings.ToLower(h.Name())
		if full, ok := compact[name]; ok {
			name = full
		}
		if !singleValued[name] {
			continue
		}
		if seen[name] {
			// RFC 4475 §3.3.8 (multi01), §3.3.9 (mcl01).
			return &Refusal{Code: 400, Reason: "Repeated " + canonical(name)}
		}
		seen[name] = true
	}
	// RFC 3261 §19.1.1 table: headers are "not allowed" in a
	// Request-URI; RFC 4475 §3.1.2.11 (escruri).
	if req.Recipient.Headers != nil && req.Recipient.Headers.Length() > 0 {
		return &Refusal{Code: 400, Reason: "Headers in Request-URI"}
	}
	// RFC 3261 §8.2.2.1: a scheme the UAS does not understand gets 416
	// (RFC 4475 §3.3.2 unkscm).
	switch strings.ToLower(req.Recipient.Scheme) {
	case "sip", "sips", "tel", "":
	default:
		return &Refusal{Code: 416, Reason: "Unsupported URI Scheme"}
	}
	// RFC 3261 §8.1.1.5: "The method MUST match that of the request"
	// (RFC 4475 §3.1.2.17 mismatch01). ACK and CANCEL carry their own.
	if cs := req.CSeq(); cs != nil && !strings.EqualFold(cs.MethodName.String(), req.Method.String()) {
		return &Refusal{Code: 400, Reason: "CSeq Method Mismatch"}
	}
	// RFC 3261 §20.17: Date is an RFC 1123 date, "SIP only supports
	// GMT" (RFC 4475 §3.1.2.12 baddate).
	if h := req.GetHeader("Date"); h != nil {
		if _, err := time.Parse(time.RFC1123, h.Value()); err != nil || !strings.HasSuffix(h.Value(), " GMT") {
			return &Refusal{Code: 400, Reason: "Invalid Date"}
		}
	}
	return nil
}

// Offer checks what a UA that answers INVITEs with SDP refuses: a body it
// cannot read gets 415 with the Accept it takes (RFC 3261 §21.4.13: "The
// server MUST return a list of acceptable formats using the Accept ...
// header field"; RFC 4475 §3.3.6 invut), and an Accept that leaves no room
// for an SDP answer gets 406 with a Warning 399 (§21.4.7; RFC 4475 §3.3.15
// sdp01: "could respond with a 406 Not Acceptable, with a Warning/399").
func Offer(req *sip.Request) *Refusal {
	if req.Method != sip.INVITE {
		return nil
	}
	if len(req.Body()) > 0 {
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = mediaType(h.Value())
		}
		if ct != "application/sdp" {
			return &Refusal{Code: 415, Reason: "Unsupported Media Type",
				Headers: []sip.Header{sip.NewHeader("Accept", "application/sdp")}}
		}
	}
	accepts := req.GetHeaders("Accept")
	if len(accepts) == 0 {
		return nil
	}
	for _, h := range accepts {
		for _, v := range strings.Split(h.Value(), ",") {
			switch mediaType(v) {
			case "application/sdp", "application/*", "*/*", "":
				return nil
			}
		}
	}
	return &Refusal{Code: 406, Reason: "Not Acceptable",
		Headers: []sip.Header{sip.NewHeader("Warning", `399 phonesim "only application/sdp answers"`)}}
}

// Extensions refuses a Require the UA does not support with 420 and the
// options in Unsupported (RFC 3261 §8.2.2.3; RFC 4475 §3.3.5 bext01).
// CANCEL and ACK are not checked (§8.2.2.3: "the UAS MUST ignore" them).
func Extensions(req *sip.Request, supported ...string) *Refusal {
	if req.Method == sip.ACK || req.Method == sip.CANCEL {
		return nil
	}
	var unknown []string
	for _, h := range req.GetHeaders("Require") {
		for _, opt := range strings.Split(h.Value(), ",") {
			opt = strings.ToLower(strings.TrimSpace(opt))
			if opt != "" && !contains(supported, opt) {
				unknown = append(unknown, opt)
			}
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return &Refusal{Code: 420, Reason: "Bad Extension",
		Headers: []sip.Header{sip.NewHeader("Unsupported", strings.Join(unknown, ", "))}}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mediaType is "type/subtype" of a Content-Type or Accept value, lower case.
func mediaType(v string) string {
	v, _, _ = strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(v))
}

func canonical(name string) string {
	parts := strings.Split(name, "-")
	for i, p := range parts {
		if p == "id" {
			parts[i] = "ID"
		} else if p == "cseq" {
			parts[i] = "CSeq"
		} else if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}
