package actionurl

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/lockedbuf"
)

// flush waits for the sender's queued events to go out.
func flush(t *testing.T, s *Sender) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// A CTI server that hangs: the phone's events do not wait for it (emit
// returns at once), at most QueueSize wait in the queue, the oldest are
// dropped, what is sent stays in event order, the drops are counted and
// logged once.
func TestQueueBoundedDropsOldest(t *testing.T) {
	release := make(chan struct{})
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("seq") == "1" {
			<-release // the first request hangs until the test lets it go
		}
	})
	var logs lockedbuf.Buffer
	s := newSender(t, Config{
		URLs:   map[emulator.EventType]string{emulator.EventDNDOn: srv.URL + "/dnd?seq=$call_id"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	d := newHandDevice(t, "p1")
	s.Attach(d)

	const n = QueueSize + 20 + 1 // 1 in flight, QueueSize wait, 20 dropped
	start := time.Now()
	d.emit(emulator.Event{Type: emulator.EventDNDOn, Vars: emulator.Vars{CallID: "1"}})
	<-srv.received // seq 1 is in flight
	for i := 2; i <= n; i++ {
		d.emit(emulator.Event{Type: emulator.EventDNDOn, Vars: emulator.Vars{CallID: fmt.Sprint(i)}})
	}
	d.close() // every event handed to the sender
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("emitting %d events behind a hung server took %v", n, took)
	}
	if got := s.Dropped(); got != 20 {
		t.Errorf("Dropped() = %d, want 20", got)
	}
	close(release)
	flush(t, s)

	var seqs []string
	for _, r := range srv.requests() {
		seqs = append(seqs, r.Query["seq"]...)
	}
	want := []string{"1"}
	for i := 2 + 20; i <= n; i++ { // 2..21 were dropped, the oldest first
		want = append(want, fmt.Sprint(i))
	}
	if strings.Join(seqs, ",") != strings.Join(want, ",") {
		t.Errorf("sent %v\nwant %v", seqs, want)
	}
	if c := strings.Count(logs.String(), "action URL queue full"); c != 1 {
		t.Errorf("the overflow was logged %d times, want once:\n%s", c, logs.String())
	}
	if st := s.StatsByEvent()[emulator.EventDNDOn]; st.Sent != uint64(len(want)) {
		t.Errorf("sent %d, want %d", st.Sent, len(want))
	}
}

// Flush gives up when its context ends, with the context's error.
func TestFlushHonoursContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	s := newSender(t, Config{URLs: map[emulator.EventType]string{emulator.EventDNDOn: srv.URL + "/dnd"}})
	d := newHandDevice(t, "p1")
	s.Attach(d)
	d.emitAll(idleVars, emulator.EventDNDOn)
	<-srv.received
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Flush(ctx); err != context.DeadlineExceeded {
		t.Errorf("Flush = %v, want context.DeadlineExceeded", err)
	}
	s.Close() // interrupts the hung request
}
