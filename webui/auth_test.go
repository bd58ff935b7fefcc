package webui

import (
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/fakeclock"
	"github.com/phonesim/phonesim/keypad"
)

// Spec §3: "using the URI leads to the login screen first".
func TestNoCredentialsGetChallengeAndLoginForm(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	for _, p := range []string{"/", PathCommand + "?key=OK", PathStatus, PathEvents, "/no/such/page"} {
		resp, body := s.get(t, p)
		wantStatus(t, resp, body, http.StatusUnauthorized)
		if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="phonesim"` {
			t.Errorf("GET %s: WWW-Authenticate = %q", p, got)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type = %q, want text/html", p, ct)
		}
		wantContains(t, "login form of "+p, body, `<form method="post" action="/login">`,
			`name="user"`, `name="password"`, `type="password"`, "rec1")
	}
	if in := dev.got(); len(in) != 0 {
		t.Fatalf("unauthenticated requests reached the phone: %v", in)
	}
}

func TestLoginFormRemembersRequestedPage(t *testing.T) {
	s := startServer(t, newRecordingDevice(), WebOptions{})
	resp, body := s.get(t, PathCommand+"?key=SPEAKER;1;0;OK")
	wantStatus(t, resp, body, http.StatusUnauthorized)
	if got, want := formNext(t, body), PathCommand+"?key=SPEAKER;1;0;OK"; got != want {
		t.Fatalf("next = %q, want %q", got, want)
	}
}

var nextField = regexp.MustCompile(`name="next" value="([^"]*)"`)

func formNext(t *testing.T, page string) string {
	t.Helper()
	m := nextField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no next field in login form:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

func TestBasicAuth(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})

	resp, body := s.get(t, PathCommand+"?key=OK", admin)
	wantStatus(t, resp, body, http.StatusOK)
	if in := dev.got(); len(in) != 1 || in[0] != (emulator.PressKey{Key: keypad.OK}) {
		t.Fatalf("inputs = %v, want [PressKey OK]", in)
	}

	// The way CTI software writes it: http://admin:admin@ip/...
	u, _ := url.Parse(s.ts.URL)
	u.User = url.UserPassword("admin", "admin")
	resp, body = call(t, s.ts.Client(), http.MethodGet, u.String()+PathCommand+"?key=X", nil)
	wantStatus(t, resp, body, http.StatusOK)

	for _, cred := range []reqOpt{basic("admin", "wrong"), basic("root", "admin"), basic("", ""), basic("admin", "admin ")} {
		resp, body = s.get(t, PathCommand+"?key=OK", cred)
		wantStatus(t, resp, body, http.StatusUnauthorized)
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		wantContains(t, "401 body", body, "Wrong user name or password")
	}
	if in := dev.got(); len(in) != 1 { // the key=X above
		t.Fatalf("inputs = %v, want only the key=X", in)
	}
}

func TestConfiguredCredentialsReplaceDefault(t *testing.T) {
	s := startServer(t, newRecordingDevice(), WebOptions{User: "cti", Password: "s3cret"})
	resp, body := s.get(t, PathStatus, basic("cti", "s3cret"))
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = s.get(t, PathStatus, admin)
	wantStatus(t, resp, body, http.StatusUnauthorized)
}

func TestLoginCookie(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	jar, _ := cookiejar.New(nil)
	hc := noRedirects(s.ts.Client())
	hc.Jar = jar

	form := url.Values{"user": {"admin"}, "password": {"admin"}, "next": {PathCommand + "?key=DNDOn"}}
	resp, body := call(t, hc, http.MethodPost, s.ts.URL+PathLogin, strings.NewReader(form.Encode()), formBody)
	wantStatus(t, resp, body, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != PathCommand+"?key=DNDOn" {
		t.Fatalf("Location = %q", loc)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("Set-Cookie: %v", resp.Header["Set-Cookie"])
	}
	c := cookies[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || len(c.Value) < 32 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, long random value", c)
	}

	// Follow the redirect by hand: the cookie alone authenticates.
	resp, body = call(t, hc, http.MethodGet, s.ts.URL+resp.Header.Get("Location"), nil)
	wantStatus(t, resp, body, http.StatusOK)
	if in := dev.got(); len(in) != 1 || in[0] != (emulator.PressKey{Key: keypad.DNDOn}) {
		t.Fatalf("inputs = %v, want [PressKey DNDOn]", in)
	}
	resp, body = call(t, hc, http.MethodGet, s.ts.URL+PathStatus, nil)
	wantStatus(t, resp, body, http.StatusOK)

	// Another login gives another token.
	resp2, _ := call(t, noRedirects(s.ts.Client()), http.MethodPost, s.ts.URL+PathLogin,
		strings.NewReader(form.Encode()), formBody)
	if v := resp2.Cookies(); len(v) != 1 || v[0].Value == c.Value {
		t.Fatalf("second login cookie %v equals the first %q", v, c.Value)
	}

	// A made-up cookie is not a login.
	resp, body = call(t, s.ts.Client(), http.MethodGet, s.ts.URL+PathStatus, nil,
		func(r *http.Request) { r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value + "x"}) })
	wantStatus(t, resp, body, http.StatusUnauthorized)

	// Log out: the cookie stops working, even if a client keeps sending it.
	resp, body = call(t, hc, http.MethodPost, s.ts.URL+PathLogout, nil)
	wantStatus(t, resp, body, http.StatusSeeOther)
	resp, body = call(t, s.ts.Client(), http.MethodGet, s.ts.URL+PathStatus, nil,
		func(r *http.Request) { r.AddCookie(c) })
	wantStatus(t, resp, body, http.StatusUnauthorized)
}

func formBody(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }

// The browser path of spec §3: Active URI -> login screen -> log in -> the
// command runs.
func TestLoginScreenLeadsBackToCommand(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	jar, _ := cookiejar.New(nil)
	hc := *s.ts.Client()
	hc.Jar = jar

	resp, body := call(t, &hc, http.MethodGet, s.ts.URL+PathCommand+"?key=SPEAKER;1;0;0;2;OK", nil)
	wantStatus(t, resp, body, http.StatusUnauthorized)
	form := url.Values{"user": {"admin"}, "password": {"admin"}, "next": {formNext(t, body)}}
	resp, body = call(t, &hc, http.MethodPost, s.ts.URL+PathLogin, strings.NewReader(form.Encode()), formBody)
	wantStatus(t, resp, body, http.StatusOK) // after following the 303
	wantContains(t, "body", body, "OK: keys SPEAKER;1;0;0;2;OK")
	if in := dev.got(); len(in) != 6 {
		t.Fatalf("inputs = %v, want the 6 keys", in)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	s := startServer(t, newRecordingDevice(), WebOptions{})
	form := url.Values{"user": {"admin"}, "password": {"nope"}, "next": {"/api/status"}}
	resp, body := call(t, noRedirects(s.ts.Client()), http.MethodPost, s.ts.URL+PathLogin,
		strings.NewReader(form.Encode()), formBody)
	wantStatus(t, resp, body, http.StatusUnauthorized)
	wantContains(t, "body", body, "Wrong user name or password", `value="/api/status"`)
	if len(resp.Cookies()) != 0 {
		t.Fatalf("a failed login set cookies: %v", resp.Cookies())
	}
}

func TestLoginFormErrors(t *testing.T) {
	s := startServer(t, newRecordingDevice(), WebOptions{})
	resp, body := call(t, s.ts.Client(), http.MethodPost, s.ts.URL+PathLogin,
		strings.NewReader(`{"user":"admin"}`), func(r *http.Request) { r.Header.Set("Content-Type", "application/json") })
	wantStatus(t, resp, body, http.StatusBadRequest)
	wantContains(t, "body", body, "application/x-www-form-urlencoded")

	resp, body = call(t, s.ts.Client(), http.MethodPost, s.ts.URL+PathLogin,
		strings.NewReader("user=%zz"), formBody)
	wantStatus(t, resp, body, http.StatusBadRequest)
	wantContains(t, "body", body, "malformed login form")

	resp, body = call(t, s.ts.Client(), http.MethodPost, s.ts.URL+PathLogin,
		strings.NewReader("user="+strings.Repeat("a", maxLoginBody)), formBody)
	wantStatus(t, resp, body, http.StatusBadRequest)

	resp, body = s.get(t, PathLogin+"?next=/api/status")
	wantStatus(t, resp, body, http.StatusOK)
	if got := formNext(t, body); got != "/api/status" {
		t.Fatalf("GET /login?next=/api/status: form next = %q", got)
	}
}

func TestLoginRedirectStaysOnThisServer(t *testing.T) {
	s := startServer(t, newRecordingDevice(), WebOptions{})
	for next, want := range map[string]string{
		"//evil.example/x":          "/",
		`/\evil.example`:            "/",
		"http://evil.example/":      "/",
		"javascript:alert(1)":       "/",
		"api/status":                "/",
		"/api/status\r\nX-Evil: 1":  "/",
		"":                          "/",
		PathLogin:                   "/",
		"/api/status":               "/api/status",
		PathCommand + "?key=1;2;OK": PathCommand + "?key=1;2;OK",
	} {
		form := url.Values{"user": {"admin"}, "password": {"admin"}, "next": {next}}
		resp, body := call(t, noRedirects(s.ts.Client()), http.MethodPost, s.ts.URL+PathLogin,
			strings.NewReader(form.Encode()), formBody)
		wantStatus(t, resp, body, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != want {
			t.Errorf("next=%q: Location %q, want %q", next, loc, want)
		}
	}
}

func withClock(c *fakeclock.Clock) func(*WebServer) { return func(s *WebServer) { s.auth.now = c.Now } }

// Lock-out: 5 failed logins from one IP within a minute -> 403 for 60 s.
func TestLockoutAfterFiveFailures(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{}, withClock(clock))
	wrong := basic("admin", "guess")

	for i := 1; i <= 4; i++ {
		resp, body := s.get(t, PathStatus, wrong)
		wantStatus(t, resp, body, http.StatusUnauthorized)
		clock.Advance(time.Second)
	}
	resp, body := s.get(t, PathStatus, wrong)
	wantStatus(t, resp, body, http.StatusForbidden)
	wantContains(t, "lock-out body", body, "too many failed logins", "127.0.0.1")
	if ra := resp.Header.Get("Retry-After"); ra != "60" {
		t.Errorf("Retry-After = %q, want 60", ra)
	}
	wantContains(t, "log", s.logs.String(), "locked out")

	// Locked: the right password does not help, neither does the form.
	resp, body = s.get(t, PathCommand+"?key=OK", admin)
	wantStatus(t, resp, body, http.StatusForbidden)
	form := url.Values{"user": {"admin"}, "password": {"admin"}}
	resp, body = call(t, noRedirects(s.ts.Client()), http.MethodPost, s.ts.URL+PathLogin,
		strings.NewReader(form.Encode()), formBody)
	wantStatus(t, resp, body, http.StatusForbidden)
	if in := dev.got(); len(in) != 0 {
		t.Fatalf("locked-out client reached the phone: %v", in)
	}
	// Health checks are not behind the login.
	resp, body = s.get(t, PathHealth)
	wantStatus(t, resp, body, http.StatusOK)

	// Another client IP is not locked.
	resp, body = call(t, clientFrom(t, "127.0.0.2"), http.MethodGet, s.ts.URL+PathStatus, nil, admin)
	wantStatus(t, resp, body, http.StatusOK)

	clock.Advance(59 * time.Second)
	resp, body = s.get(t, PathStatus, admin)
	wantStatus(t, resp, body, http.StatusForbidden)
	if ra := resp.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q, want 1", ra)
	}
	clock.Advance(time.Second)
	resp, body = s.get(t, PathStatus, admin)
	wantStatus(t, resp, body, http.StatusOK)

	// After the lock the count starts afresh.
	for i := 1; i <= 4; i++ {
		resp, body := s.get(t, PathStatus, wrong)
		wantStatus(t, resp, body, http.StatusUnauthorized)
	}
}

func TestLockoutCountsFormLogins(t *testing.T) {
	clock := fakeclock.New(time.Unix(1e9, 0))
	s := startServer(t, newRecordingDevice(), WebOptions{}, withClock(clock))
	form := url.Values{"user": {"admin"}, "password": {"x"}}
	codes := make([]int, 0, 5)
	for range 5 {
		resp, _ := call(t, noRedirects(s.ts.Client()), http.MethodPost, s.ts.URL+PathLogin,
			strings.NewReader(form.Encode()), formBody)
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{401, 401, 401, 401, 403}; !slices.Equal(codes, want) {
		t.Fatalf("form logins answered %v, want %v", codes, want)
	}
}

func TestLockoutWindowAndSuccessReset(t *testing.T) {
	clock := fakeclock.New(time.Unix(1e9, 0))
	s := startServer(t, newRecordingDevice(), WebOptions{}, withClock(clock))
	wrong := basic("admin", "guess")
	fail := func(n int) {
		t.Helper()
		for range n {
			resp, body := s.get(t, PathStatus, wrong)
			wantStatus(t, resp, body, http.StatusUnauthorized)
		}
	}
	// 4 failures, then a minute passes: the window is over.
	fail(4)
	clock.Advance(61 * time.Second)
	fail(4)
	// A good login forgets the failures.
	resp, body := s.get(t, PathStatus, admin)
	wantStatus(t, resp, body, http.StatusOK)
	fail(4)
	resp, body = s.get(t, PathStatus, wrong)
	wantStatus(t, resp, body, http.StatusForbidden)
}

func TestLockoutConfigurable(t *testing.T) {
	clock := fakeclock.New(time.Unix(1e9, 0))
	s := startServer(t, newRecordingDevice(), WebOptions{LockoutFailures: 2, LockoutDuration: 10 * time.Second}, withClock(clock))
	s.get(t, PathStatus, basic("a", "b"))
	resp, body := s.get(t, PathStatus, basic("a", "b"))
	wantStatus(t, resp, body, http.StatusForbidden)
	if ra := resp.Header.Get("Retry-After"); ra != "10" {
		t.Errorf("Retry-After = %q, want 10", ra)
	}
	clock.Advance(10 * time.Second)
	resp, body = s.get(t, PathStatus, admin)
	wantStatus(t, resp, body, http.StatusOK)

	off := startServer(t, newRecordingDevice(), WebOptions{LockoutFailures: -1})
	for range 20 {
		resp, body := off.get(t, PathStatus, basic("a", "b"))
		wantStatus(t, resp, body, http.StatusUnauthorized)
	}
	resp, body = off.get(t, PathStatus, admin)
	wantStatus(t, resp, body, http.StatusOK)
}

func TestSessionExpires(t *testing.T) {
	clock := fakeclock.New(time.Unix(1e9, 0))
	s := startServer(t, newRecordingDevice(), WebOptions{SessionTTL: time.Minute}, withClock(clock))
	form := url.Values{"user": {"admin"}, "password": {"admin"}}
	resp, _ := call(t, noRedirects(s.ts.Client()), http.MethodPost, s.ts.URL+PathLogin,
		strings.NewReader(form.Encode()), formBody)
	c := resp.Cookies()[0]
	if c.MaxAge != 60 {
		t.Errorf("cookie Max-Age = %d, want 60", c.MaxAge)
	}
	withCookie := func(r *http.Request) { r.AddCookie(c) }
	resp, body := s.get(t, PathStatus, withCookie)
	wantStatus(t, resp, body, http.StatusOK)
	clock.Advance(time.Minute)
	resp, body = s.get(t, PathStatus, withCookie)
	wantStatus(t, resp, body, http.StatusUnauthorized)
}

func TestAllowIPs(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{AllowIPs: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32"), netip.MustParsePrefix("10.0.0.0/8")}})

	for _, p := range []string{PathHealth, PathStatus, PathCommand + "?key=OK", PathLogin} {
		resp, body := s.get(t, p, admin) // from 127.0.0.1
		wantStatus(t, resp, body, http.StatusForbidden)
		wantContains(t, "body", body, "client IP not allowed", "127.0.0.1")
	}
	if in := dev.got(); len(in) != 0 {
		t.Fatalf("a client outside the allow-list reached the phone: %v", in)
	}
	hc := clientFrom(t, "127.0.0.2")
	resp, body := call(t, hc, http.MethodGet, s.ts.URL+PathCommand+"?key=OK", nil, admin)
	wantStatus(t, resp, body, http.StatusOK)
	// The allow-list does not replace the login.
	resp, body = call(t, hc, http.MethodGet, s.ts.URL+PathCommand+"?key=OK", nil)
	wantStatus(t, resp, body, http.StatusUnauthorized)
}

func TestCredentialsOK(t *testing.T) {
	a := newAuthenticator(WebOptions{User: "admin", Password: "pw"}, "p", nil, time.Now)
	for _, c := range []struct {
		u, p string
		ok   bool
	}{{"admin", "pw", true}, {"admin", "pw2", false}, {"Admin", "pw", false}, {"", "", false}, {"adminpw", "", false}} {
		if got := a.credentialsOK(c.u, c.p); got != c.ok {
			t.Errorf("credentialsOK(%q, %q) = %v", c.u, c.p, got)
		}
	}
}

func TestCookieNameDiffersPerPhone(t *testing.T) {
	if cookieName("desk1") == cookieName("desk2") {
		t.Fatal("two phones share a cookie name; on one host they would log each other out")
	}
}

// A browser navigating to a page gets a challenge it does not prompt for
// (and so shows the login form); other clients get Basic. Both 401.
func TestBrowserNavigationGetsTheFormNotABasicDialog(t *testing.T) {
	s := NewWebServer(newRecordingDevice(), WebOptions{})
	for _, c := range []struct{ mode, want string }{{"navigate", `Form realm="phonesim"`}, {"", `Basic realm="phonesim"`}} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = "127.0.0.1:4000"
		if c.mode != "" {
			req.Header.Set("Sec-Fetch-Mode", c.mode)
		}
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != c.want ||
			!strings.Contains(rec.Body.String(), `name="password"`) {
			t.Errorf("Sec-Fetch-Mode %q: %d %q, want 401 %q with the form", c.mode, rec.Code, rec.Header().Get("WWW-Authenticate"), c.want)
		}
	}
}
