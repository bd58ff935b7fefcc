package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/phonesimtest"
	"github.com/phonesim/phonesim/webui"
)

// demoWithSpare is the demo with one more account on its registrar, 1011,
// that a line can be switched to.
func demoWithSpare() *config.File {
	f := demo()
	f.Registrar.Users["1011"] = "spare11"
	return f
}

func startFile(t *testing.T, f *config.File, stateDir string) *phonesimtest.Phones {
	t.Helper()
	ps, err := phonesimtest.Start(context.Background(), f, phonesimtest.Options{StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ps.Close() })
	return ps
}

// formToken is the CSRF token of the form on path.
func formToken(t *testing.T, base, path string) string {
	t.Helper()
	_, page := get(t, base, path)
	tok := csrfRE.FindStringSubmatch(page)
	if tok == nil {
		t.Fatalf("no CSRF token in the form of %s", path)
	}
	return tok[1]
}

// waitLine waits until line 1 of p is in state want, or fails with what
// it shows.
func waitLine(t *testing.T, p *phonesimtest.Phone, want emulator.RegState) emulator.LineStatus {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		l := p.Snapshot().Lines[0]
		if l.Registration == want {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("L1 is %v (%d %s), want %v", l.Registration, l.LastCode, l.LastError, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bindingUsers are the users the registrar has a binding for.
func bindingUsers(ps *phonesimtest.Phones) []string {
	var out []string
	for _, b := range ps.Fleet.Registrar.Bindings() {
		out = append(out, b.User)
	}
	return out
}

func waitBinding(t *testing.T, ps *phonesimtest.Phones, user string, present bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for slices.Contains(bindingUsers(ps), user) != present {
		if time.Now().After(deadline) {
			t.Fatalf("registrar bindings %v: want %s present=%v", bindingUsers(ps), user, present)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// registrarAddr is where phonesimtest put the embedded registrar.
var registrarAddr string

func lineForm(csrf, user, password string) url.Values {
	return url.Values{"csrf": {csrf}, "line": {"1"}, "user": {user}, "password": {password},
		"server": {registrarAddr}, "transport": {"udp"}, "expires": {"3600"}, "display_name": {"Alice"}}
}

// Saving L1 on the Lines page re-registers it with the embedded registrar:
// a wrong password is refused (Registration Failed, 401/403), the right one
// registers again, a blank password keeps the last one, another account
// moves the registrar's binding, and all of it survives a restart.
func TestLinesPageReRegisters(t *testing.T) {
	stateDir := t.TempDir()
	f := demoWithSpare()
	ps := startFile(t, f, stateDir)
	alice := ps.Phone("alice")
	waitLine(t, alice, emulator.RegRegistered)
	registrarAddr = alice.Member.Config.Lines[0].Server
	base := webBase(alice)
	csrf := formToken(t, base, "/lines")

	resp, body := post(t, base, "/lines", lineForm(csrf, "1001", "wrong"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("save L1: %d %s", resp.StatusCode, body)
	}
	l := waitLine(t, alice, emulator.RegFailed)
	if l.LastCode != 401 && l.LastCode != 403 {
		t.Errorf("wrong password: last code %d (%s), want the registrar's 401/403", l.LastCode, l.LastError)
	}
	alice.MustWaitEvent(t, phonesimtest.Event("unregistered"))
	alice.MustWaitEvent(t, phonesimtest.Event("registration_failed"))
	if strings.Contains(body, "wrong") {
		t.Error("the Lines page echoes the password just saved")
	}

	post(t, base, "/lines", lineForm(csrf, "1001", "secret1"))
	waitLine(t, alice, emulator.RegRegistered)
	// A blank password keeps secret1.
	post(t, base, "/lines", lineForm(csrf, "1001", ""))
	waitLine(t, alice, emulator.RegRegistered)

	// Another account: the registrar drops 1001's binding, adds 1011's.
	resp, _ = post(t, base, "/lines", lineForm(csrf, "1011", "spare11"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("save L1 as 1011: %d", resp.StatusCode)
	}
	waitBinding(t, ps, "1011", true)
	waitBinding(t, ps, "1001", false)
	if l := waitLine(t, alice, emulator.RegRegistered); l.User != "1011" {
		t.Errorf("snapshot L1 user %q, want 1011", l.User)
	}

	// Bad input: a clear 400, nothing changed.
	for _, bad := range []url.Values{
		lineForm(csrf, "", "x"),
		lineForm(csrf, "10 01", "x"),
		func() url.Values { v := lineForm(csrf, "1011", ""); v.Set("server", "127.0.0.1:99999"); return v }(),
		func() url.Values { v := lineForm(csrf, "1011", ""); v.Set("expires", "soon"); return v }(),
		func() url.Values { v := lineForm(csrf, "1011", ""); v.Set("transport", "carrier-pigeon"); return v }(),
		func() url.Values { v := lineForm(csrf, "1011", ""); v.Set("line", "9"); return v }(),
	} {
		resp, body := post(t, base, "/lines", bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not saved") && !strings.Contains(body, "No line") {
			t.Errorf("bad line form %v: %d, want a 400 saying why", bad, resp.StatusCode)
		}
	}

	data, err := os.ReadFile(webui.StateFileName(stateDir, "alice"))
	if err != nil || !strings.Contains(string(data), `"1011"`) {
		t.Fatalf("state file: %v %s", err, data)
	}
	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	ps2 := startFile(t, demoWithSpare(), stateDir)
	alice2 := ps2.Phone("alice")
	// phonesimtest moved the registrar to another free port, so the saved
	// server no longer answers: the account itself is what must be kept.
	if l := alice2.Snapshot().Lines[0]; l.User != "1011" || l.Server != registrarAddr {
		t.Errorf("after restart L1 is %s@%s, want the saved 1011@%s", l.User, l.Server, registrarAddr)
	}
	_, page := get(t, webBase(alice2), "/")
	if !strings.Contains(page, "lines.L1") {
		t.Error("the Status page does not say L1 comes from the state file")
	}
}

// In a browser: edit L1 to another account and Save; the registrar's
// binding moves from 1001 to 1011 and the page shows the line Registered
// without the password.
func TestBrowserLinesEditMovesTheBinding(t *testing.T) {
	ps := startFile(t, demoWithSpare(), t.TempDir())
	alice := ps.Phone("alice")
	waitLine(t, alice, emulator.RegRegistered)
	waitBinding(t, ps, "1001", true)
	ctx := browser(t)
	login(t, ctx, webBase(alice), "admin")
	run(t, ctx, "Lines page",
		chromedp.Navigate(webBase(alice)+"/lines"),
		chromedp.WaitVisible(`#line-1-user`),
		chromedp.SetValue(`#line-1-user`, "1011"),
		chromedp.SendKeys(`#line-1-password`, "spare11"),
		chromedp.Click(`#line-1-save`),
		chromedp.WaitVisible(`#flash`))
	waitBinding(t, ps, "1011", true)
	waitBinding(t, ps, "1001", false)
	waitLine(t, alice, emulator.RegRegistered)
	var reg, pw string
	run(t, ctx, "Lines page after save",
		chromedp.Navigate(webBase(alice)+"/lines"),
		chromedp.Text(`#line-1-reg`, &reg),
		chromedp.Value(`#line-1-password`, &pw))
	if reg != "registered" || pw != "" {
		t.Errorf("Lines page after save: L1 %q, password field %q; want registered and empty", reg, pw)
	}
}
