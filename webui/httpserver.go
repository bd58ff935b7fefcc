// WebServer is each phone's own HTTP server: the login, the Active URI
// commands of spec §3 (activeuri.Handler, mounted at
// /cgi-bin/ConfigManApp.com), a JSON status API and the web pages (Server).
//
// Spec §3: "The console sends GET http://PHONE_IP/cgi-bin/ConfigManApp.com?key=OK"
// and "using the URI leads to the login screen first; after logging in with
// the configured account and password (default admin/admin) the console can
// operate the phone."
//
// Routes (every path is exact):
//
//	GET  /healthz                    no auth; 200 "ok"
//	GET  /login                      no auth; the HTML login form
//	POST /login                      no auth; user, password, next form fields
//	POST /logout                     no auth; forgets the session cookie
//	GET  /                           auth; a small index page
//	GET  /cgi-bin/ConfigManApp.com   auth; Active URI (see Handler.ServeHTTP)
//	GET  /api/status                 auth; JSON status (see handleStatus)
//	GET  /api/events                 auth; server-sent events (see handleEvents)
//
// HEAD is accepted wherever GET is. Any other method answers 405 with an
// Allow header; an unknown path answers 404 (after authentication, so that an
// unauthenticated client sees 401 everywhere but /healthz and /login).
//
// Status codes. The server never answers 5xx on purpose, because CTI
// software tends to retry 5xx blindly:
//
//	200  done
//	303  after a successful POST /login
//	400  the request is malformed (unknown key, bad number, bad query)
//	401  no or wrong credentials (with WWW-Authenticate: Basic realm="phonesim")
//	403  client IP not in WebOptions.AllowIPs, or locked out after failed logins
//	404  unknown path
//	405  wrong method
//	409  the phone refused the input (e.g. no line registered), is closed, or
//	     its loop did not apply the input within WebOptions.Timeout ("phone busy,
//	     try again", with Retry-After: 1). 409 rather than 503 because the
//	     request was fine and the conflict is with the phone's current state.
//
// A panic in a handler is a bug; it is logged with its stack and answered
// 400 "internal error" (see recoverPanic) instead of a 5xx.

package webui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/phonesim/phonesim/activeuri"
	"github.com/phonesim/phonesim/emulator"
)

// WebOptions configure a WebServer. The zero value is usable: admin/admin, no
// allow-list, 2 s loop timeout, lock-out after 5 failed logins a minute.
type WebOptions struct {
	// User and Password are the login (spec §3: default admin/admin); each
	// defaults on its own when empty.
	User, Password string
	// Logger, if nil, is slog.Default().
	Logger *slog.Logger
	// AllowIPs, if not empty, is the only set of client addresses served;
	// every other client gets 403 "client IP not allowed", /healthz included.
	AllowIPs []netip.Prefix
	// Timeout bounds how long one request waits for the phone's loop to
	// apply its inputs (all keys of a sequence together). Default 2 s.
	Timeout time.Duration

	// Lock-out, as on a real phone: after LockoutFailures failed logins
	// (wrong Basic credentials or a wrong POST /login) from one client IP
	// within LockoutWindow, that IP gets 403 for LockoutDuration, even with
	// the right credentials. Defaults 5, 1 min, 60 s. A negative
	// LockoutFailures turns lock-out off. Clients behind one proxy share
	// one IP and so one counter.
	LockoutFailures int
	LockoutWindow   time.Duration
	LockoutDuration time.Duration

	// SessionTTL is how long a login cookie stays valid. Default 1 h.
	SessionTTL time.Duration
	// Metrics, if set, is served at /metrics without authentication
	// (a Prometheus handler).
	Metrics http.Handler
	// ChangeIP, if set, serves POST /api/ip: it moves the phone (SIP, RTP
	// and this HTTP server) to another address. An error wrapping
	// ErrBadIP is the request's fault (400); others are 409.
	ChangeIP func(ctx context.Context, ip string) error
	// Observe, if set, sees every Active URI request once answered
	// (observe.go); it runs on the request's goroutine and must not block.
	Observe func(Request)
	// Answered, if set, sees the HTTP status of every request once its
	// handler returned (200 when it wrote nothing), for the metrics; it
	// runs on the request's goroutine and must not block.
	Answered func(status int)
	// Active, if set, is the Active URI switch and allow-list the web
	// pages edit (allowlist.go); it guards only PathCommand. A client it
	// refuses gets 403 before authentication, and the refusal is logged.
	Active *activeuri.AllowList
	// Pages, if set, serves "/" and every path this server does not know
	// (any method), after authentication: the phone's web pages (webui).
	Pages http.Handler
}

// Defaults of WebOptions, in one place.
const (
	DefaultUser            = "admin"
	DefaultPassword        = "admin"
	DefaultTimeout         = activeuri.DefaultTimeout
	DefaultLockoutFailures = 5
	DefaultLockoutWindow   = time.Minute
	DefaultLockoutDuration = 60 * time.Second
	DefaultSessionTTL      = time.Hour
)

func (o *WebOptions) initWithDefaults() {
	if o.User == "" {
		o.User = DefaultUser
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.LockoutFailures == 0 {
		o.LockoutFailures = DefaultLockoutFailures
	}
	if o.LockoutWindow <= 0 {
		o.LockoutWindow = DefaultLockoutWindow
	}
	if o.LockoutDuration <= 0 {
		o.LockoutDuration = DefaultLockoutDuration
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
}

// Paths served.
const (
	PathCommand = activeuri.PathCommand // spec §3: the fixed Active URI path
	PathStatus  = "/api/status"
	PathEvents  = "/api/events"
	PathLogin   = "/login"
	PathLogout  = "/logout"
	PathHealth  = "/healthz"
	PathMetrics = "/metrics" // served only when WebOptions.Metrics is set
	PathIP      = "/api/ip"  // POST ip=A.B.C.D; served only when WebOptions.ChangeIP is set
)

// WebServer is one phone's HTTP server. It is an http.Handler; serve it with
// net/http. Call Close before http.Server.Shutdown so that open event
// streams end.
type WebServer struct {
	dev  emulator.Device
	opts WebOptions
	log  *slog.Logger
	auth *authenticator
	// command is the Active URI handler, mounted at PathCommand.
	command *activeuri.Handler

	closeOnce sync.Once
	closed    chan struct{}
}

type route struct {
	methods []string // allowed methods; HEAD is implied by GET
	public  bool     // served without authentication
	handle  func(*WebServer, http.ResponseWriter, *http.Request)
	served  func(*WebServer) bool // nil: always; else only where it says so
}

// routes is one table for every phone: a fleet of a thousand phones keeps
// one copy, not a thousand (docs/benchmarks.md).
var routes = map[string]route{
	PathHealth:  {methods: []string{http.MethodGet}, public: true, handle: (*WebServer).handleHealth},
	PathLogin:   {methods: []string{http.MethodGet, http.MethodPost}, public: true, handle: (*WebServer).handleLogin},
	PathLogout:  {methods: []string{http.MethodPost}, public: true, handle: (*WebServer).handleLogout},
	"/":         {methods: []string{http.MethodGet}, handle: (*WebServer).handleIndex},
	PathCommand: {methods: []string{http.MethodGet}, handle: func(s *WebServer, w http.ResponseWriter, r *http.Request) { s.command.ServeHTTP(w, r) }},
	PathStatus:  {methods: []string{http.MethodGet}, handle: (*WebServer).handleStatus},
	PathEvents:  {methods: []string{http.MethodGet}, handle: (*WebServer).handleEvents},
	PathIP: {methods: []string{http.MethodPost}, handle: (*WebServer).handleChangeIP,
		served: func(s *WebServer) bool { return s.opts.ChangeIP != nil }},
	// Prometheus scrapes without credentials, like /healthz.
	PathMetrics: {methods: []string{http.MethodGet}, public: true,
		handle: func(s *WebServer, w http.ResponseWriter, r *http.Request) { s.opts.Metrics.ServeHTTP(w, r) },
		served: func(s *WebServer) bool { return s.opts.Metrics != nil }},
}

// pagesRoute hands a request to WebOptions.Pages, which checks methods itself.
var pagesRoute = route{
	methods: []string{http.MethodGet, http.MethodPost},
	handle:  func(s *WebServer, w http.ResponseWriter, r *http.Request) { s.opts.Pages.ServeHTTP(w, r) },
}

// route finds the page for a path, if this phone serves it.
func (s *WebServer) route(path string) (route, bool) {
	rt, ok := routes[path]
	if s.opts.Pages != nil && (!ok || path == "/") {
		return pagesRoute, true
	}
	if ok && rt.served != nil && !rt.served(s) {
		return route{}, false
	}
	return rt, ok
}

// New builds the server for one phone. d must not be nil.
func NewWebServer(d emulator.Device, opts WebOptions) *WebServer {
	if d == nil {
		panic("webui.NewWebServer: nil Device")
	}
	opts.initWithDefaults()
	s := &WebServer{
		dev:    d,
		opts:   opts,
		log:    opts.Logger.With("component", "activeuri"),
		closed: make(chan struct{}),
	}
	s.command = activeuri.NewHandler(d, opts.Timeout, s.log)
	s.auth = newAuthenticator(opts, d.Snapshot().Identity.Name, s.log, time.Now)
	return s
}

// Close ends every open /api/events stream. The WebServer keeps answering
// other requests.
func (s *WebServer) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// ServeHTTP implements http.Handler: allow-list, lock-out, authentication,
// method check, then the route's handler.
func (s *WebServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if o := s.watch(w, r); o != nil {
		w = o
		defer o.done()
	}
	rw := &responseWriter{ResponseWriter: w}
	if f := s.opts.Answered; f != nil {
		defer func() { f(rw.statusOr200()) }() // after recoverPanic's answer
	}
	defer s.recoverPanic(rw, r)
	w = rw

	client := clientAddr(r)
	if !s.allowed(client) {
		s.log.Debug("client IP not allowed", "client", r.RemoteAddr, "path", r.URL.Path)
		httpError(w, http.StatusForbidden, "client IP not allowed: %s", displayAddr(client, r))
		return
	}
	if r.URL.Path == PathCommand && s.opts.Active != nil && !s.opts.Active.Allows(client) {
		if !s.opts.Active.Enabled() {
			s.log.Info("Active URI is off: request refused", "client", r.RemoteAddr)
			httpError(w, http.StatusForbidden, "Active URI is turned off on this phone")
			return
		}
		s.log.Info("Active URI client not in the allow-list: refused", "client", r.RemoteAddr)
		httpError(w, http.StatusForbidden, "client IP not allowed: %s", displayAddr(client, r))
		return
	}
	rt, found := s.route(r.URL.Path)
	if !found || !rt.public {
		if !s.checkAuth(w, r, client) {
			return
		}
	}
	if !found {
		httpError(w, http.StatusNotFound, "no such page: %s", r.URL.Path)
		return
	}
	if !methodAllowed(rt.methods, r.Method) {
		w.Header().Set("Allow", allowHeader(rt.methods))
		httpError(w, http.StatusMethodNotAllowed, "method %s not allowed on %s (allowed: %s)",
			r.Method, r.URL.Path, allowHeader(rt.methods))
		return
	}
	rt.handle(s, w, r)
	s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rw.status, "client", r.RemoteAddr)
}

func methodAllowed(methods []string, m string) bool {
	if m == http.MethodHead {
		m = http.MethodGet
	}
	return slices.Contains(methods, m)
}

func allowHeader(methods []string) string {
	out := slices.Clone(methods)
	if slices.Contains(out, http.MethodGet) {
		out = append(out, http.MethodHead)
	}
	return strings.Join(out, ", ")
}

// allowed applies WebOptions.AllowIPs; an empty list allows everyone.
func (s *WebServer) allowed(a netip.Addr) bool {
	if len(s.opts.AllowIPs) == 0 {
		return true
	}
	if !a.IsValid() {
		return false
	}
	for _, p := range s.opts.AllowIPs {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the peer address of the TCP connection (X-Forwarded-For is
// not trusted: the allow-list and lock-out are about who connects). IPv4
// addresses mapped into IPv6 are unmapped, zones dropped.
func clientAddr(r *http.Request) netip.Addr {
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		a = ap.Addr()
	} else if p, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		a = p
	}
	return a.Unmap().WithZone("")
}

func displayAddr(a netip.Addr, r *http.Request) string {
	if a.IsValid() {
		return a.String()
	}
	return fmt.Sprintf("%q", r.RemoteAddr)
}

// httpError and writeText answer text/plain as the Active URI handler does
// (a short message, no-store, nosniff).
var (
	httpError = activeuri.HTTPError
	writeText = activeuri.WriteText
)

// recoverPanic turns a panic in a handler into a logged bug report and a 400
// "internal error" (never a 5xx, see the package comment). The handlers are
// written so that no input can panic; FuzzActiveURI checks it.
// http.ErrAbortHandler is passed on: it is how a handler aborts on purpose.
func (s *WebServer) recoverPanic(w *responseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.log.Error("BUG: panic in Active URI handler", "panic", fmt.Sprint(v),
		"method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery,
		"stack", string(debug.Stack()))
	if w.wroteHeader {
		// Too late for a status: cut the connection so the client sees an
		// incomplete response rather than a complete-looking wrong one.
		panic(http.ErrAbortHandler)
	}
	httpError(w, http.StatusBadRequest,
		"internal error: phonesim could not handle this request (a bug, logged on the phone side)")
}

// responseWriter remembers whether the header went out (for recoverPanic)
// and the status (for the log). Unwrap lets http.ResponseController reach
// the real writer's Flush and SetWriteDeadline.
type responseWriter struct {
	http.ResponseWriter
	wroteHeader bool
	status      int
}

func (w *responseWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader, w.status = true, code
	}
	w.ResponseWriter.WriteHeader(code)
}

// statusOr200 is the status answered; a handler that wrote nothing
// answered 200.
func (w *responseWriter) statusOr200() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.status
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.wroteHeader, w.status = true, http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *WebServer) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeText(w, "ok")
}

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Name}} — phonesim</title></head>
<body>
<h1>{{.Name}}</h1>
<p>{{.Model}} {{.Firmware}} · MAC {{.MAC}} · IP {{.IP}}</p>
<ul>
<li><a href="/api/status">/api/status</a> — JSON status</li>
<li><a href="/api/events">/api/events</a> — event stream</li>
<li><code>/cgi-bin/ConfigManApp.com?key=OK</code> — press a key (Active URI)</li>
<li><code>/cgi-bin/ConfigManApp.com?number=1002&amp;outgoing_uri=1001@host</code> — dial</li>
</ul>
<form method="post" action="/logout"><button type="submit">Log out</button></form>
</body></html>
`))

func (s *WebServer) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := indexTemplate.Execute(w, s.dev.Snapshot().Identity); err != nil {
		s.log.Debug("index page not written", "err", err)
	}
}

// ErrBadIP marks a ChangeIP error caused by the address the client gave.
var ErrBadIP = errors.New("bad IP address")

// handleChangeIP is POST /api/ip with form field ip: the phone moves there
// and fires IP Changed once SIP listens on the new address.
func (s *WebServer) handleChangeIP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		httpError(w, http.StatusBadRequest, "bad form: %v", err)
		return
	}
	ip := strings.TrimSpace(r.PostForm.Get("ip"))
	if ip == "" {
		httpError(w, http.StatusBadRequest, "missing ip parameter (POST ip=A.B.C.D)")
		return
	}
	if err := s.opts.ChangeIP(r.Context(), ip); err != nil {
		if errors.Is(err, ErrBadIP) {
			httpError(w, http.StatusBadRequest, "%v", err)
			return
		}
		s.command.Refused(w, "ip change", err)
		return
	}
	writeText(w, "OK: moving to %s", ip)
}
