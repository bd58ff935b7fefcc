package actionurl

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

// Every request, answered or not, reaches Config.Observe with its event,
// the URL as sent (password masked), the status and the error.
func TestObserveSeesEveryDelivery(t *testing.T) {
	srv := newCTIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusNotFound)
		}
	})
	var mu sync.Mutex
	var got []Delivery
	base := strings.Replace(srv.URL, "http://", "http://cti:secret@", 1)
	s := newSender(t, Config{
		URLs: map[emulator.EventType]string{
			emulator.EventIncomingCall: base + "/in?id=$call_id",
			emulator.EventTerminated:   base + "/fail",
		},
		Observe: func(d Delivery) { mu.Lock(); got = append(got, d); mu.Unlock() },
	})
	d := newHandDevice(t, "p1")
	s.Attach(d)
	d.emitAll(emulator.Vars{CallID: "c1"}, emulator.EventIncomingCall, emulator.EventTerminated)
	waitStats(t, s, 2)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("observed %d deliveries, want 2: %+v", len(got), got)
	}
	in, term := got[0], got[1]
	if in.Event != emulator.EventIncomingCall || in.Status != 200 || in.Result != ResultOK || in.Err != "" ||
		!strings.HasSuffix(in.URL, "/in?id=c1") || !strings.Contains(in.URL, "cti:xxxxx@") || in.Time.IsZero() || in.Latency <= 0 {
		t.Errorf("incoming call delivery %+v", in)
	}
	if term.Event != emulator.EventTerminated || term.Status != 404 || term.Result != ResultError || !strings.Contains(term.Err, "404") {
		t.Errorf("terminated delivery %+v", term)
	}
	if strings.Contains(in.URL+term.URL, "secret") {
		t.Errorf("password shown: %q %q", in.URL, term.URL)
	}
}
