package phonesimtest

import (
	"context"
	"net/http"
	"time"

	"github.com/phonesim/phonesim/config"
)

// TB is the part of testing.TB the helpers use (testing.T and testing.B
// satisfy it); the package does not import testing.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Timeout bounds each Must helper's wait.
const Timeout = 10 * time.Second

// New starts f on free ports and closes it when the test ends.
func New(t TB, f *config.File) *Phones {
	t.Helper()
	ps, err := Start(context.Background(), f, Options{})
	if err != nil {
		t.Fatalf("phonesimtest: %v", err)
	}
	t.Cleanup(func() { _ = ps.Close() })
	return ps
}

// NewDemo starts the demo (1001 alice, 1002 bob) on free ports.
func NewDemo(t TB) *Phones {
	t.Helper()
	return New(t, config.Demo())
}

// MustURI sends an Active URI request and fails the test unless it is
// answered 200.
func (p *Phone) MustURI(t TB, query string) Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	r, err := p.URI(ctx, query)
	if err != nil {
		t.Fatalf("%s: Active URI %s: %v", p.Name(), query, err)
	}
	if r.Status != http.StatusOK {
		t.Fatalf("%s: Active URI %s: %d %s", p.Name(), query, r.Status, r.Body)
	}
	return r
}

// MustWaitEvent waits up to Timeout for an event matching match among all
// the phone's events so far and to come, and fails the test otherwise.
func (p *Phone) MustWaitEvent(t TB, match func(Received) bool) Received {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	r, _, err := p.WaitEvent(ctx, 0, match)
	if err != nil {
		t.Fatalf("%s: %v", p.Name(), err)
	}
	return r
}
