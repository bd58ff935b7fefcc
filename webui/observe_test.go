package webui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/phonesim/phonesim/emulator"
)

// Every Active URI request reaches WebOptions.Observe, before its answer
// reaches the client, with the client IP, the keys, the status and the
// first line of the answer: applied, refused by the login, malformed,
// refused by the phone. Other paths are not reported.
func TestObserveSeesEveryActiveURIRequest(t *testing.T) {
	dev := newRecordingDevice()
	got := make(chan Request, 16)
	s := startServer(t, dev, WebOptions{Observe: func(r Request) { got <- r }})

	// Observed before the answer leaves: no waiting here.
	next := func() Request {
		t.Helper()
		select {
		case r := <-got:
			return r
		default:
			t.Fatal("the request was not observed by the time the client had its answer")
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

// Whatever the query, each request is observed once, with the status the
// client got and a Command no longer than the limit, cut at a rune.
func FuzzObserve(f *testing.F) {
	for _, seed := range []string{"key=OK", "number=1002", "", "%ZZ", "key=%E2%82%AC" + strings.Repeat("%E2%82%AC", 80), strings.Repeat("k", 300)} {
		f.Add(seed)
	}
	var got []Request
	s := NewWebServer(newRecordingDevice(), WebOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Observe: func(r Request) { got = append(got, r) }})
	f.Fuzz(func(t *testing.T, rawQuery string) {
		got = got[:0]
		req := httptest.NewRequest(http.MethodGet, PathCommand, nil)
		req.URL.RawQuery = rawQuery
		req.RemoteAddr = "127.0.0.1:40000"
		req.SetBasicAuth("admin", "admin")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if len(got) != 1 {
			t.Fatalf("query %q observed %d times", rawQuery, len(got))
		}
		r := got[0]
		if r.Status != rec.Code || r.Client != "127.0.0.1" {
			t.Fatalf("query %q: observed status %d client %q, the client got %d", rawQuery, r.Status, r.Client, rec.Code)
		}
		if len(r.Command) > maxObservedText+len("…") || len(r.Result) > maxObservedText {
			t.Fatalf("query %q: observed Command %d bytes, Result %d bytes", rawQuery, len(r.Command), len(r.Result))
		}
		full, err := url.QueryUnescape(rawQuery)
		if err != nil {
			full = rawQuery
		}
		if utf8.ValidString(full) && !utf8.ValidString(r.Command) {
			t.Fatalf("query %q: Command %q cut inside a rune", rawQuery, r.Command)
		}
	})
}
