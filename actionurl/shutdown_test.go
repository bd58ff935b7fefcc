package actionurl

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// A phone with 300 events queued for a CTI server that never answers closes
// within 2 s once the sender's shutdown began: the rest is dropped and
// counted (issue 7, item 6). Without BeginShutdown each queued event would
// wait its 5 s timeout.
func TestShutdownDropsQueueOfHangingServer(t *testing.T) {
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	s := newSender(t, Config{URLs: map[emulator.EventType]string{
		emulator.EventDNDOn:  srv.URL + "/dnd/on",
		emulator.EventDNDOff: srv.URL + "/dnd/off",
	}, Logger: slog.New(slog.DiscardHandler)})
	p := emulator.New(emulator.Config{Identity: emulator.Identity{Name: "desk-1", IP: "127.0.0.1"}}, nil)
	s.Attach(p)
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	const events = 300
	for i := range events {
		if err := p.Do(t.Context(), emulator.SetDND{On: i%2 == 0}); err != nil {
			t.Fatal(err)
		}
	}
	<-srv.received // the first GET hangs at the server

	start := time.Now()
	s.BeginShutdown(ShutdownGrace)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	took := time.Since(start)
	if took > 2*time.Second {
		t.Errorf("shutdown took %s with %d queued events, want under 2s", took, events)
	}
	st := s.Stats()
	if got := st.Total() + s.Dropped(); got != events {
		t.Errorf("%d sent or interrupted + %d dropped = %d, want every one of the %d events accounted for", st.Total(), s.Dropped(), got, events)
	}
	if s.Dropped() < events-2 {
		t.Errorf("%d dropped, want all but the one or two in flight", s.Dropped())
	}
}
