package registrar

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Digest authentication, RFC 3261 §22.4 with the RFC 2617 MD5 computation
// (RFC 7616 keeps MD5 for compatibility; SIP phones still use it).
//
// Nonces are stateless: a timestamp and an HMAC of it under a per-registrar
// secret, like Kamailio's auth module does, so that thousands of
// registrations cost no memory and any of our nonces can be checked.

// authOutcome is the verdict on a request's credentials.
type authOutcome int

const (
	authOK            authOutcome = iota
	authMissing                   // no credentials for our realm: challenge
	authInvalid                   // unparsable or not ours (bad nonce, algorithm, qop): challenge again
	authStale                     // right password, nonce too old: challenge with stale=true
	authUnknownUser               // username not in Users
	authWrongPassword             // response does not match
)

func (o authOutcome) String() string {
	switch o {
	case authOK:
		return "ok"
	case authMissing:
		return "missing"
	case authInvalid:
		return "invalid"
	case authStale:
		return "stale"
	case authUnknownUser:
		return "unknown user"
	case authWrongPassword:
		return "wrong password"
	}
	return "unknown"
}

type authenticator struct {
	realm    string
	users    map[string]string // read-only after New
	secret   [32]byte
	lifetime time.Duration
	now      func() time.Time
}

// open reports whether no accounts are configured: nothing is challenged.
func (a *authenticator) open() bool { return len(a.users) == 0 }

const (
	nonceTimeLen = 8  // unix nanoseconds, big endian
	nonceMACLen  = 16 // truncated HMAC-SHA256
	nonceHexLen  = 2 * (nonceTimeLen + nonceMACLen)
)

// newNonce returns a fresh nonce: hex(time || HMAC(secret, time)).
func (a *authenticator) newNonce() string {
	var b [nonceTimeLen + nonceMACLen]byte
	binary.BigEndian.PutUint64(b[:nonceTimeLen], uint64(a.now().UnixNano()))
	copy(b[nonceTimeLen:], a.mac(b[:nonceTimeLen]))
	return hex.EncodeToString(b[:])
}

func (a *authenticator) mac(ts []byte) []byte {
	m := hmac.New(sha256.New, a.secret[:])
	m.Write(ts)
	return m.Sum(nil)[:nonceMACLen]
}

// parseNonce checks that s is a nonce we issued and returns when.
func (a *authenticator) parseNonce(s string) (time.Time, bool) {
	if len(s) != nonceHexLen {
		return time.Time{}, false
	}
	var b [nonceTimeLen + nonceMACLen]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil || hex.EncodeToString(b[:]) != s {
		return time.Time{}, false // not hex, or not the lower-case form we issue
	}
	if !hmac.Equal(b[nonceTimeLen:], a.mac(b[:nonceTimeLen])) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[:nonceTimeLen]))), true
}

// challenge is the WWW-Authenticate / Proxy-Authenticate value.
// RFC 3261 §22.1 / RFC 2617 §3.2.1: realm, nonce; we offer qop=auth and MD5,
// the pair every SIP phone implements, and stale=true after an old nonce.
func (a *authenticator) challenge(stale bool) string {
	var b strings.Builder
	b.WriteString(`Digest realm="`)
	b.WriteString(a.realm)
	b.WriteString(`", nonce="`)
	b.WriteString(a.newNonce())
	b.WriteString(`", algorithm=MD5, qop="auth"`)
	if stale {
		b.WriteString(", stale=true")
	}
	return b.String()
}

// credentials are the fields we need from an Authorization header.
type credentials struct {
	digest.Credentials
}

// parseCredentials parses one Authorization / Proxy-Authorization value. It
// accepts only Digest with the fields RFC 2617 §3.2.2 makes mandatory.
func parseCredentials(value string) (credentials, bool) {
	c, err := digest.ParseCredentials(strings.TrimSpace(value))
	if err != nil || c == nil {
		return credentials{}, false
	}
	if c.Username == "" || c.Nonce == "" || c.URI == "" || c.Response == "" {
		return credentials{}, false
	}
	return credentials{*c}, true
}

// check verifies the credentials in header ("Authorization" for REGISTER,
// "Proxy-Authorization" for INVITE) of req. It returns the authenticated
// username on authOK (and the claimed one on the other outcomes when known).
func (a *authenticator) check(req *sip.Request, header string) (string, authOutcome) {
	var (
		cred  credentials
		found bool
	)
	// RFC 3261 §22.4: a request may carry credentials for several realms;
	// use the ones for ours.
	for _, h := range req.GetHeaders(header) {
		if c, ok := parseCredentials(h.Value()); ok && c.Realm == a.realm {
			cred, found = c, true
			break
		}
	}
	if !found {
		if len(req.GetHeaders(header)) > 0 {
			return "", authInvalid
		}
		return "", authMissing
	}
	if alg := strings.ToUpper(cred.Algorithm); alg != "" && alg != "MD5" {
		return cred.Username, authInvalid // we offered MD5 only
	}
	if cred.Userhash {
		return cred.Username, authInvalid // RFC 7616 userhash: not offered
	}
	switch cred.QOP {
	case "":
	case "auth":
		if cred.Cnonce == "" || cred.Nc <= 0 {
			return cred.Username, authInvalid
		}
	default:
		return cred.Username, authInvalid // auth-int not offered
	}
	issued, ok := a.parseNonce(cred.Nonce)
	if !ok {
		return cred.Username, authInvalid
	}
	password, known := a.users[cred.Username]
	if !known {
		return cred.Username, authUnknownUser
	}
	if !a.responseMatches(cred, string(req.Method), password) {
		return cred.Username, authWrongPassword
	}
	// The password was right; only now does the age of the nonce matter
	// (RFC 2617 §3.2.1: stale means "the password was correct").
	if age := a.now().Sub(issued); age > a.lifetime || age < -time.Minute {
		return cred.Username, authStale
	}
	return cred.Username, authOK
}

// responseMatches computes RFC 2617 §3.2.2.1 request-digest and compares:
//
//	HA1 = MD5(username:realm:password), HA2 = MD5(method:digest-uri)
//	qop=auth: MD5(HA1:nonce:nc:cnonce:qop:HA2)   no qop: MD5(HA1:nonce:HA2)
func (a *authenticator) responseMatches(c credentials, method, password string) bool {
	ha1 := md5hex(c.Username, a.realm, password)
	ha2 := md5hex(method, c.URI)
	var want string
	if c.QOP == "auth" {
		want = md5hex(ha1, c.Nonce, ncString(c.Nc), c.Cnonce, c.QOP, ha2)
	} else {
		want = md5hex(ha1, c.Nonce, ha2)
	}
	got := strings.ToLower(c.Response)
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// ncString formats nonce-count as RFC 2617's 8LHEX.
func ncString(nc int) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(nc))
	return hex.EncodeToString(b[:])
}

func md5hex(parts ...string) string {
	h := md5.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
