// Package phonesimtest starts emulated desk phones inside a Go test, in the
// spirit of net/http/httptest: a CTI developer's test starts the demo (or
// its own configuration), drives the phones exactly as CTI software does
// (Active URI over real HTTP, with the phone's credentials), waits for the
// Action URL events a real CTI server would receive, or for a condition on
// a phone's snapshot, each bounded by a context, and closes everything.
//
//	phones := phonesimtest.NewDemo(t) // closed by t.Cleanup
//	alice, bob := phones.Phone("1001"), phones.Phone("1002")
//	alice.MustURI(t, "number=1002&outgoing_uri=1001@127.0.0.1")
//	bob.MustWaitEvent(t, phonesimtest.Event("incoming_call"))
//
// Every event of every phone reaches the kit as an HTTP GET to its own
// listener on 127.0.0.1 (the built-in Action URL sink), sent by a sender of
// package actionurl next to any URL the configuration sets: tests see
// exactly what a CTI server would.
//
// The scenario runner (package scenarios) is built on this package.
package phonesimtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/phonesim/phonesim/actionurl"
	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/fleet"
)

// Options tune Start.
type Options struct {
	// FixedPorts keeps the ports the configuration names. By default every
	// port of the registrar and the phones is replaced by a free one on
	// the same address, so that several sets of phones (the demo's fixed
	// 5060/8081/8082 included) run side by side; lines that point at the
	// embedded registrar follow it.
	FixedPorts bool
	// Logger receives the phones' logs; nil discards them.
	Logger *slog.Logger
	// RegisterTimeout bounds the wait for every line to register (or
	// fail) after start. Default 10 s.
	RegisterTimeout time.Duration
	// StateDir is fleet.Options.StateDir: where the web pages' changes
	// are kept ("": nowhere).
	StateDir string
}

// Phones is a running configuration: the embedded registrar, if any, and
// its phones, each with the kit's Action URL sender attached.
type Phones struct {
	Fleet  *fleet.Fleet
	File   *config.File // as started (with the free ports)
	phones []*Phone
	sink   *sink
	sender []*actionurl.Sender
}

// StartDemo starts the built-in demo (registrar, 1001 alice, 1002 bob).
func StartDemo(ctx context.Context, opts Options) (*Phones, error) {
	return Start(ctx, config.Demo(), opts)
}

// Start runs f (which it may change: ports, when free ports are used) and
// waits until every line has registered or failed once.
func Start(ctx context.Context, f *config.File, opts Options) (*Phones, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RegisterTimeout <= 0 {
		opts.RegisterTimeout = 10 * time.Second
	}
	var err error
	// A free port can be taken by another process between the check and
	// the bind: try again with other ports.
	for attempt := 0; attempt < 3; attempt++ {
		if !opts.FixedPorts {
			if err = freePorts(f); err != nil {
				return nil, err
			}
		}
		var ps *Phones
		ps, err = start(ctx, f, opts)
		if err == nil {
			return ps, nil
		}
		if opts.FixedPorts || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, err
}

func start(ctx context.Context, f *config.File, opts Options) (*Phones, error) {
	snk, err := newSink()
	if err != nil {
		return nil, err
	}
	ps := &Phones{File: f, sink: snk}
	index := 0
	fl, err := fleet.Start(ctx, f, fleet.Options{
		Logger:   opts.Logger,
		StateDir: opts.StateDir,
		// Shorter than sipua's defaults: a scenario's registrar is local.
		RegisterRetryMin: 200 * time.Millisecond,
		RegisterRetryMax: 2 * time.Second,
		RequestTimeout:   3 * time.Second,
		BeforeStart: func(m *fleet.Member) {
			// One sender per phone, so each has its own path on the
			// sink; sent from the phone's IP as a desk phone's are.
			s, err := actionurl.NewSender(actionurl.Config{
				URLs: snk.urls(index), Timeout: 2 * time.Second,
				FromPhoneIP: true, Logger: opts.Logger,
			})
			if err != nil { // the sink's own URLs: a bug
				panic("phonesimtest: " + err.Error())
			}
			s.Attach(m.Phone)
			ps.sender = append(ps.sender, s)
			ps.phones = append(ps.phones, &Phone{Member: m, index: index, sink: snk})
			index++
		},
	})
	if err != nil {
		ps.closeSenders()
		snk.close(context.Background())
		return nil, err
	}
	ps.Fleet = fl
	rctx, cancel := context.WithTimeout(ctx, opts.RegisterTimeout)
	defer cancel()
	for _, p := range ps.phones {
		if _, err := p.WaitSnapshot(rctx, allLinesSettled); err != nil {
			ps.Close()
			return nil, fmt.Errorf("phone %s: lines not registered: %w", p.Name(), err)
		}
		// ... and the sink has their Registered or Registration Failed.
		lines := len(p.Member.Config.Lines)
		if _, _, err := p.WaitEvent(rctx, 0, countEvents(lines, "registered", "registration_failed")); err != nil {
			ps.Close()
			return nil, fmt.Errorf("phone %s: registration events not received: %w", p.Name(), err)
		}
	}
	return ps, nil
}

// Close hangs up and unregisters every phone (their last events still
// reach the sink), then stops the registrar, the senders and the sink.
func (ps *Phones) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var err error
	if ps.Fleet != nil {
		err = ps.Fleet.Close(ctx)
	}
	ps.closeSenders()
	ps.sink.close(ctx)
	return err
}

func (ps *Phones) closeSenders() {
	for _, s := range ps.sender {
		s.Close()
	}
}

// List is every phone in configuration order.
func (ps *Phones) List() []*Phone { return append([]*Phone(nil), ps.phones...) }

// Phone returns the phone called name in the configuration, or else the
// one with a line whose user is name (an extension: "1001" in the demo);
// nil if there is none.
func (ps *Phones) Phone(name string) *Phone {
	for _, p := range ps.phones {
		if p.Member.Config.Name == name {
			return p
		}
	}
	for _, p := range ps.phones {
		for _, l := range p.Member.Config.Lines {
			if l.User == name {
				return p
			}
		}
	}
	return nil
}

// freePorts moves the registrar and each phone to free ports on their own
// addresses; lines that pointed at the registrar point at its new address.
func freePorts(f *config.File) error {
	moved := map[string]string{}
	if r := f.Registrar; r != nil {
		host, _, err := net.SplitHostPort(r.Listen)
		if err != nil {
			return fmt.Errorf("registrar.listen %q: %w", r.Listen, err)
		}
		port, err := freePort(host, true)
		if err != nil {
			return err
		}
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		moved[r.Listen] = addr
		r.Listen = addr
	}
	for i := range f.Phones {
		p := &f.Phones[i]
		sip, err := freePort(p.IP, true)
		if err != nil {
			return err
		}
		http, err := freeTCPPort(p.IP)
		if err != nil {
			return err
		}
		p.SIPPort, p.HTTPPort = sip, http
		for j := range p.Lines {
			if to, ok := moved[p.Lines[j].Server]; ok {
				p.Lines[j].Server = to
			}
		}
	}
	return nil
}

// freePort is a UDP port free on ip that is free for TCP too (SIP binds
// both).
func freePort(ip string, tcpToo bool) (int, error) {
	for range 50 {
		c, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return 0, err
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if !tcpToo {
			return port, nil
		}
		if l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port))); err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free SIP port on %s", ip)
}

func freeTCPPort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// countEvents matches the n-th event whose key is one of keys.
func countEvents(n int, keys ...string) func(Received) bool {
	seen := 0
	return func(r Received) bool {
		if slices.Contains(keys, r.Event.Key()) {
			seen++
		}
		return seen >= n
	}
}
