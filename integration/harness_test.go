// Package integration runs whole phones (fleet: core, SIP, Action URL,
// Active URI) against real peers on loopback: the embedded registrar,
// SIPp, Kamailio and baresip, and a real HTTP server receiving Action URLs.
package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/internal/peers"
	"github.com/phonesim/phonesim/phonesimtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hit is one Action URL GET as the CTI server received it.
type hit struct {
	Event string     // the path's last element: the event key
	Query url.Values // the expanded variables
	From  string     // the IP the request came from
	At    time.Time
}

// ctiServer is a CTI application's HTTP server: it records every Action URL
// GET. Each phone's action_url points every event at /<event key>?vars.
type ctiServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits []hit
	wake chan struct{}
}

func newCTIServer(t *testing.T) *ctiServer {
	t.Helper()
	c := &ctiServer{wake: make(chan struct{}, 1)}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		from, _, _ := net.SplitHostPort(r.RemoteAddr)
		c.hits = append(c.hits, hit{Event: strings.TrimPrefix(r.URL.Path, "/"), Query: r.URL.Query(), From: from, At: time.Now()})
		c.mu.Unlock()
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(c.Close)
	return c
}

// allEvents sends every event with every variable to the CTI server.
func (c *ctiServer) allEvents() config.ActionURLs {
	var q []string
	for _, v := range emulator.VarNames {
		q = append(q, v+"=$"+v)
	}
	urls := config.ActionURLs{}
	for _, ev := range emulator.ActionEvents() {
		urls[ev] = c.URL + "/" + ev.Key() + "?" + strings.Join(q, "&")
	}
	return urls
}

// wait returns the n-th (1-based) GET for event key, waiting up to timeout.
func (c *ctiServer) wait(t *testing.T, key string, timeout time.Duration) hit {
	t.Helper()
	return c.waitN(t, key, 1, timeout)
}

func (c *ctiServer) waitN(t *testing.T, key string, n int, timeout time.Duration) hit {
	t.Helper()
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		seen := 0
		for _, h := range c.hits {
			if h.Event == key {
				seen++
				if seen == n {
					c.mu.Unlock()
					return h
				}
			}
		}
		c.mu.Unlock()
		select {
		case <-c.wake:
		case <-deadline:
			t.Fatalf("Action URL %s #%d not received within %s; got %v", key, n, timeout, c.events())
		}
	}
}

func (c *ctiServer) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, h := range c.hits {
		if h.Event == key {
			n++
		}
	}
	return n
}

func (c *ctiServer) events() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, h := range c.hits {
		out = append(out, h.Event)
	}
	return out
}

// phoneConfig is one phone on its own loopback address, its lines going to
// server, all events to cti.
func phoneConfig(t *testing.T, name string, cti *ctiServer, lines ...config.Line) config.Phone {
	t.Helper()
	ip := peers.LoopbackIP(t)
	for i := range lines {
		if lines[i].Expires == 0 {
			lines[i].Expires = 60
		}
	}
	p := config.Phone{
		Name:     name,
		IP:       ip,
		SIPPort:  peers.FreePort(t, "udp", ip),
		HTTPPort: peers.FreePort(t, "tcp", ip),
		MAC:      "00:a8:59:00:10:01",
		Model:    "X4U",
		Firmware: "2.12.1",
		Admin:    config.Admin{User: "admin", Password: "admin"},
		Lines:    lines,
	}
	if cti != nil {
		p.ActionURL = cti.allEvents()
	}
	return p
}

// startFleet runs f with fast SIP timing; cleanup closes it.
func startFleet(t *testing.T, f *config.File) *fleet.Fleet {
	t.Helper()
	if f.ActionURLTimeout == 0 {
		f.ActionURLTimeout = 2 * time.Second
	}
	fl, err := fleet.Start(context.Background(), f, fleet.Options{
		RegisterRetryMin: 200 * time.Millisecond,
		RegisterRetryMax: time.Second,
		RequestTimeout:   3 * time.Second, // generous: -race and parallel packages load 2 cores
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := fl.Close(ctx); err != nil {
			t.Logf("fleet close: %v", err)
		}
	})
	return fl
}

// activeURI sends an Active URI command as CTI software does and returns
// the status and body.
func activeURI(t *testing.T, m *fleet.Member, query string) (int, string) {
	t.Helper()
	resp, err := http.Get(m.ActiveURI() + "?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustActiveURI(t *testing.T, m *fleet.Member, query string) {
	t.Helper()
	if code, body := activeURI(t, m, query); code != http.StatusOK {
		t.Fatalf("Active URI %s: %d %s", query, code, body)
	}
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !poll(timeout, cond) {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

// poll checks cond every 20 ms until it holds (true) or timeout passes:
// for what changes without a phone event (RTP counters, files, peers).
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// waitForPhone waits until cond, a condition on m's state, holds: it
// checks again on each event m publishes (phonesimtest.WaitUntil; every
// change of a phone's snapshot comes with an event), without polling. On
// timeout it shows what m's screen and calls looked like (a failed transfer
// or hold says why on the LCD). Conditions on media counters, which move
// without events, and on anything outside the phone use waitFor.
func waitForPhone(t *testing.T, m *fleet.Member, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	waitForPhones(t, []*fleet.Member{m}, what, timeout, cond)
}

// waitForPhones is waitForPhone for a condition on several phones: it
// checks again on each event any of ms publishes.
func waitForPhones(t *testing.T, ms []*fleet.Member, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	devices := make([]emulator.Device, len(ms))
	for i, m := range ms {
		devices[i] = m.Phone
	}
	if phonesimtest.WaitUntil(ctx, cond, devices...) != nil {
		msg := fmt.Sprintf("timed out after %s waiting for %s", timeout, what)
		for _, m := range ms {
			s := m.Phone.Snapshot()
			msg += fmt.Sprintf("; %s LCD %q %q, calls %+v", m.Config.Name, s.LCD.Title, s.LCD.Lines, s.Calls)
		}
		t.Fatal(msg)
	}
}

// recording waits for the one WAV file a phone recorded into dir to hold
// at least half a second and returns its measure. The file is closed a
// moment after the call ends (after Terminated), so it is polled.
func recording(t *testing.T, dir string) peers.WAVInfo {
	t.Helper()
	var info peers.WAVInfo
	var err error
	ok := poll(5*time.Second, func() bool {
		files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
		if len(files) != 1 {
			err = fmt.Errorf("%d recordings in %s", len(files), dir)
			return false
		}
		info, err = peers.AnalyzeWAV(files[0])
		return err == nil && info.Seconds() >= 0.5
	})
	if !ok {
		t.Fatalf("no recording of half a second: %v (%.2fs)", err, info.Seconds())
	}
	return info
}

func sipURI(user, hostport string) string { return fmt.Sprintf("sip:%s@%s", user, hostport) }
