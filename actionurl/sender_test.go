package actionurl

import (
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/lockedbuf"
)

func newSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	s, err := NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// sendEach sends event ev of phone p1 once per vars through a sender made
// with cfg whose URL for ev is the CTI server's address plus path, and
// returns what the server received, in order.
func sendEach(t *testing.T, cfg Config, ev emulator.EventType, path string, vars ...emulator.Vars) (*Sender, []request) {
	t.Helper()
	srv := newCTIServer(t, nil)
	cfg.URLs = map[emulator.EventType]string{ev: srv.URL + path}
	s := newSender(t, cfg)
	d := newHandDevice(t, "p1")
	s.Attach(d)
	for _, v := range vars {
		d.emitAll(v, ev)
	}
	waitStats(t, s, uint64(len(vars)))
	return s, srv.requests()
}

func TestNewSenderErrors(t *testing.T) {
	_, err := NewSender(Config{URLs: map[emulator.EventType]string{
		emulator.EventIncomingCall: "http://$ip/in",
		emulator.EventEstablished:  "ftp://cti.example/x",
		emulator.EventTerminated:   "http://cti.example/ok?c=$call_id",
		emulator.EventStateChanged: "http://cti.example/state",
	}})
	if err == nil {
		t.Fatal("NewSender accepted bad URLs")
	}
	msg := err.Error()
	for _, want := range []string{
		`incoming_call (Incoming Call)`, `"http://$ip/in"`,
		`established (Established)`, `"ftp://cti.example/x"`,
		`State Changed is not one of the 27 Action URL events`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "terminated") {
		t.Errorf("error %q mentions the good Terminated URL", msg)
	}
}

func TestNewSenderEmptyURLIsNoURL(t *testing.T) {
	s := newSender(t, Config{URLs: map[emulator.EventType]string{emulator.EventHold: "", emulator.EventUnhold: "  "}})
	if s.Template(emulator.EventHold) != nil || s.Template(emulator.EventUnhold) != nil {
		t.Fatal("an empty URL gave a template")
	}
}

// Spec §2: "When the event happens the phone sends GET to that URL", with
// variables substituted; the example configures Outgoing Call only.
func TestSenderSendsConfiguredEventsOnly(t *testing.T) {
	srv := newCTIServer(t, nil)
	s := newSender(t, Config{URLs: map[emulator.EventType]string{
		emulator.EventOutgoingCall: srv.URL + "/outgoing.xml?ip=$ip",
		emulator.EventTerminated:   srv.URL + "/terminated.xml?call=$call_id",
	}})
	d := newHandDevice(t, "p1")
	s.Attach(d)

	d.emitAll(idleVars, emulator.EventOffHook, emulator.EventDNDOn, emulator.EventIdleToBusy)
	d.emitAll(emulator.Vars{IP: "192.168.20.134", CallID: "c1"}, emulator.EventOutgoingCall, emulator.EventEstablished)
	d.emitAll(emulator.Vars{IP: "192.168.20.134", CallID: "c1"}, emulator.EventTerminated, emulator.EventBusyToIdle, emulator.EventOnHook)
	d.close() // waits until the subscriber has handled every event
	flush(t, s)

	got := srv.requests()
	if len(got) != 2 {
		t.Fatalf("server got %d requests %v, want 2 (Outgoing Call, Terminated)", len(got), srv.paths())
	}
	if got[0].Path != "/outgoing.xml" || got[0].RawQuery != "ip=192.168.20.134" {
		t.Errorf("first request %s?%s, want /outgoing.xml?ip=192.168.20.134", got[0].Path, got[0].RawQuery)
	}
	if got[1].Path != "/terminated.xml" || got[1].RawQuery != "call=c1" {
		t.Errorf("second request %s?%s, want /terminated.xml?call=c1", got[1].Path, got[1].RawQuery)
	}
	if st := s.Stats(); st.Sent != 2 || st.Failed+st.TimedOut+st.Canceled != 0 {
		t.Errorf("stats %+v, want 2 sent", st)
	}
}

// A CTI server must see events in the order they happened even when it is
// slow to answer: the next GET starts only after the previous one ended.
func TestSenderKeepsOrderUnderSlowServer(t *testing.T) {
	var mu sync.Mutex
	active, maxActive := 0, 0
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		active++
		maxActive = max(maxActive, active)
		mu.Unlock()
		if r.URL.Path == "/incoming_call" {
			// Slow on the first event: if the sender did not wait, the
			// later ones would overtake it.
			time.Sleep(150 * time.Millisecond)
		}
		mu.Lock()
		active--
		mu.Unlock()
	})
	urls := map[emulator.EventType]string{}
	order := []emulator.EventType{
		emulator.EventIncomingCall, emulator.EventIdleToBusy, emulator.EventOffHook,
		emulator.EventEstablished, emulator.EventTerminated, emulator.EventOnHook, emulator.EventBusyToIdle,
	}
	var want []string
	for _, ev := range order {
		urls[ev] = srv.URL + "/" + ev.Key() + "?call=$call_id"
		want = append(want, "/"+ev.Key())
	}
	s := newSender(t, Config{URLs: urls})
	d := newHandDevice(t, "p1")
	s.Attach(d)
	d.emitAll(callVars, order...)
	waitStats(t, s, uint64(len(order)))

	if got := srv.paths(); !slices.Equal(got, want) {
		t.Errorf("server saw\n %v\nwant\n %v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if maxActive != 1 {
		t.Errorf("%d requests of one phone were in flight at once, want 1", maxActive)
	}
}

// One phone's slow server does not hold up another phone.
func TestSenderPhonesDoNotWaitForEachOther(t *testing.T) {
	release := make(chan struct{})
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("mac") == "slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	defer close(release)
	s := newSender(t, Config{URLs: map[emulator.EventType]string{emulator.EventDNDOn: srv.URL + "/dnd?mac=$mac"}, Timeout: time.Minute})
	slow, fast := newHandDevice(t, "slow"), newHandDevice(t, "fast")
	s.Attach(slow)
	s.Attach(fast)
	slow.emit(emulator.Event{Type: emulator.EventDNDOn, Vars: emulator.Vars{MAC: "slow"}})
	if r := <-srv.received; r.Query["mac"][0] != "slow" {
		t.Fatalf("first request %+v, want the slow phone's", r)
	}
	fast.emit(emulator.Event{Type: emulator.EventDNDOn, Vars: emulator.Vars{MAC: "fast"}})
	select {
	case r := <-srv.received:
		if r.Query["mac"][0] != "fast" {
			t.Fatalf("second request %+v, want the fast phone's", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the fast phone's request never came while the slow phone's was pending")
	}
}

func TestSenderTimeout(t *testing.T) {
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			<-r.Context().Done() // never answers; ends when the client gives up
		}
	})
	logs := &lockedbuf.Buffer{}
	s := newSender(t, Config{
		URLs: map[emulator.EventType]string{
			emulator.EventIncomingCall: srv.URL + "/hang?call=$call_id",
			emulator.EventEstablished:  srv.URL + "/established?call=$call_id",
		},
		Timeout: 200 * time.Millisecond,
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	})
	d := newHandDevice(t, "p1")
	s.Attach(d)
	d.emitAll(callVars, emulator.EventIncomingCall, emulator.EventEstablished)
	st := waitStats(t, s, 2)
	if st.TimedOut != 1 || st.Sent != 1 || st.Failed != 0 {
		t.Errorf("stats %+v, want 1 timed out and 1 sent", st)
	}
	// The event after the timeout still goes out, after it.
	if got, want := srv.paths(), []string{"/hang", "/established"}; !slices.Equal(got, want) {
		t.Errorf("server saw %v, want %v", got, want)
	}
	by := s.StatsByEvent()
	if by[emulator.EventIncomingCall].TimedOut != 1 || by[emulator.EventEstablished].Sent != 1 {
		t.Errorf("per-event stats %+v", by)
	}
	out := logs.String()
	for _, want := range []string{`level=WARN`, `event="Incoming Call"`, `result=timeout`, `url="` + srv.URL + `/hang?call=a84b4c76e66710%2Bx`, `phone=p1`} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not contain %q:\n%s", want, out)
		}
	}
}

func TestSenderFailuresCountedAndLogged(t *testing.T) {
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	// A port nobody listens on: bind, note, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()

	logs := &lockedbuf.Buffer{}
	s := newSender(t, Config{
		URLs: map[emulator.EventType]string{
			emulator.EventRegistered:         srv.URL + "/reg?mac=$mac",
			emulator.EventRegistrationFailed: refused + "/regfail?mac=$mac",
		},
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	d := newHandDevice(t, "p1")
	s.Attach(d)
	d.emitAll(idleVars, emulator.EventRegistered)
	st := waitStats(t, s, 1)
	if st.Failed != 1 || !strings.Contains(st.LastError, "503 Service Unavailable") {
		t.Errorf("after a 503: stats %+v, want 1 failed with the status", st)
	}
	d.emitAll(idleVars, emulator.EventRegistrationFailed)
	st = waitStats(t, s, 2)
	if st.Failed != 2 || st.Sent != 0 || !strings.Contains(st.LastError, "refused") {
		t.Errorf("after connection refused: stats %+v, want 2 failed, last 'connection refused'", st)
	}
	out := logs.String()
	for _, want := range []string{
		`event=Registered`, `result=error`, `503 Service Unavailable`,
		`event="Registration Failed"`, `url="` + refused + `/regfail?mac=0c383e000001"`, `refused`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not contain %q:\n%s", want, out)
		}
	}
	if got := s.StatsByEvent()[emulator.EventRegistrationFailed]; got.Failed != 1 || got.Sent != 0 {
		t.Errorf("Registration Failed stats %+v", got)
	}
}

// The '+' of an E.164 number or a Call-ID must not reach the server as a
// space (a common CTI pitfall: servers decode an unescaped '+' as a
// space), nor '@', ';' or spaces break the query.
func TestSenderEscapingReachesServer(t *testing.T) {
	_, reqs := sendEach(t, Config{}, emulator.EventIncomingCall,
		"/in/$remote?call=$call_id&remote=$remote&name=$display_remote&local=$local&active=$active_user", callVars)
	r := reqs[0]
	for key, want := range map[string]string{
		"call": callVars.CallID, "remote": callVars.Remote, "name": callVars.DisplayRemote,
		"local": callVars.Local, "active": callVars.ActiveUser,
	} {
		if got := r.Query[key]; len(got) != 1 || got[0] != want {
			t.Errorf("server decoded %s=%q, want %q", key, got, want)
		}
	}
	if want := "/in/" + callVars.Remote; r.Path != want {
		t.Errorf("server path %q, want %q", r.Path, want)
	}
	if strings.Contains(r.RawQuery, "+") {
		t.Errorf("raw query %q has a '+', which servers decode as a space", r.RawQuery)
	}
}

// Spec §2.5: "Outside its condition a variable expands to the empty string."
func TestSenderEmptyVariablesOutsideCondition(t *testing.T) {
	_, reqs := sendEach(t, Config{}, emulator.EventDNDOn, "/dnd?mac=$mac&ip=$ip&call=$call_id&remote=$remote&au=$active_url", idleVars)
	if got, want := reqs[0].RawQuery, "mac=0c383e000001&ip=127.0.0.1&call=&remote=&au="; got != want {
		t.Errorf("query %q, want %q", got, want)
	}
}

func TestSenderUserAgent(t *testing.T) {
	s, reqs := sendEach(t, Config{Version: "1.2.3"}, emulator.EventDNDOn, "/dnd",
		idleVars, emulator.Vars{Model: "X4 (beta)\r\nX-Evil: 1"})
	if got, want := reqs[0].UserAgent, "phonesim/1.2.3 (X4 2.4.1 0c383e000001)"; got != want {
		t.Errorf("User-Agent %q, want %q", got, want)
	}
	if got, want := reqs[1].UserAgent, "phonesim/1.2.3 (X4 _beta___X-Evil: 1)"; got != want {
		t.Errorf("User-Agent %q, want %q", got, want)
	}
	if st := s.Stats(); st.Sent != 2 {
		t.Errorf("stats %+v", st)
	}
}

// With FromPhoneIP each request leaves from the phone's $ip (a desk phone
// sends from its own address); after an IP change, from the new one.
func TestSenderSendsFromThePhoneIP(t *testing.T) {
	_, reqs := sendEach(t, Config{FromPhoneIP: true}, emulator.EventDNDOn, "/dnd",
		emulator.Vars{IP: "127.0.0.2"}, emulator.Vars{IP: "127.0.0.3"})
	if reqs[0].From != "127.0.0.2" || reqs[1].From != "127.0.0.3" {
		t.Errorf("requests came from %s and %s, want 127.0.0.2 then 127.0.0.3", reqs[0].From, reqs[1].From)
	}
}

func TestUserAgentDefaults(t *testing.T) {
	if got := userAgent("dev", emulator.Vars{}); got != "phonesim/dev" {
		t.Errorf("userAgent with no identity = %q", got)
	}
}

// Close interrupts a request in flight instead of waiting for the timeout,
// and detach stops further requests.
func TestSenderCloseInterruptsInFlight(t *testing.T) {
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	s, err := NewSender(Config{URLs: map[emulator.EventType]string{emulator.EventIncomingCall: srv.URL + "/in"}, Timeout: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	d := newHandDevice(t, "p1")
	s.Attach(d)
	d.emitAll(callVars, emulator.EventIncomingCall, emulator.EventIncomingCall)
	<-srv.received // the first GET is at the server, which never answers

	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not interrupt the request in flight")
	}
	if st := s.Stats(); st.Canceled != 1 || st.Total() != 1 {
		t.Errorf("stats %+v, want 1 canceled and nothing else (the queued event is dropped)", st)
	}
	if n := d.subscribers(); n != 0 {
		t.Errorf("device still has %d subscribers after Close", n)
	}
	s.Close() // twice is fine
	// Attach after Close does nothing.
	s.Attach(d)()
	if n := d.subscribers(); n != 0 {
		t.Errorf("Attach after Close subscribed")
	}
}

func TestSenderDetach(t *testing.T) {
	srv := newCTIServer(t, nil)
	s := newSender(t, Config{URLs: map[emulator.EventType]string{emulator.EventDNDOn: srv.URL + "/dnd?mac=$mac"}})
	d1, d2 := newHandDevice(t, "p1"), newHandDevice(t, "p2")
	detach1 := s.Attach(d1)
	s.Attach(d2)
	d1.emitAll(emulator.Vars{MAC: "one"}, emulator.EventDNDOn)
	waitStats(t, s, 1)
	detach1()
	detach1() // twice is fine
	d1.emitAll(emulator.Vars{MAC: "one-after-detach"}, emulator.EventDNDOn)
	d2.emitAll(emulator.Vars{MAC: "two"}, emulator.EventDNDOn)
	d1.close()
	d2.close()
	flush(t, s)
	var macs []string
	for _, r := range srv.requests() {
		macs = append(macs, r.Query["mac"][0])
	}
	if want := []string{"one", "two"}; !slices.Equal(macs, want) {
		t.Errorf("server saw macs %v, want %v", macs, want)
	}
}

// Self-signed HTTPS: refused by default, accepted with InsecureSkipVerify.
func TestSenderSelfSignedHTTPS(t *testing.T) {
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	urls := map[emulator.EventType]string{emulator.EventSetupCompleted: srv.URL + "/boot?mac=$mac"}

	strict := newSender(t, Config{URLs: urls, Logger: slog.New(slog.DiscardHandler)})
	d := newHandDevice(t, "p1")
	strict.Attach(d)
	d.emitAll(idleVars, emulator.EventSetupCompleted)
	if st := waitStats(t, strict, 1); st.Failed != 1 || !strings.Contains(st.LastError, "certificate") {
		t.Errorf("strict sender stats %+v, want a certificate failure", st)
	}

	lax := newSender(t, Config{URLs: urls, InsecureSkipVerify: true})
	d2 := newHandDevice(t, "p2")
	lax.Attach(d2)
	d2.emitAll(idleVars, emulator.EventSetupCompleted)
	if st := waitStats(t, lax, 1); st.Sent != 1 {
		t.Errorf("lax sender stats %+v, want 1 sent", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 1 {
		t.Errorf("server handled %d requests, want 1", hits)
	}
}

// A caller's own client is used as given (here: one that adds a header).
func TestSenderCustomClient(t *testing.T) {
	var mu sync.Mutex
	var got string
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got = r.Header.Get("X-Tenant")
	})
	client := &http.Client{Transport: headerTransport{base: http.DefaultTransport}}
	defer client.CloseIdleConnections()
	s := newSender(t, Config{URLs: map[emulator.EventType]string{emulator.EventDNDOn: srv.URL + "/dnd"}, Client: client})
	d := newHandDevice(t, "p1")
	s.Attach(d)
	d.emitAll(idleVars, emulator.EventDNDOn)
	d.close()
	flush(t, s)
	mu.Lock()
	defer mu.Unlock()
	if got != "acme" {
		t.Errorf("X-Tenant %q: the configured client was not used", got)
	}
}

type headerTransport struct{ base http.RoundTripper }

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Tenant", "acme")
	return h.base.RoundTrip(r)
}

func TestSenderMetrics(t *testing.T) {
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			w.WriteHeader(http.StatusNotFound)
		}
	})
	s := newSender(t, Config{URLs: map[emulator.EventType]string{
		emulator.EventDNDOn:  srv.URL + "/ok",
		emulator.EventDNDOff: srv.URL + "/bad",
	}, Logger: slog.New(slog.DiscardHandler)})
	d := newHandDevice(t, "desk-1")
	s.Attach(d)
	d.emitAll(idleVars, emulator.EventDNDOn, emulator.EventDNDOff, emulator.EventDNDOn)
	waitStats(t, s, 3)
	want := `
# HELP phonesim_action_url_requests_total Action URL requests sent by the emulated phones, by phone, event and result (ok, error, timeout, canceled).
# TYPE phonesim_action_url_requests_total counter
phonesim_action_url_requests_total{event="dnd_off",phone="desk-1",result="error"} 1
phonesim_action_url_requests_total{event="dnd_on",phone="desk-1",result="ok"} 2
`
	if err := testutil.CollectAndCompare(s.Collector(), strings.NewReader(want), metricName); err != nil {
		t.Error(err)
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"http://u:secret@h/x?a=b@c":  "http://u:xxxxx@h/x?a=b@c",
		"http://u@h/x":               "http://u@h/x",
		"http://h/x?mail=a:b@c":      "http://h/x?mail=a:b@c",
		"https://u:p@ss@h:8443#frag": "https://u:xxxxx@h:8443#frag",
	}
	for in, want := range tests {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
