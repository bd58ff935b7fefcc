package actionurl

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// handDevice is an emulator.Device whose events the test emits by hand. Like
// *emulator.Phone, each subscriber gets its own goroutine and sees events in
// emit order. It lets the sender be tested apart from the phone's state
// machine.
type handDevice struct {
	name string
	mu   sync.Mutex
	seq  uint64
	subs map[int]chan emulator.Event
	next int
	wg   sync.WaitGroup
}

func newHandDevice(t *testing.T, name string) *handDevice {
	d := &handDevice{name: name, subs: make(map[int]chan emulator.Event)}
	t.Cleanup(d.close)
	return d
}

func (d *handDevice) Post(emulator.Input)                      {}
func (d *handDevice) Do(context.Context, emulator.Input) error { return nil }
func (d *handDevice) Snapshot() emulator.Snapshot              { return emulator.Snapshot{} }
func (d *handDevice) subscribers() int                         { d.mu.Lock(); defer d.mu.Unlock(); return len(d.subs) }
func (d *handDevice) emitAll(vars emulator.Vars, ts ...emulator.EventType) {
	for _, t := range ts {
		d.emit(emulator.Event{Type: t, Vars: vars})
	}
}

func (d *handDevice) Subscribe(fn func(emulator.Event)) (cancel func()) {
	ch := make(chan emulator.Event, 1024)
	done := make(chan struct{})
	d.mu.Lock()
	id := d.next
	d.next++
	d.subs[id] = ch
	d.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			select {
			case <-done:
				return
			case ev, ok := <-ch:
				if !ok {
					return
				}
				fn(ev)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			d.mu.Lock()
			if _, ok := d.subs[id]; ok {
				delete(d.subs, id)
				close(ch)
			}
			d.mu.Unlock()
			close(done)
		})
	}
}

func (d *handDevice) emit(ev emulator.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	ev.Seq = d.seq
	ev.Phone = d.name
	ev.At = time.Now()
	for _, ch := range d.subs {
		ch <- ev
	}
}

// close lets every subscriber finish what was emitted, then waits for their
// goroutines, as (*emulator.Phone).Close does.
func (d *handDevice) close() {
	d.mu.Lock()
	for id, ch := range d.subs {
		close(ch)
		delete(d.subs, id)
	}
	d.mu.Unlock()
	d.wg.Wait()
}

// request is what the CTI server saw.
type request struct {
	Path, RawQuery, UserAgent string
	Query                     map[string][]string
	From                      string // the source IP
}

// ctiServer is a real HTTP server on 127.0.0.1 that records requests.
type ctiServer struct {
	*httptest.Server
	mu       sync.Mutex
	reqs     []request
	received chan request // every request, as it arrives (buffered)
	handle   func(w http.ResponseWriter, r *http.Request)
}

func newCTIServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *ctiServer {
	s := &ctiServer{received: make(chan request, 1024), handle: handle}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *ctiServer) serve(w http.ResponseWriter, r *http.Request) {
	from, _, _ := net.SplitHostPort(r.RemoteAddr)
	req := request{Path: r.URL.Path, RawQuery: r.URL.RawQuery, UserAgent: r.UserAgent(), Query: r.URL.Query(), From: from}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	s.received <- req
	if s.handle != nil {
		s.handle(w, r)
	}
}

func (s *ctiServer) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.reqs...)
}

func (s *ctiServer) paths() []string {
	var out []string
	for _, r := range s.requests() {
		out = append(out, r.Path)
	}
	return out
}

// waitStats polls until the sender has finished n requests.
func waitStats(t *testing.T, s *Sender, n uint64) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.Stats()
		if st.Total() >= n {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("sender finished %d requests, want %d (stats %+v)", st.Total(), n, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
