package fleet

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/peers"
	"github.com/phonesim/phonesim/keypad"
)

// blockBase is a first address for a block of phones, 127.X.Y.1 with X in
// 200..249 (peers.LoopbackIP hands out 127.100-199 to single phones), and
// a registrar address on 127.X.Y.250.
func blockBase(t *testing.T) (first, registrar string) {
	t.Helper()
	for range 32 {
		x, y := 200+rand.IntN(50), rand.IntN(256)
		first = fmt.Sprintf("127.%d.%d.1", x, y)
		c, err := net.ListenPacket("udp4", first+":0")
		if err != nil {
			continue
		}
		c.Close()
		return first, fmt.Sprintf("127.%d.%d.250", x, y)
	}
	t.Fatal("no free loopback block")
	return "", ""
}

// startBlock starts count phones from one fleet block with the embedded
// registrar and waits until every line is registered.
func startBlock(t *testing.T, count int, extra string) (*Fleet, *config.File) {
	t.Helper()
	first, reg := blockBase(t)
	regPort := peers.FreePort(t, "udp", reg)
	httpPort := peers.FreePort(t, "tcp", first)
	src := fmt.Sprintf(`registrar: {listen: "%[1]s:%[2]d"}
fleet:
  - count: %[3]d
    ip: %[4]s
    sip_port: 5060
    http_port: %[5]d
    user: 4000
    password: "pw$user"
    server: "%[1]s:%[2]d"
    expires: 60
%[6]s`, reg, regPort, count, first, httpPort, extra)
	f, err := config.Parse("fleet.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := Start(context.Background(), f, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ShareHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := fl.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	waitAllRegistered(t, fl, 20*time.Second)
	return fl, f
}

func waitAllRegistered(t *testing.T, fl *Fleet, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pending := 0
		for _, m := range fl.Phones {
			for _, l := range m.Phone.Snapshot().Lines {
				if l.Registration != "registered" {
					pending++
				}
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lines not registered after %v", pending, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A fleet block of 20 phones registers every account, each from its own
// address, with the embedded registrar the block's accounts were added to.
func TestFleetBlockRegisters(t *testing.T) {
	fl, f := startBlock(t, 20, "")
	if len(fl.Phones) != 20 {
		t.Fatalf("%d phones", len(fl.Phones))
	}
	byUser := map[string]string{}
	for _, b := range fl.Registrar.Bindings() {
		host, _, _ := net.SplitHostPort(b.Source)
		byUser[b.User] = host
	}
	for _, p := range f.Phones {
		if got := byUser[p.Lines[0].User]; got != p.IP {
			t.Errorf("%s registered from %q, want %s", p.Lines[0].User, got, p.IP)
		}
	}
	if len(byUser) != 20 {
		t.Errorf("%d bindings, want 20", len(byUser))
	}
}

// The phones of a block share one HTTP listener, and still each answers
// only on its own address: a request to a phone reaches that phone, and a
// connection to an address on the port that no phone has is refused.
func TestSharedHTTPListenerAnswersOnEachPhonesIPOnly(t *testing.T) {
	fl, f := startBlock(t, 5, "")
	if len(fl.shared) != 1 {
		t.Fatalf("%d shared listeners, want 1", len(fl.shared))
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, m := range fl.Phones {
		resp, err := client.Get(m.StatusURL())
		if err != nil {
			t.Fatalf("%s: %v", m.Config.Name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"mac": "`+m.Config.MAC+`"`) {
			t.Errorf("%s at %s: %d %s", m.Config.Name, m.HTTPAddr(), resp.StatusCode, body)
		}
	}
	// 127.X.Y.100: in the block's range, but no phone has it.
	last := f.Phones[len(f.Phones)-1]
	nobody := strings.TrimSuffix(last.IP, ".5") + ".100"
	url := fmt.Sprintf("http://admin:admin@%s:%d/api/status", nobody, last.HTTPPort)
	resp, err := client.Get(url)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET %s answered %s; want the connection refused", url, resp.Status)
	}
	if !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "refused") {
		t.Errorf("GET to an address no phone has: %v, want a reset connection", err)
	}
}

// Moving a phone of a shared listener (key=IP) moves where it answers.
func TestSharedListenerFollowsIPChange(t *testing.T) {
	fl, _ := startBlock(t, 2, "")
	m := fl.Phones[0]
	old := m.Config.IP
	moved := strings.TrimSuffix(old, ".1") + ".77"
	if err := m.changeIP(context.Background(), moved); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if !strings.HasPrefix(m.HTTPAddr(), moved+":") {
		t.Fatalf("HTTPAddr %s after moving to %s", m.HTTPAddr(), moved)
	}
	resp, err := client.Get(m.StatusURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("at the new address: %s", resp.Status)
	}
	// The old address closes half a second later.
	deadline := time.Now().Add(3 * time.Second)
	for {
		resp, err := client.Get(strings.Replace(m.StatusURL(), moved, old, 1))
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("the old address still answers 3 s after the move")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Another phone's address is taken.
	if err := m.changeIP(context.Background(), fl.Phones[1].Config.IP); err == nil {
		t.Error("moving onto another phone's address succeeded")
	}
}

// auto_answer: D answers a call after it has rung for D, not before: the
// first phone of a block calls the second, which rings, then answers.
func TestDelayedAutoAnswer(t *testing.T) {
	const delay = 700 * time.Millisecond
	fl, _ := startBlock(t, 2, "    auto_answer: 700ms\n")
	caller, callee := fl.Phones[0], fl.Phones[1]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := caller.Phone.Do(ctx, emulator.DialNumber{Number: callee.Config.Lines[0].User}); err != nil {
		t.Fatal(err)
	}
	var rang, answered time.Time
	for ctx.Err() == nil && answered.IsZero() {
		for _, c := range callee.Phone.Snapshot().Calls {
			switch {
			case c.State == emulator.CallRinging && rang.IsZero():
				rang = time.Now()
			case c.State == emulator.CallTalking:
				answered = time.Now()
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if rang.IsZero() || answered.IsZero() {
		t.Fatalf("rang %v, answered %v", rang, answered)
	}
	if rang := answered.Sub(rang); rang < delay-50*time.Millisecond {
		t.Errorf("answered after ringing %v, want at least %v", rang, delay)
	}
	if err := caller.Phone.Do(ctx, emulator.PressKey{Key: keypad.Speaker}); err != nil {
		t.Fatal(err)
	}
}

// The process metrics (--metrics) count lines by state, calls by state,
// Active URI requests by result, and the Action URLs' latency.
func TestMetricsHandler(t *testing.T) {
	fl, _ := startBlock(t, 2, "    auto_answer: 10s\n")
	scrape := func() string {
		rec := httptest.NewRecorder()
		fl.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	client := &http.Client{Timeout: 5 * time.Second}
	m := fl.Phones[0]
	if resp, err := client.Get(m.StatusURL()); err == nil {
		resp.Body.Close()
	} else {
		t.Fatal(err)
	}
	bad := strings.Replace(m.StatusURL(), "admin:admin@", "admin:wrong@", 1)
	if resp, err := client.Get(bad); err == nil {
		resp.Body.Close()
	} else {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Phone.Do(ctx, emulator.DialNumber{Number: fl.Phones[1].Config.Lines[0].User}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`phonesim_phones 2`,
		`phonesim_lines{state="registered"} 2`,
		`phonesim_lines{state="failed"} 0`,
		`phonesim_calls{state="ringing"} 1`,
		`phonesim_active_uri_requests_total{result="ok"} 1`,
		`phonesim_active_uri_requests_total{result="unauthorized"} 1`,
		`phonesim_action_urls_total{result="dropped"} 0`,
	}
	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		body = scrape()
		missing := false
		for _, w := range want {
			missing = missing || !strings.Contains(body, w)
		}
		if !missing {
			break
		}
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("metrics lack %q", w)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
	_ = m.Phone.Do(ctx, emulator.PressKey{Key: keypad.Speaker}) // hang up
}
