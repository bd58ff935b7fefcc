package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

func presses(keys ...keypad.Key) []emulator.Input {
	out := make([]emulator.Input, len(keys))
	for i, k := range keys {
		out[i] = emulator.PressKey{Key: k}
	}
	return out
}

func wantInputs(t *testing.T, got, want []emulator.Input) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("phone got %v, want %v", got, want)
	}
}

func TestKeySequenceInOrder(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	resp, body := s.get(t, PathCommand+"?key=SPEAKER;1;0;0;2;OK", admin)
	wantStatus(t, resp, body, http.StatusOK)
	if body != "OK: keys SPEAKER;1;0;0;2;OK\n" {
		t.Errorf("body = %q", body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	wantInputs(t, dev.got(), presses(keypad.Speaker, keypad.Digit1, keypad.Digit0, keypad.Digit0, keypad.Digit2, keypad.OK))

	resp, body = s.get(t, PathCommand+"?key=F_TRANSFER", admin)
	wantStatus(t, resp, body, http.StatusOK)
	if body != "OK: key F_TRANSFER\n" {
		t.Errorf("body = %q", body)
	}
	wantInputs(t, dev.got(), presses(keypad.Transfer))
}

// Spec §3.2 names keys in mixed case (key=ok, key=OK, key=Enter,
// key=DNDOn); every key of the keypad must work in every spelling.
func TestEveryKeyInEverySpelling(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	for _, k := range keypad.All() {
		name := k.String()
		mixed := strings.ToUpper(name[:1]) + strings.ToLower(name[1:])
		for _, spelling := range []string{name, strings.ToLower(name), mixed} {
			if spelling == keypad.ConfirmSpeaker {
				continue // the confirm key, see TestKeyAliases
			}
			resp, body := s.get(t, PathCommand+"?key="+url.QueryEscape(spelling), admin)
			wantStatus(t, resp, body, http.StatusOK)
			if want := "OK: key " + name + "\n"; body != want {
				t.Errorf("key=%s: body %q, want %q", spelling, body, want)
			}
			wantInputs(t, dev.got(), presses(k))
		}
	}
	// All of them in one sequence, raw (unescaped) in the URL.
	names := make([]string, 0, len(keypad.All()))
	for _, k := range keypad.All() {
		names = append(names, strings.ToLower(k.String()))
		if k == keypad.Speaker {
			names[len(names)-1] = "Speaker"
		}
	}
	resp, body := s.get(t, PathCommand+"?key="+strings.Join(names, ";"), admin)
	wantStatus(t, resp, body, http.StatusOK)
	wantInputs(t, dev.got(), presses(keypad.All()...))
}

func TestKeyAliases(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	for q, want := range map[string]keypad.Key{
		"key=Enter":   keypad.OK,
		"key=enter":   keypad.OK,
		"key=ok":      keypad.OK,
		"key=OK":      keypad.OK,
		"key=speaker": keypad.OK, // spec §3.2: the confirm key
		"key=Speaker": keypad.Speaker,
		"key=SPEAKER": keypad.Speaker,
		"key=DNDOn":   keypad.DNDOn,
		"key=DNDOff":  keypad.DNDOff,
		"key=AutoP":   keypad.AutoP,
		"key=Reboot":  keypad.Reboot,
		"key=%23":     keypad.Pound,
		"key=POUND":   keypad.Pound,
		"key=*":       keypad.Star,
		"key=%2A":     keypad.Star,
		"KEY=ok":      keypad.OK, // parameter names are case-insensitive too
		"key=OK&_=17": keypad.OK, // cache-busters are ignored
	} {
		resp, body := s.get(t, PathCommand+"?"+q, admin)
		wantStatus(t, resp, body, http.StatusOK)
		wantInputs(t, dev.got(), presses(want))
	}
}

func TestBadKeyIs400NamingIt(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	for q, wants := range map[string][]string{
		"key=FOO":                               {`unknown key "FOO"`},
		"key=OK;FOO;X":                          {`unknown key "FOO"`, "key 2 of 3"},
		"key=":                                  {"empty key name"},
		"key=OK;;X":                             {"key 2 of 3", "empty key name"},
		"key=L9":                                {`unknown key "L9"`},
		"key=%ZZ":                               {"bad %-escape"},
		"key=OK&key=X":                          {`"key" given more than once`},
		"key=" + strings.Repeat("1;", 64) + "1": {"65 keys, at most 64"},
		"":                                      {"missing key or number"},
		"foo=bar":                               {"missing key or number"},
		"key=OK&number=1002":                    {"either key or number"},
		"key=OK&outgoing_uri=1@h":               {"outgoing_uri goes with number"},
		"outgoing_uri=1001@127.0.0.1":           {"outgoing_uri given without number"},
	} {
		resp, body := s.get(t, PathCommand+"?"+q, admin)
		wantStatus(t, resp, body, http.StatusBadRequest)
		wantContains(t, "400 body for ?"+q, body, wants...)
	}
	if in := dev.got(); len(in) != 0 {
		t.Fatalf("bad requests reached the phone (nothing may be pressed when one key is bad): %v", in)
	}
}

func TestDialNumber(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	for _, c := range []struct {
		query, body string
		want        emulator.DialNumber
	}{
		{"number=1002&outgoing_uri=1001@127.0.0.1", "OK: dialing 1002 from 1001@127.0.0.1",
			emulator.DialNumber{Number: "1002", Account: "1001@127.0.0.1"}},
		// spec §3.4 example
		{"number=8530&outgoing_uri=8532@192.168.1.199", "OK: dialing 8530 from 8532@192.168.1.199",
			emulator.DialNumber{Number: "8530", Account: "8532@192.168.1.199"}},
		{"number=1002", "OK: dialing 1002", emulator.DialNumber{Number: "1002"}},
		{"number=1002&outgoing_uri=", "OK: dialing 1002", emulator.DialNumber{Number: "1002"}},
		{"number=%2B4930123", "OK: dialing +4930123", emulator.DialNumber{Number: "+4930123"}},
		{"number=+4930123", "OK: dialing +4930123", emulator.DialNumber{Number: "+4930123"}},
		{"number=*21%23", "OK: dialing *21#", emulator.DialNumber{Number: "*21#"}},
		{"number=alice.smith-2_x", "OK: dialing alice.smith-2_x", emulator.DialNumber{Number: "alice.smith-2_x"}},
		{"number=1002&outgoing_uri=sip:1001@pbx.example.com:5060", "OK: dialing 1002 from 1001@pbx.example.com:5060",
			emulator.DialNumber{Number: "1002", Account: "1001@pbx.example.com:5060"}},
		{"number=1002&outgoing_uri=1001@[::1]:5062", "OK: dialing 1002 from 1001@[::1]:5062",
			emulator.DialNumber{Number: "1002", Account: "1001@[::1]:5062"}},
		{"outgoing_uri=1001%40127.0.0.1&number=1002", "OK: dialing 1002 from 1001@127.0.0.1",
			emulator.DialNumber{Number: "1002", Account: "1001@127.0.0.1"}},
	} {
		resp, body := s.get(t, PathCommand+"?"+c.query, admin)
		wantStatus(t, resp, body, http.StatusOK)
		if body != c.body+"\n" {
			t.Errorf("?%s: body %q, want %q", c.query, body, c.body)
		}
		wantInputs(t, dev.got(), []emulator.Input{c.want})
	}
}

func TestBadNumberIs400(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	for q, wants := range map[string][]string{
		"number=":                               {"number is empty"},
		"number=12%2034":                        {`character ' ' at position 3`},
		"number=1002@127.0.0.1":                 {`character '@' at position 5`},
		"number=10%0A02":                        {`'\n'`},
		"number=%C3%A91":                        {`'é' at position 1`},
		"number=%FF":                            {"not valid UTF-8"},
		"number=" + strings.Repeat("9", 65):     {"65 characters long, at most 64"},
		"number=1&outgoing_uri=1001":            {"bad outgoing_uri", "no '@'"},
		"number=1&outgoing_uri=@127.0.0.1":      {"empty user"},
		"number=1&outgoing_uri=1001@":           {"empty host"},
		"number=1&outgoing_uri=a@b@c":           {"more than one '@'"},
		"number=1&outgoing_uri=1001@bad%20host": {"not a host name"},
		"number=1&outgoing_uri=1001@host:99999": {`port "99999"`},
		"number=1&outgoing_uri=1001@host:":      {"empty port"},
		"number=1&outgoing_uri=1%201@host":      {"user part"},
		"number=1&outgoing_uri=1@[::1":          {"unclosed"},
		"number=1&outgoing_uri=1@[1.2.3.4]":     {"not an IPv6 address"},
		"number=1&number=2":                     {`"number" given more than once`},
	} {
		resp, body := s.get(t, PathCommand+"?"+q, admin)
		wantStatus(t, resp, body, http.StatusBadRequest)
		wantContains(t, "400 body for ?"+q, body, wants...)
	}
	// An error quotes the request, but never echoes a huge one back.
	resp, body := s.get(t, PathCommand+"?number=1&outgoing_uri=1@"+strings.Repeat("a.", 5000), admin)
	wantStatus(t, resp, body, http.StatusBadRequest)
	if len(body) > 300 {
		t.Errorf("400 body is %d bytes: %.100s...", len(body), body)
	}
	if in := dev.got(); len(in) != 0 {
		t.Fatalf("bad requests reached the phone: %v", in)
	}
}

// An error from the phone is 409 with the phone's reason; never 5xx.
func TestPhoneErrorsAre409(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{Timeout: 50 * time.Millisecond})

	dev.setDo(func(context.Context, emulator.Input) error { return errors.New("no line is registered") })
	resp, body := s.get(t, PathCommand+"?number=1002&outgoing_uri=1001@127.0.0.1", admin)
	wantStatus(t, resp, body, http.StatusConflict)
	wantContains(t, "body", body, "dialing 1002 from 1001@127.0.0.1", "no line is registered")

	dev.setDo(func(context.Context, emulator.Input) error { return emulator.ErrClosed })
	resp, body = s.get(t, PathCommand+"?key=OK", admin)
	wantStatus(t, resp, body, http.StatusConflict)
	wantContains(t, "body", body, "phone is closed")

	// The loop never answers: 409 "phone busy" after WebOptions.Timeout.
	dev.setDo(func(ctx context.Context, _ emulator.Input) error { <-ctx.Done(); return ctx.Err() })
	start := time.Now()
	resp, body = s.get(t, PathCommand+"?key=OK", admin)
	wantStatus(t, resp, body, http.StatusConflict)
	wantContains(t, "body", body, "phone busy, try again", "50ms")
	if ra := resp.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q", ra)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("busy answer took %v; Timeout is 50ms", d)
	}

	// A refusal in the middle of a sequence stops it and says how far it got.
	dev.got()
	n := 0
	dev.setDo(func(context.Context, emulator.Input) error {
		if n++; n == 3 {
			return errors.New("not now")
		}
		return nil
	})
	resp, body = s.get(t, PathCommand+"?key=SPEAKER;1;F_HOLD;2;OK", admin)
	wantStatus(t, resp, body, http.StatusConflict)
	wantContains(t, "body", body, "key F_HOLD (key 3 of 5; keys 1-2 were applied)", "not now",
		"\napplied: SPEAKER;1\nrefused: F_HOLD\nnot pressed: 2;OK\n")
	wantInputs(t, dev.got(), presses(keypad.Speaker, keypad.Digit1, keypad.Hold))
}

// Each key after the first of a sequence waits until the phone has
// settled from the one before: F_HOLD;F_HOLD presses the second F_HOLD only
// once the first one's re-INVITE is answered.
func TestKeySequenceWaitsForThePhoneToSettle(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	settled := make(chan struct{})
	dev.setDo(func(_ context.Context, in emulator.Input) error {
		dev.mu.Lock()
		dev.snap.Pending = "the hold/resume re-INVITE of call o1"
		dev.mu.Unlock()
		go func() {
			time.Sleep(200 * time.Millisecond)
			if got := len(dev.inputsSoFar()); got != 1 {
				t.Errorf("%d keys pressed while the re-INVITE was in flight, want 1", got)
			}
			dev.mu.Lock()
			dev.snap.Pending = ""
			dev.mu.Unlock()
			dev.emit(emulator.Event{Type: emulator.EventHold})
			close(settled)
		}()
		dev.setDo(nil)
		return nil
	})
	resp, body := s.get(t, PathCommand+"?key=F_HOLD;F_HOLD", admin)
	wantStatus(t, resp, body, http.StatusOK)
	if body != "OK: keys F_HOLD;F_HOLD\n" {
		t.Errorf("body %q", body)
	}
	<-settled
	wantInputs(t, dev.got(), presses(keypad.Hold, keypad.Hold))
}

func TestMethods(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	hc := s.ts.Client()
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, "FOO"} {
		resp, body := call(t, hc, m, s.ts.URL+PathCommand+"?key=OK", nil, admin)
		wantStatus(t, resp, body, http.StatusMethodNotAllowed)
		if a := resp.Header.Get("Allow"); a != "GET, HEAD" {
			t.Errorf("%s: Allow = %q", m, a)
		}
	}
	resp, body := call(t, hc, http.MethodPost, s.ts.URL+PathStatus, nil, admin)
	wantStatus(t, resp, body, http.StatusMethodNotAllowed)
	resp, body = call(t, hc, http.MethodGet, s.ts.URL+PathLogout, nil)
	wantStatus(t, resp, body, http.StatusMethodNotAllowed)
	resp, body = call(t, hc, http.MethodPut, s.ts.URL+PathLogin, nil)
	wantStatus(t, resp, body, http.StatusMethodNotAllowed)
	if a := resp.Header.Get("Allow"); a != "GET, POST, HEAD" {
		t.Errorf("/login Allow = %q", a)
	}

	// HEAD checks the command but presses nothing.
	resp, _ = call(t, hc, http.MethodHead, s.ts.URL+PathCommand+"?key=OK", nil, admin)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD good command: %d", resp.StatusCode)
	}
	resp, _ = call(t, hc, http.MethodHead, s.ts.URL+PathCommand+"?key=FOO", nil, admin)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("HEAD bad command: %d", resp.StatusCode)
	}
	if in := dev.got(); len(in) != 0 {
		t.Fatalf("405/HEAD requests reached the phone: %v", in)
	}
}

func TestHealthAndNotFound(t *testing.T) {
	s := startServer(t, newRecordingDevice(), WebOptions{})
	resp, body := s.get(t, PathHealth)
	wantStatus(t, resp, body, http.StatusOK)
	if body != "ok\n" {
		t.Errorf("healthz body %q", body)
	}
	resp, body = s.get(t, "/cgi-bin/nope", admin)
	wantStatus(t, resp, body, http.StatusNotFound)
	resp, body = s.get(t, "/", admin)
	wantStatus(t, resp, body, http.StatusOK)
	wantContains(t, "index", body, "rec1", "/api/status")
}

// A panic is a bug: logged, answered 400 "internal error", never 5xx, and
// the server keeps serving.
func TestPanicBecomes400(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	dev.setDo(func(context.Context, emulator.Input) error { panic("boom") })
	resp, body := s.get(t, PathCommand+"?key=OK", admin)
	wantStatus(t, resp, body, http.StatusBadRequest)
	wantContains(t, "body", body, "internal error")
	wantContains(t, "log", s.logs.String(), "BUG: panic", "boom", "command_test.go")

	dev.setDo(nil)
	resp, body = s.get(t, PathCommand+"?key=OK", admin)
	wantStatus(t, resp, body, http.StatusOK)
}

func TestNewRejectsNilDevice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewWebServer(nil) did not panic")
		}
	}()
	NewWebServer(nil, WebOptions{})
}

// key=# with the '#' unescaped reaches the phone as key= (the client cuts
// the URL at '#'): the 400 says to send POUND or %23.
func TestEmptyKeySaysHowToSendPound(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	for _, q := range []string{"key=", "key=1;"} {
		resp, body := s.get(t, PathCommand+"?"+q, admin)
		wantStatus(t, resp, body, http.StatusBadRequest)
		wantContains(t, "body", body, "POUND or %23")
	}
	if in := dev.got(); len(in) != 0 {
		t.Fatalf("an empty key reached the phone: %v", in)
	}
}
