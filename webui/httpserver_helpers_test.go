package webui

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// TestMain (goleak) is main_test.go's, for the whole test binary.

// recordingDevice is an emulator.Device that records every Input it is
// given, in order, and answers Do with doFn (nil: accept). It lets the tests
// see exactly what reached "the phone" and make the phone refuse.
// Subscribe delivers synchronously from emit, which the tests call.
type recordingDevice struct {
	mu      sync.Mutex
	inputs  []emulator.Input
	snap    emulator.Snapshot
	doFn    func(ctx context.Context, in emulator.Input) error
	subs    map[int]func(emulator.Event)
	nextSub int
	subsSet chan struct{} // closed and replaced when subs changes
}

func newRecordingDevice() *recordingDevice {
	return &recordingDevice{
		snap: emulator.Snapshot{Identity: emulator.Identity{Name: "rec1", MAC: "00a859000001",
			IP: "127.0.0.1", Model: "X4U", Firmware: "2.12.0"}},
		subs:    map[int]func(emulator.Event){},
		subsSet: make(chan struct{}),
	}
}

func (d *recordingDevice) Post(in emulator.Input) {
	d.mu.Lock()
	d.inputs = append(d.inputs, in)
	d.mu.Unlock()
}

func (d *recordingDevice) Do(ctx context.Context, in emulator.Input) error {
	d.mu.Lock()
	d.inputs = append(d.inputs, in)
	fn := d.doFn
	d.mu.Unlock()
	if fn != nil {
		return fn(ctx, in)
	}
	return nil
}

func (d *recordingDevice) Snapshot() emulator.Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.snap
}

func (d *recordingDevice) Subscribe(fn func(emulator.Event)) func() {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := d.nextSub
	d.nextSub++
	d.subs[id] = fn
	d.subsChanged()
	return func() {
		d.mu.Lock()
		delete(d.subs, id)
		d.subsChanged()
		d.mu.Unlock()
	}
}

func (d *recordingDevice) emit(ev emulator.Event) {
	d.mu.Lock()
	fns := make([]func(emulator.Event), 0, len(d.subs))
	for _, fn := range d.subs {
		fns = append(fns, fn)
	}
	d.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}

func (d *recordingDevice) subscribers() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.subs)
}

// subsChanged wakes waitSubscribers; d.mu is held.
func (d *recordingDevice) subsChanged() {
	close(d.subsSet)
	d.subsSet = make(chan struct{})
}

// waitSubscribers waits until d has n subscribers, woken by each
// Subscribe and cancel; it fails the test after 5 s.
func (d *recordingDevice) waitSubscribers(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		d.mu.Lock()
		got, changed := len(d.subs), d.subsSet
		d.mu.Unlock()
		if got == n {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("%d event subscribers after 5 s, want %d", got, n)
		}
	}
}

func (d *recordingDevice) setDo(fn func(ctx context.Context, in emulator.Input) error) {
	d.mu.Lock()
	d.doFn = fn
	d.mu.Unlock()
}

// inputsSoFar returns the inputs recorded so far.
func (d *recordingDevice) inputsSoFar() []emulator.Input {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]emulator.Input(nil), d.inputs...)
}

// got returns the inputs recorded so far and forgets them.
func (d *recordingDevice) got() []emulator.Input {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.inputs
	d.inputs = nil
	return out
}

// logBuffer collects the server's log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer serves NewWebServer(dev, opts) on a real loopback socket.
type testServer struct {
	*WebServer
	ts   *httptest.Server
	logs *logBuffer
}

func startServer(t *testing.T, dev emulator.Device, opts WebOptions, tweak ...func(*WebServer)) *testServer {
	t.Helper()
	logs := &logBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s := NewWebServer(dev, opts)
	for _, f := range tweak {
		f(s)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return &testServer{WebServer: s, ts: ts, logs: logs}
}

// noRedirects is a client that shows 303s instead of following them.
func noRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// clientFrom is a client whose connections come from the loopback address
// ip (all of 127.0.0.0/8 is on lo), to test per-IP rules.
func clientFrom(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

type reqOpt func(*http.Request)

func basic(user, pass string) reqOpt { return func(r *http.Request) { r.SetBasicAuth(user, pass) } }

var admin = basic("admin", "admin")

// call makes one request and returns the response with its body read.
func call(t *testing.T, hc *http.Client, method, url string, body io.Reader, opts ...reqOpt) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, url, err)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, string(b)
}

func (s *testServer) get(t *testing.T, pathAndQuery string, opts ...reqOpt) (*http.Response, string) {
	t.Helper()
	return call(t, s.ts.Client(), http.MethodGet, s.ts.URL+pathAndQuery, nil, opts...)
}

func wantStatus(t *testing.T, resp *http.Response, body string, code int) {
	t.Helper()
	if resp.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d; body: %s", resp.Request.Method, resp.Request.URL, resp.StatusCode, code, body)
	}
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}
