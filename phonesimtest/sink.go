package phonesimtest

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// Received is one Action URL GET as the built-in sink (a CTI server)
// received it: the event, its 12 variables as expanded by the phone's
// Action URL sender, and the address the request came from.
type Received struct {
	Event emulator.EventType
	Vars  map[string]string // by variable name without '$': "remote", "call_id", ...
	From  string            // the source IP (the phone's $ip, as on a desk phone)
	At    time.Time
}

// Key is the event's config key ("incoming_call").
func (r Received) Key() string { return r.Event.Key() }

// sink is the CTI server of the kit: an HTTP server on 127.0.0.1 that
// records every Action URL GET, per phone, in arrival order. Each phone's
// sender waits for one GET to finish before it sends the next (package
// actionurl), so arrival order is event order.
type sink struct {
	srv *http.Server
	ln  net.Listener

	mu     sync.Mutex
	phones [][]Received  // by phone index
	wake   chan struct{} // closed and replaced on every arrival
}

func newSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{ln: ln, wake: make(chan struct{})}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// urls is the Action URL of every event for phone i: /<i>/<event>?var=$var...
func (s *sink) urls(i int) map[emulator.EventType]string {
	q := make([]string, 0, len(emulator.VarNames))
	for _, v := range emulator.VarNames {
		q = append(q, v+"=$"+v)
	}
	query := strings.Join(q, "&")
	urls := make(map[emulator.EventType]string)
	for _, ev := range emulator.ActionEvents() {
		urls[ev] = "http://" + s.ln.Addr().String() + "/" + strconv.Itoa(i) + "/" + ev.Key() + "?" + query
	}
	return urls
}

// ServeHTTP records one GET /<phone index>/<event key>?vars.
func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	idx, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	i, err := strconv.Atoi(idx)
	ev, evErr := emulator.ParseEventKey(key)
	if !ok || err != nil || i < 0 || i > 1<<16 || evErr != nil {
		http.Error(w, "not an Action URL of this sink", http.StatusNotFound)
		return
	}
	// The sender percent-encodes each value; url.ParseQuery decodes it
	// ('+' arrives as %2B, so a literal '+' never becomes a space).
	q, _ := url.ParseQuery(r.URL.RawQuery)
	vars := make(map[string]string, len(emulator.VarNames))
	for _, v := range emulator.VarNames {
		vars[v] = q.Get(v)
	}
	from, _, _ := net.SplitHostPort(r.RemoteAddr)
	s.mu.Lock()
	for len(s.phones) <= i {
		s.phones = append(s.phones, nil)
	}
	s.phones[i] = append(s.phones[i], Received{Event: ev, Vars: vars, From: from, At: time.Now()})
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// events returns phone i's events from index from on, and a channel closed
// at the next arrival.
func (s *sink) events(i, from int) ([]Received, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []Received
	if i < len(s.phones) && from < len(s.phones[i]) {
		list = append(list, s.phones[i][from:]...)
	}
	return list, s.wake
}

func (s *sink) close(ctx context.Context) {
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
}
