// Package webui is a phone's web pages, as a desk phone's web UI: Status,
// Lines, Phone → Action URL, DSS keys, Features, Active URI, the Phone
// picture and the Log. WebServer (httpserver.go) serves them behind its login
// (WebOptions.Pages); the pages see only authenticated requests.
//
// Plain server-rendered HTML (html/template), assets embedded, one small
// script for the live parts; every form carries a CSRF token and every
// answer the security headers of securityHeaders. Passwords are never
// echoed into a page: the Lines page shows none, and Action URLs are shown
// as entered (the administrator typed them) but logged redacted by
// actionurl.
package webui

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/phonesim/phonesim/actionurl"
	"github.com/phonesim/phonesim/activeuri"
	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// LogRecord is one line of the Log page: an Action URL sent or an Active
// URI request received (the GUI console's records).
type LogRecord struct {
	Time    time.Time
	Kind    string // "Action URL" or "Active URI"
	What    string // event and URL, or client and command
	Status  int    // HTTP status, 0 if none
	Result  string
	Latency time.Duration
}

// Options are what the pages show and change.
type Options struct {
	Device emulator.Device
	// Config is the phone as started (state file applied).
	Config config.Phone
	// Sender sends the Action URLs; SetURLs changes them live.
	Sender *actionurl.Sender
	// AttachSender subscribes Sender to the phone if it is not yet (a
	// phone started without URLs has no subscriber).
	AttachSender func()
	// Active is the Active URI switch and allow-list.
	Active *activeuri.AllowList
	// Store, if set, keeps every change (state file); FromState names the
	// fields it set at start.
	Store     *Store
	FromState []string
	// Log returns the recent CTI traffic, oldest first.
	Log    func() []LogRecord
	Logger *slog.Logger
	// TestTimeout bounds a Test button's GET (default 5 s).
	TestTimeout time.Duration
}

// Server serves the pages. It is an http.Handler.
type Server struct {
	opts   Options
	log    *slog.Logger
	secret [32]byte // CSRF key, per process

	mu    sync.Mutex
	accts []config.Line // as last saved (the YAML's, then the pages')
}

// pages is one table for every phone (a fleet of thousands keeps one copy,
// as WebServer's routes): "METHOD path" -> handler.
var pages = map[string]func(*Server, http.ResponseWriter, *http.Request){
	"GET /":                (*Server).status,
	"GET /lines":           (*Server).lines,
	"POST /lines":          (*Server).saveLine,
	"GET /actionurl":       (*Server).actionURL,
	"POST /actionurl":      (*Server).saveActionURL,
	"POST /actionurl/test": (*Server).testActionURL,
	"GET /dss":             (*Server).dss,
	"POST /dss":            (*Server).saveDSS,
	"GET /features":        (*Server).features,
	"POST /features":       (*Server).saveFeatures,
	"GET /activeuri":       (*Server).activeURI,
	"POST /activeuri":      (*Server).saveActiveURI,
	"GET /phone":           (*Server).phone,
	"POST /phone/key":      (*Server).pressKey,
	"GET /log":             (*Server).logPage,
}

var staticFiles = func() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}()

// testClient sends the Test button's GETs (each bounded by its context).
var testClient = &http.Client{}

// New builds the pages of one phone.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.TestTimeout <= 0 {
		opts.TestTimeout = 5 * time.Second
	}
	if opts.Log == nil {
		opts.Log = func() []LogRecord { return nil }
	}
	s := &Server{opts: opts, log: opts.Logger.With("component", "webui"), accts: slices.Clone(opts.Config.Lines)}
	if _, err := rand.Read(s.secret[:]); err != nil {
		panic("webui: no randomness: " + err.Error())
	}
	return s
}

// ServeHTTP adds the security headers, checks the CSRF token of every
// POST, then serves the page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, http.StatusBadRequest, "The form could not be read: "+err.Error())
			return
		}
		if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(s.csrfToken(r))) {
			s.log.Info("form without a valid CSRF token refused", "client", r.RemoteAddr, "path", r.URL.Path)
			s.errorPage(w, http.StatusForbidden, "This form is out of date or did not come from this phone's pages: reload the page and try again.")
			return
		}
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if h, ok := pages[method+" "+r.URL.Path]; ok {
		h(s, w, r)
		return
	}
	if method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/static/") {
		staticFiles.ServeHTTP(w, r)
		return
	}
	_, getOK := pages["GET "+r.URL.Path]
	_, postOK := pages["POST "+r.URL.Path]
	switch {
	case getOK || postOK:
		allow := map[bool]string{true: "GET, HEAD", false: "POST"}[getOK]
		if getOK && postOK {
			allow = "GET, HEAD, POST"
		}
		w.Header().Set("Allow", allow)
		s.errorPage(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed here.")
	default:
		s.errorPage(w, http.StatusNotFound, "No such page: "+r.URL.Path)
	}
}

// securityHeaders: no inline script or style, no framing (clickjacking),
// no sniffing, no referrer leaking the phone's address, nothing cached.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "+
		"img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// csrfToken binds a form to the login that fetched it: an HMAC of the
// session cookie (or of the Basic credentials), under a key that never
// leaves the process. Another site can make the browser send the cookie
// but cannot read the token.
func (s *Server) csrfToken(r *http.Request) string {
	mac := hmac.New(sha256.New, s.secret[:])
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, "phonesim_session_") {
			mac.Write([]byte(c.Name + "=" + c.Value + ";"))
		}
	}
	mac.Write([]byte(r.Header.Get("Authorization")))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"ms":   func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"join": strings.Join,
	"add1": func(i int) int { return i + 1 },
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("15:04:05")
	},
}).ParseFS(templateFS, "templates/*.html"))

// page is what every template gets.
type page struct {
	Title, Nav string
	Identity   emulator.Identity
	CSRF       string
	Flash      string // a success message
	Error      string // a problem with what was submitted
	Data       any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name, title string, p page) {
	p.Title, p.Nav = title, name
	p.Identity = s.opts.Device.Snapshot().Identity
	p.CSRF = s.csrfToken(r)
	// The page is built whole before anything is sent: a template that
	// cannot render is a bug of ours, answered 500 and logged, never a
	// 200 with half a page.
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name+".html", p); err != nil {
		s.log.Error("page not rendered", "page", name, "err", err)
		s.errorPage(w, http.StatusInternalServerError, "this page could not be drawn (see the phone's log)")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) errorPage(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = templates.ExecuteTemplate(w, "error.html", page{Title: http.StatusText(code), Error: msg})
}

// save writes the state file, if there is one; the error is for the page.
func (s *Server) save(fn func(*Settings)) error {
	if s.opts.Store == nil {
		return nil
	}
	if err := s.opts.Store.Update(fn); err != nil {
		s.log.Error("state file not written", "path", s.opts.Store.Path(), "err", err)
		return err
	}
	return nil
}
