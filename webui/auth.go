package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"github.com/phonesim/phonesim/activeuri"
	"html/template"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Spec §3: "using the URI leads to the login screen first; after logging in
// with the configured account and password (default admin/admin) the console
// can operate the phone."
//
// A client proves itself with either
//   - HTTP Basic (RFC 7617), as CTI software does: http://admin:admin@ip/cgi-bin/...
//   - or the session cookie set by a successful POST /login (the form a
//     browser is shown with every 401).
//
// Every 401 carries WWW-Authenticate: Basic realm="phonesim" (RFC 9110
// §11.6.1: a 401 "MUST send a WWW-Authenticate header field") and the HTML
// login form, whose hidden "next" field brings the browser back to the page
// it asked for.

//go:embed login.html
var loginHTML string

var loginTemplate = template.Must(template.New("login").Parse(loginHTML))

var lockedOutTemplate = template.Must(template.New("locked").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Locked out</title></head>
<body style="font-family:sans-serif;margin:3em auto;max-width:28em">
<h1 id="locked-out">Locked out</h1>
<p>Too many failed logins from {{.Client}}. Try again in {{.Seconds}} seconds.</p>
</body></html>
`))

// Realm is the Basic realm of every challenge.
const Realm = "phonesim"

const (
	maxSessions    = 1024     // logins kept; the oldest goes first
	maxTrackedIPs  = 4096     // client IPs whose failed logins are counted
	maxLoginBody   = 16 << 10 // bytes of a POST /login body
	maxNextPathLen = 2048
)

// authenticator holds credentials, sessions and failed-login counters.
type authenticator struct {
	userHash, passHash [32]byte
	cookie             string // cookie name, one per phone (see cookieName)
	opts               WebOptions
	log                *slog.Logger
	now                func() time.Time

	mu       sync.Mutex
	sessions map[string]time.Time // token -> expiry
	failures map[netip.Addr]*failedLogins
}

// failedLogins counts one client IP's failures in the current window.
type failedLogins struct {
	first       time.Time // first failure of the window
	count       int
	lockedUntil time.Time
}

func newAuthenticator(opts WebOptions, phoneName string, log *slog.Logger, now func() time.Time) *authenticator {
	return &authenticator{
		userHash: sha256.Sum256([]byte(opts.User)),
		passHash: sha256.Sum256([]byte(opts.Password)),
		cookie:   cookieName(phoneName),
		opts:     opts,
		log:      log,
		now:      now,
		sessions: make(map[string]time.Time),
		failures: make(map[netip.Addr]*failedLogins),
	}
}

// cookieName is per phone: cookies are not separated by port (RFC 6265
// §8.5), so phones of one fleet on one host would otherwise overwrite each
// other's login.
func cookieName(phoneName string) string {
	h := sha256.Sum256([]byte(phoneName))
	return "phonesim_session_" + hex.EncodeToString(h[:6])
}

// credentialsOK compares in constant time; hashing first makes the time
// independent of the lengths too. Both halves are always compared.
func (a *authenticator) credentialsOK(user, pass string) bool {
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	return subtle.ConstantTimeCompare(u[:], a.userHash[:])&
		subtle.ConstantTimeCompare(p[:], a.passHash[:]) == 1
}

// newSession makes a random token valid for SessionTTL.
func (a *authenticator) newSession() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.sessions) >= maxSessions {
		var oldest string
		var oldestExp time.Time
		for t, exp := range a.sessions {
			if !now.Before(exp) {
				delete(a.sessions, t)
				continue
			}
			if oldest == "" || exp.Before(oldestExp) {
				oldest, oldestExp = t, exp
			}
		}
		if len(a.sessions) >= maxSessions {
			delete(a.sessions, oldest)
		}
	}
	a.sessions[tok] = now.Add(a.opts.SessionTTL)
	return tok, nil
}

func (a *authenticator) validSession(r *http.Request) bool {
	c, err := r.Cookie(a.cookie)
	if err != nil || c.Value == "" {
		return false
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.sessions[c.Value]
	if ok && !now.Before(exp) {
		delete(a.sessions, c.Value)
		return false
	}
	return ok
}

func (a *authenticator) endSession(r *http.Request) {
	if c, err := r.Cookie(a.cookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
}

// lockedOut reports whether ip is locked out and for how much longer.
func (a *authenticator) lockedOut(ip netip.Addr) (time.Duration, bool) {
	if a.opts.LockoutFailures < 0 {
		return 0, false
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failures[ip]
	if f == nil || f.lockedUntil.IsZero() {
		return 0, false
	}
	if now.Before(f.lockedUntil) {
		return f.lockedUntil.Sub(now), true
	}
	delete(a.failures, ip) // lock served: start afresh
	return 0, false
}

// failed counts one failed login from ip and reports whether that locked it
// out (and for how long).
func (a *authenticator) failed(ip netip.Addr) (time.Duration, bool) {
	if a.opts.LockoutFailures < 0 {
		return 0, false
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failures[ip]
	if f == nil || now.Sub(f.first) > a.opts.LockoutWindow {
		if f == nil {
			a.makeRoomLocked(now)
		}
		f = &failedLogins{first: now}
		a.failures[ip] = f
	}
	f.count++
	if f.count < a.opts.LockoutFailures {
		return 0, false
	}
	f.lockedUntil = now.Add(a.opts.LockoutDuration)
	a.log.Warn("client locked out after failed logins", "client", ip,
		"failures", f.count, "for", a.opts.LockoutDuration)
	return a.opts.LockoutDuration, true
}

// makeRoomLocked bounds the failure table: stale entries go first, then an
// arbitrary one.
func (a *authenticator) makeRoomLocked(now time.Time) {
	if len(a.failures) < maxTrackedIPs {
		return
	}
	for ip, f := range a.failures {
		if now.Sub(f.first) > a.opts.LockoutWindow && !now.Before(f.lockedUntil) {
			delete(a.failures, ip)
		}
	}
	for ip := range a.failures {
		if len(a.failures) < maxTrackedIPs {
			break
		}
		delete(a.failures, ip)
	}
}

// succeeded forgets ip's failures, as a successful login does on a phone.
func (a *authenticator) succeeded(ip netip.Addr) {
	a.mu.Lock()
	delete(a.failures, ip)
	a.mu.Unlock()
}

// checkAuth lets the request through (true) or answers 401/403 (false).
func (s *WebServer) checkAuth(w http.ResponseWriter, r *http.Request, client netip.Addr) bool {
	if wait, locked := s.auth.lockedOut(client); locked {
		writeLockedOut(w, r, client, wait)
		return false
	}
	if s.auth.validSession(r) {
		return true
	}
	user, pass, hasBasic := r.BasicAuth()
	if !hasBasic {
		s.writeLoginForm(w, r, http.StatusUnauthorized, requestedPath(r), "Login required.")
		return false
	}
	if s.auth.credentialsOK(user, pass) {
		s.auth.succeeded(client)
		return true
	}
	s.log.Info("wrong Basic credentials", "client", r.RemoteAddr, "path", r.URL.Path)
	if wait, locked := s.auth.failed(client); locked {
		writeLockedOut(w, r, client, wait)
		return false
	}
	s.writeLoginForm(w, r, http.StatusUnauthorized, requestedPath(r), "Wrong user name or password.")
	return false
}

// requestedPath is where the login form sends the browser back to.
func requestedPath(r *http.Request) string {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "/"
	}
	return safeNext(r.URL.RequestURI())
}

func writeLockedOut(w http.ResponseWriter, r *http.Request, client netip.Addr, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		// A browser gets a page that says what happened, as a desk
		// phone's web UI does after too many wrong passwords.
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		h.Set("X-Frame-Options", "DENY")
		w.WriteHeader(http.StatusForbidden)
		_ = lockedOutTemplate.Execute(w, struct {
			Client  string
			Seconds int
		}{client.String(), secs})
		return
	}
	httpError(w, http.StatusForbidden, "too many failed logins from %s: locked out, try again in %ds", client, secs)
}

// challenge is the WWW-Authenticate of a 401. A browser navigating to a
// page (Sec-Fetch-Mode: navigate, sent by every current browser) gets a
// challenge of the form scheme, which it does not know and so shows the
// login form in the body instead of its Basic password dialog (headless
// browsers cannot answer that dialog at all). CTI software and scripts
// get Basic, as RFC 7617 clients expect; both are valid challenges
// (RFC 9110 §11.6.1).
func challenge(r *http.Request) string {
	if r.Header.Get("Sec-Fetch-Mode") == "navigate" {
		return `Form realm="` + Realm + `"`
	}
	return `Basic realm="` + Realm + `"`
}

type loginPage struct{ Name, Next, Message string }

// writeLoginForm answers code (401, or 200 for GET /login) with the form.
func (s *WebServer) writeLoginForm(w http.ResponseWriter, r *http.Request, code int, next, msg string) {
	h := w.Header()
	if code == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", challenge(r))
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	if r.Method == http.MethodHead {
		return
	}
	page := loginPage{Name: s.dev.Snapshot().Identity.Name, Next: next, Message: msg}
	if page.Name == "" {
		page.Name = "phonesim"
	}
	if err := loginTemplate.Execute(w, page); err != nil {
		s.log.Debug("login page not written", "err", err)
	}
}

// handleLogin: GET shows the form; POST checks user/password, sets the
// session cookie and answers 303 to the form's "next" path.
func (s *WebServer) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		next := activeuri.QueryValue(r.URL.RawQuery, "next") // a bad query only loses "next"
		s.writeLoginForm(w, r, http.StatusOK, safeNext(next), "")
		return
	}
	client := clientAddr(r)
	if wait, locked := s.auth.lockedOut(client); locked {
		writeLockedOut(w, r, client, wait)
		return
	}
	form, err := readLoginForm(w, r)
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	next := safeNext(form.Get("next"))
	if !s.auth.credentialsOK(form.Get("user"), form.Get("password")) {
		s.log.Info("wrong login", "client", r.RemoteAddr)
		if wait, locked := s.auth.failed(client); locked {
			writeLockedOut(w, r, client, wait)
			return
		}
		s.writeLoginForm(w, r, http.StatusUnauthorized, next, "Wrong user name or password.")
		return
	}
	s.auth.succeeded(client)
	tok, err := s.auth.newSession()
	if err != nil {
		// crypto/rand does not fail on Linux; answer without a 5xx anyway.
		s.log.Error("cannot make a session", "err", err)
		httpError(w, http.StatusConflict, "cannot log in now: %v", err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     s.auth.cookie,
		Value:    tok,
		Path:     "/",
		MaxAge:   int(s.opts.SessionTTL / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		// Strict: Active URI GETs have side effects, so a link on another
		// site must not ride on this login.
		SameSite: http.SameSiteStrictMode,
	})
	w.Header().Set("Location", next)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

func readLoginForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, fmt.Errorf("login form must be application/x-www-form-urlencoded, not %q", ct)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLoginBody))
	if err != nil {
		return nil, fmt.Errorf("login form unreadable (at most %d bytes): %v", maxLoginBody, err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("malformed login form: %v", err)
	}
	return form, nil
}

// handleLogout forgets the session and sends the browser to the login form.
func (s *WebServer) handleLogout(w http.ResponseWriter, r *http.Request) {
	s.auth.endSession(r)
	http.SetCookie(w, &http.Cookie{Name: s.auth.cookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.Header().Set("Location", PathLogin)
	w.WriteHeader(http.StatusSeeOther)
}

// safeNext keeps a redirect target on this server: a path starting with one
// '/', no scheme or host (so "//evil.example" and "/\evil.example" become
// "/"), no control characters.
func safeNext(next string) string {
	if next == "" || len(next) > maxNextPathLen || next[0] != '/' ||
		strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Path == PathLogin {
		return "/"
	}
	return next
}
