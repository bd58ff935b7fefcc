package webui_test

// Real browser tests: chromedp drives Debian's chromium (headless) against
// phones started by phonesimtest on 127.0.0.1. Without chromium the tests
// skip and say why, unless CI is set: then a missing chromium fails, as a
// missing SIP peer does.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/phonesimtest"
)

// chromiumPath finds the browser, or skips (fails under CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found and CI is set: run make deps (scripts/deps.sh installs chromium)")
	}
	t.Skip("chromium not found: make deps installs it (the browser tests need it)")
	return ""
}

// browser starts a headless chromium with its own profile; every action
// of a test shares the returned context and its deadline.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // chromium refuses to run as root with its sandbox
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Run(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var loc string
		_ = chromedp.Run(ctx, chromedp.Location(&loc))
		t.Fatalf("%s: %v (browser at %s)", what, err, loc)
	}
}

// submitAndWait submits the form of sel and waits until the page it
// loads has replaced this one: the old page is marked first, so that a
// selector both pages have (h1, the login inputs) is never found on the
// page that is going away.
func submitAndWait(sel string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.Evaluate(`window.__leaving = true`, nil),
		chromedp.Submit(sel),
		chromedp.ActionFunc(func(ctx context.Context) error {
			// While the page changes, evaluating can fail (its context
			// is gone): that is retried too.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var replaced bool
				err := chromedp.Evaluate(`!window.__leaving && document.readyState === "complete"`, &replaced).Do(ctx)
				if err == nil && replaced {
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("the page was not replaced within 10s of submitting %s (last error: %v)", sel, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}),
	}
}

// login opens the phone's pages and logs in through the form.
func login(t *testing.T, ctx context.Context, base, password string) {
	t.Helper()
	run(t, ctx, "log in",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`input[name=user]`),
		chromedp.SendKeys(`input[name=user]`, "admin"),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`nav[aria-label=Pages]`),
	)
}

// ctiServer is a CTI server on 127.0.0.1 recording the GETs it gets.
type ctiServer struct {
	URL string
	mu  sync.Mutex
	got []*url.URL
	new chan struct{}
}

func newCTIServer(t *testing.T) *ctiServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &ctiServer{URL: "http://" + ln.Addr().String(), new: make(chan struct{}, 100)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.got = append(c.got, r.URL)
		c.mu.Unlock()
		c.new <- struct{}{}
		w.WriteHeader(http.StatusOK)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return c
}

// wait returns the first GET on path whose query matches, or fails.
func (c *ctiServer) wait(t *testing.T, path string, match func(url.Values) bool) *url.URL {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		for _, u := range c.got {
			if u.Path == path && match(u.Query()) {
				c.mu.Unlock()
				return u
			}
		}
		c.mu.Unlock()
		select {
		case <-c.new:
		case <-deadline:
			t.Fatalf("CTI server: no GET %s matching within 10 s", path)
			return nil
		}
	}
}

func startDemo(t *testing.T, stateDir string) *phonesimtest.Phones {
	t.Helper()
	ps, err := phonesimtest.Start(context.Background(), demo(), phonesimtest.Options{StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ps.Close() })
	return ps
}

func webBase(p *phonesimtest.Phone) string { return "http://" + p.Member.HTTPAddr() }

// The Action URL page end to end: change the Incoming Call URL, see the
// next call's GET arrive there, press Test, restart and find it kept.
func TestBrowserActionURLChangeTestAndRestart(t *testing.T) {
	cti := newCTIServer(t)
	stateDir := t.TempDir()
	ps := startDemo(t, stateDir)
	alice, bob := ps.Phone("alice"), ps.Phone("bob")
	ctx := browser(t)
	login(t, ctx, webBase(alice), "admin")

	newURL := cti.URL + "/incoming?id=$call_id&from=$remote"
	var events int
	run(t, ctx, "Action URL page",
		chromedp.Navigate(webBase(alice)+"/actionurl"),
		chromedp.WaitVisible(`#url-incoming_call`),
		chromedp.Evaluate(`document.querySelectorAll("table.events tbody tr").length`, &events),
	)
	if events != 27 {
		t.Errorf("Action URL page lists %d events, want the spec's 27", events)
	}
	var first, last string
	run(t, ctx, "event order",
		chromedp.Text(`table.events tbody tr:first-child label`, &first),
		chromedp.Text(`table.events tbody tr:last-child label`, &last))
	if first != "Off-hook" || last != "IP Changed" {
		t.Errorf("events run from %q to %q, want the spec's order (Off-hook … IP Changed)", first, last)
	}
	run(t, ctx, "save the Incoming Call URL",
		chromedp.SetValue(`#url-incoming_call`, newURL),
		chromedp.Click(`#save`),
		chromedp.WaitVisible(`#flash`),
	)

	// The next call's GET arrives at the new URL, with its Call-ID.
	bob.MustURI(t, "number=1001&outgoing_uri=1002@127.0.0.1")
	got := cti.wait(t, "/incoming", func(q url.Values) bool { return q.Get("id") != "" && q.Get("id") != "phonesim-test-call-id" })
	if !strings.Contains(got.Query().Get("from"), "1002") {
		t.Errorf("Incoming Call GET %s: $remote should name bob (1002)", got)
	}
	if calls := alice.Snapshot().Calls; len(calls) != 1 || calls[0].CallID != got.Query().Get("id") {
		t.Errorf("GET carried id=%q, alice's call is %+v", got.Query().Get("id"), calls)
	}

	// Test sends it once with sample values and shows the status.
	var status string
	run(t, ctx, "press Test",
		chromedp.Click(`button[name=event][value=incoming_call]`),
		chromedp.WaitVisible(`#test-incoming_call`),
		chromedp.AttributeValue(`#test-incoming_call`, "data-status", &status, nil),
	)
	cti.wait(t, "/incoming", func(q url.Values) bool { return q.Get("id") == "phonesim-test-call-id" })
	if status != "200" {
		t.Errorf("Test shows status %q, want the CTI server's 200", status)
	}

	// Restart with the same state directory: the URL is still there.
	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	ps2 := startDemo(t, stateDir)
	alice2 := ps2.Phone("alice")
	login(t, ctx, webBase(alice2), "admin")
	var kept, fromState string
	run(t, ctx, "Action URL page after restart",
		chromedp.Navigate(webBase(alice2)+"/actionurl"),
		chromedp.WaitVisible(`#url-incoming_call`),
		chromedp.Value(`#url-incoming_call`, &kept),
		chromedp.Navigate(webBase(alice2)+"/"),
		chromedp.Text(`#from-state`, &fromState),
	)
	if kept != newURL {
		t.Errorf("after restart the Incoming Call URL is %q, want %q", kept, newURL)
	}
	if !strings.Contains(fromState, "action_url") {
		t.Errorf("Status page says %q come from the state file, want action_url among them", fromState)
	}
}

// Wrong passwords until the lock-out page.
func TestBrowserWrongPasswordUntilLockOut(t *testing.T) {
	ps := startDemo(t, "")
	base := webBase(ps.Phone("alice"))
	ctx := browser(t)
	run(t, ctx, "login form", chromedp.Navigate(base+"/"), chromedp.WaitVisible(`input[name=user]`))
	for i := 1; i <= 5; i++ {
		var msg string
		run(t, ctx, fmt.Sprintf("wrong password %d", i),
			chromedp.WaitVisible(`input[name=user]`),
			chromedp.SendKeys(`input[name=user]`, "admin"),
			chromedp.SendKeys(`input[name=password]`, "wrong"),
			submitAndWait(`input[name=password]`),
			chromedp.WaitVisible(`h1`),
			chromedp.Text(`body`, &msg),
		)
		if i < 5 && !strings.Contains(msg, "Wrong user name or password") {
			t.Fatalf("after wrong password %d the page says %q", i, msg)
		}
		if i == 5 && !strings.Contains(msg, "Locked out") {
			t.Fatalf("after 5 wrong passwords the page says %q, want the lock-out page", msg)
		}
	}
	// The right password does not help while locked out.
	var msg string
	run(t, ctx, "locked out", chromedp.Navigate(base+"/"), chromedp.Text(`body`, &msg))
	if !strings.Contains(msg, "Locked out") {
		t.Errorf("while locked out / shows %q", msg)
	}
}

// A client outside the allow-list gets 403; the refusal is in the Log.
func TestBrowserActiveURIAllowList(t *testing.T) {
	ps := startDemo(t, t.TempDir())
	alice := ps.Phone("alice")
	ctx := browser(t)
	login(t, ctx, webBase(alice), "admin")
	var allow string
	run(t, ctx, "Active URI page",
		chromedp.Navigate(webBase(alice)+"/activeuri"),
		chromedp.Value(`#allow`, &allow))
	if allow != "any" {
		t.Errorf("default allow-list %q, want any (as on the hardware)", allow)
	}
	run(t, ctx, "limit to 10.0.0.0/8",
		chromedp.SetValue(`#allow`, "10.0.0.0/8\n192.0.2.7"),
		chromedp.Click(`#save`),
		chromedp.WaitVisible(`#flash`),
		chromedp.Value(`#allow`, &allow))
	if allow != "10.0.0.0/8\n192.0.2.7" {
		t.Errorf("saved list shows %q", allow)
	}
	resp, err := alice.URI(context.Background(), "key=OK")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden || !strings.Contains(resp.Body, "127.0.0.1") {
		t.Errorf("Active URI from 127.0.0.1: %d %q, want 403 naming the client", resp.Status, resp.Body)
	}
	var body string
	run(t, ctx, "the browser's own Active URI request",
		chromedp.Navigate(webBase(alice)+"/cgi-bin/ConfigManApp.com?key=OK"),
		chromedp.Text(`body`, &body))
	if !strings.Contains(body, "not allowed") {
		t.Errorf("browser outside the list sees %q, want the 403 message", body)
	}
	var log string
	run(t, ctx, "Log page", chromedp.Navigate(webBase(alice)+"/log"), chromedp.Text(`#log`, &log))
	if !strings.Contains(log, "403") || !strings.Contains(log, "key=OK") {
		t.Errorf("Log page does not list the refused request:\n%s", log)
	}
	// A bad entry is refused with a clear message and changes nothing.
	var errMsg string
	run(t, ctx, "bad entry",
		chromedp.Navigate(webBase(alice)+"/activeuri"),
		chromedp.SetValue(`#allow`, "10.0.0.300"),
		chromedp.Click(`#save`),
		chromedp.WaitVisible(`#error`),
		chromedp.Text(`#error`, &errMsg))
	if !strings.Contains(errMsg, `"10.0.0.300" is not an address`) {
		t.Errorf("bad entry message %q", errMsg)
	}
	if resp, _ := alice.URI(context.Background(), "key=OK"); resp.Status != http.StatusForbidden {
		t.Errorf("after a refused save Active URI answers %d, want the old list's 403", resp.Status)
	}
}

// Keys clicked on the Phone page place a call; the picture follows.
func TestBrowserPhonePageClickKeysPlacesACall(t *testing.T) {
	ps := startDemo(t, "")
	alice, bob := ps.Phone("alice"), ps.Phone("bob")
	ctx := browser(t)
	login(t, ctx, webBase(alice), "admin")
	run(t, ctx, "Phone page", chromedp.Navigate(webBase(alice)+"/phone"), chromedp.WaitVisible(`#key-1`))
	for _, k := range []string{"#handset", "#key-1", "#key-0", "#key-0", "#key-2", "#key-OK"} {
		run(t, ctx, "click "+k, chromedp.Click(k), chromedp.Sleep(150*time.Millisecond))
	}
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := bob.WaitSnapshot(wctx, func(s emulator.Snapshot) bool { return len(s.Calls) == 1 }); err != nil {
		s := alice.Snapshot()
		t.Fatalf("bob does not ring: %v; alice: hook %s, dialing %q, LCD %+v", err, s.Hook, s.Dialing, s.LCD)
	}
	var hook, lcd string
	run(t, ctx, "the picture follows",
		chromedp.Poll(`document.getElementById("hook").textContent === "off_hook" && document.getElementById("lcd").textContent.includes("1002")`, nil,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text(`#hook`, &hook),
		chromedp.Text(`#lcd`, &lcd))
	if calls := alice.Snapshot().Calls; len(calls) != 1 || calls[0].Direction != "outgoing" {
		t.Errorf("alice's calls %+v, want one outgoing call", calls)
	}
}

// Features: DND and a forward set on the page reach the phone (with their
// events) and survive a restart.
func TestBrowserFeaturesSurviveRestart(t *testing.T) {
	stateDir := t.TempDir()
	ps := startDemo(t, stateDir)
	alice := ps.Phone("alice")
	ctx := browser(t)
	login(t, ctx, webBase(alice), "admin")
	run(t, ctx, "Features page",
		chromedp.Navigate(webBase(alice)+"/features"),
		chromedp.Click(`#dnd`),
		chromedp.Click(`#fwd-busy-on`),
		chromedp.SetValue(`#fwd-busy`, "1003"),
		chromedp.SetValue(`#no-answer-seconds`, "15"),
		chromedp.Click(`#save`),
		chromedp.WaitVisible(`#flash`))
	alice.MustWaitEvent(t, phonesimtest.Event("dnd_on"))
	alice.MustWaitEvent(t, phonesimtest.Event("busy_forward_on"))
	if s := alice.Snapshot(); !s.DND || s.Forward[1].Target != "1003" {
		t.Errorf("phone after save: DND %v, busy forward %+v", s.DND, s.Forward[1])
	}
	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	ps2 := startDemo(t, stateDir)
	alice2 := ps2.Phone("alice")
	if s := alice2.Snapshot(); !s.DND || !s.Forward[1].On || s.Forward[1].Target != "1003" {
		t.Errorf("after restart: DND %v, busy forward %+v; want both kept", s.DND, s.Forward[1])
	}
	login(t, ctx, webBase(alice2), "admin")
	var secs string
	var dnd bool
	run(t, ctx, "Features after restart",
		chromedp.Navigate(webBase(alice2)+"/features"),
		chromedp.Value(`#no-answer-seconds`, &secs),
		chromedp.Evaluate(`document.getElementById("dnd").checked`, &dnd))
	if secs != "15" || !dnd {
		t.Errorf("Features page after restart: no-answer %q s, DND %v", secs, dnd)
	}
}

// TestScreenshotActionURLPage is make screenshot's capture of the Action
// URL page for the README; it runs only when PHONESIM_SCREENSHOT names the
// PNG to write.
func TestScreenshotActionURLPage(t *testing.T) {
	out := os.Getenv("PHONESIM_SCREENSHOT")
	if out == "" {
		t.Skip("PHONESIM_SCREENSHOT not set: make screenshot sets it to docs/actionurl.png")
	}
	cti := newCTIServer(t)
	ps := startDemo(t, "")
	alice := ps.Phone("alice")
	ctx := browser(t)
	login(t, ctx, webBase(alice), "admin")
	var png []byte
	run(t, ctx, "capture",
		chromedp.Navigate(webBase(alice)+"/actionurl"),
		chromedp.SetValue(`#url-incoming_call`, "http://cti.example/incoming?id=$call_id&from=$remote"),
		chromedp.SetValue(`#url-established`, "http://cti.example/answered?id=$call_id"),
		chromedp.SetValue(`#url-terminated`, cti.URL+"/ended?id=$call_id"),
		chromedp.Click(`button[name=event][value=terminated]`),
		chromedp.WaitVisible(`#test-terminated`),
		chromedp.FullScreenshot(&png, 100), // 100: PNG,
	)
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
}

// The Status page is live: a call shows up without a reload, from the
// /api/events stream.
func TestBrowserStatusPageIsLive(t *testing.T) {
	ps := startDemo(t, "")
	alice, bob := ps.Phone("alice"), ps.Phone("bob")
	ctx := browser(t)
	login(t, ctx, webBase(alice), "admin")
	var before string
	run(t, ctx, "Status page", chromedp.Navigate(webBase(alice)+"/"), chromedp.Text(`#status`, &before))
	if !strings.Contains(before, "No call.") || !strings.Contains(before, "registered") {
		t.Fatalf("Status page before the call:\n%s", before)
	}
	run(t, ctx, "mark the page", chromedp.Evaluate(`window.notReloaded = true`, nil))
	bob.MustURI(t, "number=1001&outgoing_uri=1002@127.0.0.1")
	var notReloaded bool
	run(t, ctx, "the call appears",
		chromedp.Poll(`document.getElementById("status").textContent.includes("incoming")`, nil,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`window.notReloaded === true`, &notReloaded))
	if !notReloaded {
		t.Error("the page reloaded; want the section updated in place")
	}
}
