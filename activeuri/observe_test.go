package activeuri

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// Every Active URI request reaches Options.Observe with the client IP, the
// keys, the status and the first line of the answer: applied, refused by
// the login, malformed, refused by the phone. Other paths are not reported.
func TestObserveSeesEveryActiveURIRequest(t *testing.T) {
	dev := newRecordingDevice()
	got := make(chan Request, 16)
	s := startServer(t, dev, Options{Observe: func(r Request) { got <- r }})

	next := func() Request {
		t.Helper()
		select {
		case r := <-got:
			return r
		case <-time.After(2 * time.Second):
			t.Fatal("no request observed")
			return Request{}
		}
	}
	s.get(t, PathCommand+"?key=SPEAKER;1;OK", admin)
	if r := next(); r.Client != "127.0.0.1" || r.Command != "key=SPEAKER;1;OK" || r.Status != 200 ||
		r.Result != "OK: keys SPEAKER;1;OK" || r.Time.IsZero() || r.Latency <= 0 {
		t.Errorf("applied request observed as %+v", r)
	}
	s.get(t, PathCommand+"?key=OK") // no credentials
	if r := next(); r.Status != http.StatusUnauthorized || r.Command != "key=OK" {
		t.Errorf("unauthenticated request observed as %+v", r)
	}
	s.get(t, PathCommand+"?key=NOPE", admin)
	if r := next(); r.Status != http.StatusBadRequest || r.Result == "" {
		t.Errorf("bad key observed as %+v", r)
	}
	dev.mu.Lock()
	dev.doFn = func(context.Context, emulator.Input) error { return errors.New("no line registered") }
	dev.mu.Unlock()
	s.get(t, PathCommand+"?number=1002", admin)
	if r := next(); r.Status != http.StatusConflict || r.Command != "number=1002" || r.Result != "phone refused dialing 1002: no line registered" {
		t.Errorf("refused request observed as %+v", r)
	}
	s.get(t, PathHealth)
	s.get(t, PathStatus, admin)
	select {
	case r := <-got:
		t.Errorf("a request to another path was observed: %+v", r)
	case <-time.After(100 * time.Millisecond):
	}
}
