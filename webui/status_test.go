package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

func keysOf(t *testing.T, what string, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, want an object", what, v)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func wantKeys(t *testing.T, what string, v any, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := keysOf(t, what, v); !slices.Equal(got, want) {
		t.Errorf("%s fields = %v, want %v", what, got, want)
	}
}

// The JSON field names are a contract (see Status): this test pins them.
func TestStatusJSONFields(t *testing.T) {
	started := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	dev := newRecordingDevice()
	dev.snap = emulator.Snapshot{
		Identity: emulator.Identity{Name: "desk1", MAC: "00a859000001", IP: "127.0.0.1", Model: "X4U", Firmware: "2.12.0"},
		Seq:      12, Hook: emulator.HookOff, Busy: true, DND: true, Dialing: "10", Selected: 2, Volume: 7, Muted: true,
		Lines: []emulator.LineStatus{
			{Line: 1, User: "1001", Server: "127.0.0.1:5060", URI: "sip:1001@127.0.0.1", DisplayName: "Alice",
				Registration: emulator.RegFailed, LastCode: 403, LastError: "403 Forbidden"},
		},
		Calls: []emulator.CallStatus{
			{Ref: "o1", Line: 1, Direction: "outgoing", State: emulator.CallTalking, CallID: "abc@127.0.0.1",
				LocalURI: "sip:1001@127.0.0.1", LocalDisplay: "Alice", RemoteURI: "sip:1002@127.0.0.1",
				RemoteDisplay: "Bob", Started: started, Answered: started.Add(2 * time.Second),
				RTPIn: 100, RTPOut: 101, DTMFIn: 1, DTMFOut: 2, Codec: "PCMU"},
			{Ref: "i1", Line: 2, Direction: "incoming", State: emulator.CallRinging, Started: started},
		},
		LCD: emulator.LCD{Title: "Line 1", Lines: []string{"Talking", "Bob"},
			SoftKeys: [4]string{"Hold", "Xfer", "", "End"}, LineKeys: []emulator.LED{emulator.LEDOn}, MSG: emulator.LEDBlink},
		Counters: emulator.Counters{Events: 30, CallsIn: 1, CallsOut: 2, Missed: 3, Registrations: 4},
	}
	s := startServer(t, dev, WebOptions{})
	resp, body := s.get(t, PathStatus, admin)
	wantStatus(t, resp, body, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, body)
	}
	wantKeys(t, "status", doc, "identity", "seq", "hook", "busy", "dnd", "dialing", "selected_line",
		"volume", "muted", "lines", "calls", "lcd", "counters", "forward", "history", "audio_path", "voicemail", "dss", "provisioning")
	wantKeys(t, "identity", doc["identity"], "name", "mac", "ip", "model", "firmware")
	lines := doc["lines"].([]any)
	wantKeys(t, "lines[0]", lines[0], "line", "user", "server", "uri", "display_name", "registration", "code", "error")
	calls := doc["calls"].([]any)
	callFields := []string{"ref", "line", "direction", "state", "call_id", "local_uri", "local_display",
		"remote_uri", "remote_display", "started", "answered", "rtp_in", "rtp_out", "dtmf_in", "dtmf_out", "codec", "remote_held"}
	wantKeys(t, "calls[0]", calls[0], callFields...)
	wantKeys(t, "calls[1]", calls[1], callFields...)
	wantKeys(t, "lcd", doc["lcd"], "title", "lines", "soft_keys", "leds")
	wantKeys(t, "counters", doc["counters"], "events", "calls_in", "calls_out", "missed", "registrations")

	// Values, decoded through the exported type as a Go client would.
	var st Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if st.Identity.MAC != "00a859000001" || st.Hook != "off_hook" || !st.DND || st.Dialing != "10" ||
		st.SelectedLine != 2 || st.Seq != 12 || !st.Busy || st.Volume != 7 || !st.Muted {
		t.Errorf("status = %+v", st)
	}
	if l := st.Lines[0]; l.Registration != "failed" || l.Code != 403 || l.Error != "403 Forbidden" {
		t.Errorf("line = %+v", l)
	}
	c := st.Calls[0]
	if c.Ref != "o1" || c.CallID != "abc@127.0.0.1" || c.RTPIn != 100 || c.RTPOut != 101 || c.Codec != "PCMU" ||
		!c.Started.Equal(started) || c.Answered == nil || !c.Answered.Equal(started.Add(2*time.Second)) ||
		c.RemoteDisplay != "Bob" {
		t.Errorf("call = %+v", c)
	}
	if calls[1].(map[string]any)["answered"] != nil {
		t.Errorf("unanswered call: answered = %v, want null", calls[1].(map[string]any)["answered"])
	}
	if !strings.Contains(body, `"started": "2026-01-02T15:04:05Z"`) {
		t.Errorf("started not RFC 3339 in %s", body)
	}
	if st.LCD.LEDs["MSG"] != "blink" || len(st.LCD.SoftKeys) != 4 || st.LCD.SoftKeys[3] != "End" {
		t.Errorf("lcd = %+v", st.LCD)
	}
	if st.Counters != (StatusCounters{Events: 30, CallsIn: 1, CallsOut: 2, Missed: 3, Registrations: 4}) {
		t.Errorf("counters = %+v", st.Counters)
	}
}

func TestStatusEmptyListsAreArrays(t *testing.T) {
	s := startServer(t, newRecordingDevice(), WebOptions{})
	_, body := s.get(t, PathStatus, admin)
	for _, want := range []string{`"lines": []`, `"calls": []`, `"leds": {}`, `"soft_keys": [`} {
		if !strings.Contains(body, want) {
			t.Errorf("status lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "null") {
		t.Errorf("status has null:\n%s", body)
	}
}

// sseReader reads an event stream record by record.
type sseReader struct {
	t  *testing.T
	sc *bufio.Scanner
}

// next returns the lines of the next record (up to a blank line).
func (r *sseReader) next() []string {
	r.t.Helper()
	var rec []string
	for r.sc.Scan() {
		line := r.sc.Text()
		if line == "" {
			if len(rec) > 0 {
				return rec
			}
			continue
		}
		rec = append(rec, line)
	}
	r.t.Fatalf("event stream ended (err %v) after %q", r.sc.Err(), rec)
	return nil
}

// openEvents starts GET /api/events and returns once ": connected" arrived,
// i.e. once the subscription exists.
func openEvents(t *testing.T, s *testServer) (*sseReader, *http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.ts.URL+PathEvents, nil)
	req.SetBasicAuth("admin", "admin")
	resp, err := s.ts.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /api/events: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := &sseReader{t: t, sc: bufio.NewScanner(resp.Body)}
	if rec := r.next(); !strings.HasPrefix(rec[0], ": connected") {
		t.Fatalf("first record %q, want the connected comment", rec)
	}
	return r, resp, cancel
}

func decodeEvent(t *testing.T, rec []string) EventJSON {
	t.Helper()
	for _, l := range rec {
		if data, ok := strings.CutPrefix(l, "data: "); ok {
			var ev EventJSON
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatalf("data %q: %v", data, err)
			}
			return ev
		}
	}
	t.Fatalf("record %q has no data line", rec)
	return EventJSON{}
}

func TestEventsStream(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	r, _, cancel := openEvents(t, s)

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	dev.emit(emulator.Event{Type: emulator.EventIncomingCall, Phone: "rec1", Seq: 7, Line: 1, Call: "i1", At: at,
		Vars: emulator.Vars{MAC: "00a859000001", Remote: "sip:1002@127.0.0.1", CallID: "c1"}})
	dev.emit(emulator.Event{Type: emulator.EventStateChanged, Phone: "rec1", Seq: 8})

	rec := r.next()
	if rec[0] != "id: 7" || len(rec) != 2 {
		t.Fatalf("record %q, want id: 7 and one data line", rec)
	}
	ev := decodeEvent(t, rec)
	if ev.Type != "incoming_call" || ev.Name != "Incoming Call" || ev.Seq != 7 || ev.Line != 1 ||
		ev.Call != "i1" || !ev.At.Equal(at) || ev.Phone != "rec1" {
		t.Errorf("event = %+v", ev)
	}
	if ev.Vars["remote"] != "sip:1002@127.0.0.1" || ev.Vars["call_id"] != "c1" || len(ev.Vars) != 12 {
		t.Errorf("vars = %v, want all 12 with remote and call_id", ev.Vars)
	}
	if ev := decodeEvent(t, r.next()); ev.Type != "state_changed" || ev.Seq != 8 {
		t.Errorf("event = %+v, want state_changed 8", ev)
	}

	// The client goes away: the handler ends and unsubscribes.
	if n := dev.subscribers(); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}
	cancel()
	dev.waitSubscribers(t, 0)
}

func TestEventsStreamEndsOnClose(t *testing.T) {
	dev := newRecordingDevice()
	s := startServer(t, dev, WebOptions{})
	r, _, _ := openEvents(t, s)
	s.Close()
	if rec := r.next(); rec[0] != "event: close" {
		t.Fatalf("record %q, want event: close", rec)
	}
	if r.sc.Scan() {
		t.Fatalf("stream goes on after close: %q", r.sc.Text())
	}
	dev.waitSubscribers(t, 0)
}

// stalledWriter is a ResponseWriter whose Write blocks while stalled, to
// play a client that does not read.
type stalledWriter struct {
	*httptest.ResponseRecorder
	mu      sync.Mutex
	stalled chan struct{} // closed = writes go through
	writes  int
}

func (w *stalledWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	stall := w.writes > 1 // the ": connected" comment goes through
	w.mu.Unlock()
	if stall {
		<-w.stalled
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ResponseRecorder.Write(b)
}

func (w *stalledWriter) body() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Body.String()
}

func TestEventsSlowClientIsCut(t *testing.T) {
	dev := newRecordingDevice()
	logs := &logBuffer{}
	s := NewWebServer(dev, WebOptions{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	w := &stalledWriter{ResponseRecorder: httptest.NewRecorder(), stalled: make(chan struct{})}
	req := httptest.NewRequest(http.MethodGet, PathEvents, nil)
	req.RemoteAddr = "127.0.0.1:1234"
	req.SetBasicAuth("admin", "admin")
	done := make(chan struct{})
	go func() { defer close(done); s.ServeHTTP(w, req) }()

	dev.waitSubscribers(t, 1)
	// The handler takes one event and stalls writing it; 256 more fill the
	// queue; the rest overflow. emit must never block the phone.
	for i := range eventBuffer + 50 {
		dev.emit(emulator.Event{Type: emulator.EventStateChanged, Seq: uint64(i + 1)})
	}
	close(w.stalled)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not end after overflow")
	}
	if !strings.Contains(w.body(), "event: overflow") {
		t.Fatalf("no overflow notice; stream:\n%.300s", w.body())
	}
	if dev.subscribers() != 0 {
		t.Fatal("subscription left behind")
	}
	wantContains(t, "log", logs.String(), "event stream too slow")
}
