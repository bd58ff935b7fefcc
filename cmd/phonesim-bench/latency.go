package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/registrar"
)

// stepTimeout bounds each step of a call (the Action URL arriving, the
// answer, the BYE's response). On loopback every step takes well under a
// millisecond; a step that times out is a failure, not a slow sample.
const stepTimeout = 5 * time.Second

// latencyResult holds the raw samples of figures 1 and 2 and their floors,
// one of each per iteration, taken in the same iteration.
type latencyResult struct {
	Event      []time.Duration // INVITE written → Incoming Call GET entered the CTI handler
	Command    []time.Duration // key=OK GET sent → its 200 response read (client side)
	UDPFloor   []time.Duration // one datagram written → read by a blocked reader goroutine
	HTTPOneWay []time.Duration // bare GET sent → trivial handler entered
	HTTPRound  []time.Duration // the same bare GET sent → its response read
	Warmup     int             // iterations run first and not counted
}

// ctiSink is the CTI application's HTTP server: it records when each
// Incoming Call Action URL arrives (per $call_id) and when each On-hook
// arrives (the end of a call). /floor is the trivial handler of the floor.
type ctiSink struct {
	srv *http.Server
	ln  net.Listener
	url string

	mu      sync.Mutex
	waiting map[string]chan time.Time
	stray   int
	onHook  chan struct{}
	floorAt chan time.Time
	done    chan struct{}
}

func newCTISink(ip string) (*ctiSink, error) {
	ln, err := net.Listen("tcp4", net.JoinHostPort(ip, "0"))
	if err != nil {
		return nil, err
	}
	s := &ctiSink{
		ln: ln, url: "http://" + ln.Addr().String(),
		waiting: map[string]chan time.Time{},
		onHook:  make(chan struct{}, 16),
		floorAt: make(chan time.Time, 1),
		done:    make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/incoming_call", func(w http.ResponseWriter, r *http.Request) {
		at := time.Now() // first: the end point of the event latency
		id := r.URL.Query().Get("call_id")
		s.mu.Lock()
		ch := s.waiting[id]
		delete(s.waiting, id)
		if ch == nil {
			s.stray++
		}
		s.mu.Unlock()
		if ch != nil {
			ch <- at
		}
	})
	mux.HandleFunc("/on_hook", func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.onHook <- struct{}{}:
		default:
		}
	})
	mux.HandleFunc("/floor", func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		select {
		case s.floorAt <- at:
		default:
		}
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// expect registers the Call-ID before the INVITE goes out.
func (s *ctiSink) expect(callID string) chan time.Time {
	ch := make(chan time.Time, 1)
	s.mu.Lock()
	s.waiting[callID] = ch
	s.mu.Unlock()
	return ch
}

func (s *ctiSink) forget(callID string) {
	s.mu.Lock()
	delete(s.waiting, callID)
	s.mu.Unlock()
}

func (s *ctiSink) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.done
}

// udpFloor is a pair of sockets: one datagram from a to b, read by a
// goroutine blocked in ReadFrom, as the phone's SIP transport reads.
type udpFloor struct {
	a, b    *net.UDPConn
	payload []byte
	got     chan time.Time
	done    chan struct{}
}

func newUDPFloor(ip string, size int) (*udpFloor, error) {
	a, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		return nil, err
	}
	b, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		a.Close()
		return nil, err
	}
	f := &udpFloor{a: a, b: b, payload: make([]byte, size), got: make(chan time.Time, 1), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		buf := make([]byte, 65535)
		for {
			if _, _, err := b.ReadFromUDP(buf); err != nil {
				return
			}
			f.got <- time.Now()
		}
	}()
	return f, nil
}

func (f *udpFloor) sample() (time.Duration, error) {
	sent := time.Now()
	if _, err := f.a.WriteToUDP(f.payload, f.b.LocalAddr().(*net.UDPAddr)); err != nil {
		return 0, err
	}
	select {
	case at := <-f.got:
		return at.Sub(sent), nil
	case <-time.After(stepTimeout):
		return 0, errors.New("UDP floor: datagram not received")
	}
}

func (f *udpFloor) Close() {
	f.a.Close()
	f.b.Close()
	<-f.done
}

// get sends one GET with client and reads the whole response.
func get(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// measureLatency runs figures 1 and 2 on one phone: warmup+calls
// sequential calls, each preceded by one sample of each floor.
func measureLatency(ctx context.Context, reg *registrar.Registrar, calls, warmup int, cpuProfile string, log *slog.Logger) (*latencyResult, error) {
	const ip = "127.0.0.1"
	sink, err := newCTISink(ip)
	if err != nil {
		return nil, err
	}
	defer sink.Close()

	const user = latencyUser
	f := &config.File{
		ActionURLTimeout: 2 * time.Second,
		Phones: []config.Phone{{
			Name: "bench", IP: ip,
			Lines: []config.Line{{User: user, Password: benchPassword(user), Server: reg.Addr(), DisplayName: "Bench", Expires: 3600}},
			ActionURL: config.ActionURLs{
				emulator.EventIncomingCall: sink.url + "/incoming_call?call_id=$call_id",
				emulator.EventOnHook:       sink.url + "/on_hook",
			},
		}},
	}
	f.ApplyDefaults()
	fl, err := fleet.Start(ctx, f, fleet.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	defer closeFleet(fl)
	phone := fl.Phones[0]
	if err := waitBindings(ctx, reg, map[string]bool{user: true}, 10*time.Second); err != nil {
		return nil, err
	}

	target, err := net.ResolveUDPAddr("udp4", phone.UA.Addr())
	if err != nil {
		return nil, err
	}
	caller, err := newUAC(ip, target, user)
	if err != nil {
		return nil, err
	}
	defer caller.Close()
	udp, err := newUDPFloor(ip, len(caller.invite(caller.newCall())))
	if err != nil {
		return nil, err
	}
	defer udp.Close()

	// One keep-alive client for the Active URI and the HTTP floor, as a
	// CTI application keeps one.
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: stepTimeout}
	defer tr.CloseIdleConnections()
	floorURL := "http://admin:admin@" + sink.ln.Addr().String() + "/floor"
	keyOK := phone.ActiveURI() + "?key=OK"

	res := &latencyResult{Warmup: warmup}
	if cpuProfile != "" {
		pf, err := os.Create(cpuProfile)
		if err != nil {
			return nil, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	for i := range warmup + calls {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		counted := i >= warmup
		// Floor 1a: one datagram.
		u, err := udp.sample()
		if err != nil {
			return nil, err
		}
		// Floors 1b and 2: one bare GET, one-way and round trip.
		start := time.Now()
		code, err := get(client, floorURL)
		end := time.Now()
		if err != nil || code != http.StatusOK {
			return nil, fmt.Errorf("HTTP floor: %d %v", code, err)
		}
		var oneWay time.Duration
		select {
		case at := <-sink.floorAt:
			oneWay = at.Sub(start)
		default:
			return nil, errors.New("HTTP floor: handler did not record its arrival")
		}

		ev, cmd, err := oneCall(caller, sink, client, keyOK)
		if err != nil {
			return nil, fmt.Errorf("call %d: %w", i+1, err)
		}
		if counted {
			res.UDPFloor = append(res.UDPFloor, u)
			res.HTTPOneWay = append(res.HTTPOneWay, oneWay)
			res.HTTPRound = append(res.HTTPRound, end.Sub(start))
			res.Event = append(res.Event, ev)
			res.Command = append(res.Command, cmd)
		}
	}
	sink.mu.Lock()
	stray := sink.stray
	sink.mu.Unlock()
	if stray > 0 {
		return nil, fmt.Errorf("%d Incoming Call GETs with an unknown $call_id", stray)
	}
	return res, nil
}

// oneCall rings the phone, times the Incoming Call Action URL, answers
// with key=OK (timed), then ACKs, hangs up and waits for On-hook so that
// the next call finds the phone idle.
func oneCall(caller *uac, sink *ctiSink, client *http.Client, keyOK string) (event, command time.Duration, err error) {
	c := caller.newCall()
	arrived := sink.expect(c.callID)
	sent, err := caller.sendInvite(c)
	if err != nil {
		sink.forget(c.callID)
		return 0, 0, err
	}
	select {
	case at := <-arrived:
		event = at.Sub(sent)
	case <-time.After(stepTimeout):
		sink.forget(c.callID)
		return 0, 0, errors.New("Incoming Call Action URL not received")
	}

	start := time.Now()
	code, err := get(client, keyOK)
	command = time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("key=OK: %w", err)
	}
	if code != http.StatusOK {
		return 0, 0, fmt.Errorf("key=OK answered %d", code)
	}

	if err := caller.awaitAnswer(c, stepTimeout); err != nil {
		return 0, 0, err
	}
	if err := caller.ackAndBye(c, stepTimeout); err != nil {
		return 0, 0, err
	}
	select {
	case <-sink.onHook:
	case <-time.After(stepTimeout):
		return 0, 0, errors.New("On-hook Action URL not received after BYE")
	}
	return event, command, nil
}

// benchPassword is each account's digest password.
func benchPassword(user string) string { return "pw-" + user }

// waitBindings waits until the registrar holds a binding for every user in
// want.
func waitBindings(ctx context.Context, reg *registrar.Registrar, want map[string]bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		seen := map[string]bool{}
		for _, b := range reg.Bindings() {
			if want[b.User] {
				seen[b.User] = true
			}
		}
		n := len(seen)
		if n == len(want) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d accounts registered after %s", n, len(want), timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func closeFleet(fl *fleet.Fleet) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_ = fl.Close(ctx)
	fl.Stopped().Log(slog.Default()) // a line per outcome, not one per phone
}
