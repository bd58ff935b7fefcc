package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/phonesimtest"
	"github.com/phonesim/phonesim/registrar"
)

// waitSubscription waits until the registrar has (or no longer has) a
// dialog subscription of subscriber to user.
func waitSubscription(t *testing.T, ps *phonesimtest.Phones, subscriber, user string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, s := range ps.Fleet.Registrar.Subscriptions() {
			if s.Subscriber == subscriber && s.User == user {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("registrar subscriptions %+v: none of %s to %s", ps.Fleet.Registrar.Subscriptions(), subscriber, user)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitNoSubscription(t *testing.T, ps *phonesimtest.Phones, subscriber, user string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for slices.ContainsFunc(ps.Fleet.Registrar.Subscriptions(), func(s registrar.Subscription) bool {
		return s.Subscriber == subscriber && s.User == user
	}) {
		if time.Now().After(deadline) {
			t.Fatalf("registrar still has %s's subscription to %s: %+v", subscriber, user, ps.Fleet.Registrar.Subscriptions())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dssForm(csrf string, keys map[int][3]string) url.Values {
	v := url.Values{"csrf": {csrf}}
	for n, k := range keys {
		v.Set("type_"+strconv.Itoa(n), k[0])
		v.Set("value_"+strconv.Itoa(n), k[1])
		v.Set("label_"+strconv.Itoa(n), k[2])
	}
	return v
}

// The DSS keys page programs keys through the phone: a BLF key subscribes
// to its target at the registrar at once, a speed dial calls its value,
// a bad key saves nothing, and the keys survive a restart.
func TestDSSPageProgramsKeys(t *testing.T) {
	stateDir := t.TempDir()
	ps := startDemo(t, stateDir)
	alice, bob := ps.Phone("alice"), ps.Phone("bob")
	waitLine(t, alice, emulator.RegRegistered)
	waitLine(t, bob, emulator.RegRegistered)
	base := webBase(alice)
	csrf := formToken(t, base, "/dss")

	resp, body := post(t, base, "/dss", dssForm(csrf, map[int][3]string{1: {"blf", "1002", "Bob"}}))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "1 keys changed") {
		t.Fatalf("save D1: %d %s", resp.StatusCode, body)
	}
	waitSubscription(t, ps, "1001", "1002")
	if d := alice.Snapshot().DSS; len(d) != 1 || d[0].Key != 1 || d[0].Kind != emulator.DSSBLF || d[0].Label != "Bob" {
		t.Errorf("snapshot DSS %+v, want D1 BLF 1002 Bob", d)
	}

	// Bad keys: a clear 400 and nothing changed (D1 stays BLF).
	for _, bad := range []map[int][3]string{
		{1: {"speed_dial", "1002", ""}, 2: {"intercom", "1", ""}},
		{1: {"speed_dial", "1002", ""}, 2: {"speed_dial", "", ""}},
		{1: {"speed_dial", "1002", ""}, 2: {"speed_dial", "1 2", ""}},
		{1: {"speed_dial", "1002", "<b>"}},
	} {
		resp, body := post(t, base, "/dss", dssForm(csrf, bad))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Nothing saved") {
			t.Errorf("bad keys %v: %d, want 400 Nothing saved", bad, resp.StatusCode)
		}
	}
	if d := alice.Snapshot().DSS; len(d) != 1 || d[0].Kind != emulator.DSSBLF {
		t.Errorf("after refused saves DSS is %+v, want D1 BLF unchanged", d)
	}

	// D1 becomes a speed dial: pressing it calls bob.
	post(t, base, "/dss", dssForm(csrf, map[int][3]string{1: {"speed_dial", "1002", "Bob"}}))
	if d := alice.Snapshot().DSS; len(d) != 1 || d[0].Kind != emulator.DSSSpeedDial {
		t.Fatalf("DSS %+v, want D1 speed dial", d)
	}
	// The BLF subscription is ended in its dialog, not left to expire.
	waitNoSubscription(t, ps, "1001", "1002")
	if _, err := alice.Press(context.Background(), "D1"); err != nil {
		t.Fatal(err)
	}
	bob.MustWaitEvent(t, phonesimtest.Event("incoming_call"))
	if _, err := alice.Press(context.Background(), "RELEASE"); err != nil {
		t.Fatal(err)
	}

	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	ps2 := startDemo(t, stateDir)
	if d := ps2.Phone("alice").Snapshot().DSS; len(d) != 1 || d[0].Key != 1 || d[0].Kind != emulator.DSSSpeedDial || d[0].Value != "1002" {
		t.Errorf("after restart DSS %+v, want the saved D1 speed dial 1002", d)
	}
}

// In a browser: program D2 as a BLF key of 1002 and see the registrar get
// alice's subscription, and the page show the key with its lamp.
func TestBrowserDSSBLFSubscribes(t *testing.T) {
	ps := startDemo(t, t.TempDir())
	alice := ps.Phone("alice")
	waitLine(t, alice, emulator.RegRegistered)
	ctx := browser(t)
	login(t, ctx, webBase(alice), "admin")
	run(t, ctx, "DSS keys page",
		chromedp.Navigate(webBase(alice)+"/dss"),
		chromedp.WaitVisible(`#dss-2-type`),
		chromedp.SetValue(`#dss-2-type`, "blf"),
		chromedp.SetValue(`#dss-2-value`, "1002"),
		chromedp.SetValue(`#dss-2-label`, "Bob"),
		chromedp.Click(`#dss-save`),
		chromedp.WaitVisible(`#flash`))
	waitSubscription(t, ps, "1001", "1002")
	var lamp, value string
	run(t, ctx, "DSS keys page after save",
		chromedp.Navigate(webBase(alice)+"/dss"),
		chromedp.Text(`#dss-2-lamp`, &lamp),
		chromedp.Value(`#dss-2-value`, &value))
	if lamp != "idle" || value != "1002" {
		t.Errorf("D2 after save: lamp %q, value %q; want idle and 1002", lamp, value)
	}
}
