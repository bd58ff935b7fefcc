package phonesimtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/fleet"
)

// Phone is one running phone of Phones.
type Phone struct {
	Member *fleet.Member
	index  int
	sink   *sink
}

// Name is the phone's name in the configuration ("alice").
func (p *Phone) Name() string { return p.Member.Config.Name }

// Extension is the user of its first line ("1001").
func (p *Phone) Extension() string {
	if len(p.Member.Config.Lines) == 0 {
		return ""
	}
	return p.Member.Config.Lines[0].User
}

// Snapshot is the phone's state now.
func (p *Phone) Snapshot() emulator.Snapshot { return p.Member.Phone.Snapshot() }

// Do applies an input in the phone's loop (for what no HTTP API offers,
// such as setting a forward target).
func (p *Phone) Do(ctx context.Context, in emulator.Input) error { return p.Member.Phone.Do(ctx, in) }

// Response is an HTTP answer of the phone.
type Response struct {
	Status int
	Body   string
}

// URI sends an Active URI request (spec §3), the query as CTI software
// writes it ("key=OK", "number=1002&outgoing_uri=1001@127.0.0.1"): a real
// GET to the phone's web server with its credentials.
func (p *Phone) URI(ctx context.Context, query string) (Response, error) {
	return p.get(ctx, p.Member.ActiveURI()+"?"+query)
}

// Press presses keys through Active URI, one request per key, as a CTI
// does; it stops at the first answer that is not 200.
func (p *Phone) Press(ctx context.Context, keys ...string) (Response, error) {
	var r Response
	for _, k := range keys {
		var err error
		r, err = p.URI(ctx, "key="+url.PathEscape(k))
		if err != nil || r.Status != http.StatusOK {
			return r, err
		}
	}
	return r, nil
}

// SetIP moves the phone to ip with POST /api/ip, as its web page does.
func (p *Phone) SetIP(ctx context.Context, ip string) (Response, error) {
	u := strings.TrimSuffix(p.Member.StatusURL(), "/api/status") + "/api/ip"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(url.Values{"ip": {ip}}.Encode()))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(req)
}

func (p *Phone) get(ctx context.Context, u string) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Response{}, err
	}
	return do(req)
}

// client keeps no connections: a phone's HTTP address can move (IP change)
// and a test must not leave idle connections (goleak).
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

func do(req *http.Request) (Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return Response{Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}, nil
}

// Events is every event the sink received from the phone so far, in order.
func (p *Phone) Events() []Received {
	list, _ := p.sink.events(p.index, 0)
	return list
}

// WaitEvent waits for the first event at index from or later (in Events)
// that match accepts; it returns that event and its index. ctx bounds the
// wait; on timeout the error lists the events seen since from.
func (p *Phone) WaitEvent(ctx context.Context, from int, match func(Received) bool) (Received, int, error) {
	for {
		list, wake := p.sink.events(p.index, from)
		for i, r := range list {
			if match(r) {
				return r, from + i, nil
			}
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return Received{}, -1, fmt.Errorf("%w; events since: %s", ctx.Err(), Keys(list))
		}
	}
}

// WaitSnapshot waits until cond holds for the phone's snapshot and returns
// that snapshot. It does not poll: it checks again on each event the phone
// publishes (including its internal State Changed).
func (p *Phone) WaitSnapshot(ctx context.Context, cond func(emulator.Snapshot) bool) (emulator.Snapshot, error) {
	return WaitSnapshot(ctx, p.Member.Phone, cond)
}

// WaitSnapshot waits until cond holds for d's snapshot and returns that
// snapshot, for any emulator.Device (a fleet member's phone, a phone a test
// built itself). It does not poll: it checks again on each event d
// publishes. Media counters (RTPIn, RTPOut...) move without events: a
// condition on them alone is not for this wait.
func WaitSnapshot(ctx context.Context, d emulator.Device, cond func(emulator.Snapshot) bool) (emulator.Snapshot, error) {
	var s emulator.Snapshot
	err := WaitUntil(ctx, func() bool { s = d.Snapshot(); return cond(s) }, d)
	return s, err
}

// WaitUntil waits until cond holds, checking it now and again on each
// event any of devices publishes, for conditions that span phones (both
// ends of a call talking). It returns ctx's error if ctx ends first.
func WaitUntil(ctx context.Context, cond func() bool, devices ...emulator.Device) error {
	changed := make(chan struct{}, 1)
	for _, d := range devices {
		cancel := d.Subscribe(func(emulator.Event) {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
		defer cancel()
	}
	for !cond() {
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Event matches events of the given key ("incoming_call").
func Event(key string) func(Received) bool {
	return func(r Received) bool { return r.Event.Key() == key }
}

// Keys is "setup_completed, registered, ..." of a list of events.
func Keys(list []Received) string {
	keys := make([]string, len(list))
	for i, r := range list {
		keys[i] = r.Event.Key()
	}
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

// allLinesSettled: every line registered or failed at least once.
func allLinesSettled(s emulator.Snapshot) bool {
	for _, l := range s.Lines {
		if l.Registration == "registering" || l.Registration == "unregistered" {
			return false
		}
	}
	return true
}
