// Package emulator is the phone core: one Phone per emulated desk phone, its
// call and phone state machines, its LCD model and the events it publishes.
// It imports no GUI, HTTP or YAML code; front ends drive it through Device.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by Do after the phone has stopped.
var ErrClosed = errors.New("phone is closed")

// Phone is one emulated desk phone. All of its state is owned by one
// goroutine (the loop); everything else posts inputs into it.
type Phone struct {
	cfg Config
	sig Signaling
	log *slog.Logger

	box   *mailbox[job]
	subs  fanout
	snap  atomic.Pointer[Snapshot]
	audio audioHub // ListenAudio's listeners

	startOnce sync.Once
	stopOnce  sync.Once
	loopDone  chan struct{}
	started   atomic.Bool

	st *state // touched only by the loop
	// toldRefusal is what the loop last told a RefuseNew Signaling
	// (refusenew.go); touched only by the loop.
	toldRefusal NewCallRefusal
}

// job is one unit of work for the loop.
type job struct {
	in   Input
	fn   func() // internal work (shutdown steps)
	done chan error
}

// New builds a phone. It does nothing on the network until Start.
func New(cfg Config, sig Signaling) *Phone {
	cfg.initWithDefaults()
	p := &Phone{
		cfg:      cfg,
		sig:      sig,
		log:      cfg.Logger.With("phone", cfg.Identity.Name),
		box:      newMailbox[job](),
		loopDone: make(chan struct{}),
	}
	p.st = newState(p)
	p.publishSnapshot()
	return p
}

// Logger is the phone's logger: the configured one with the phone's name.
func (p *Phone) Logger() *slog.Logger { return p.log }

// Name is the phone's configured name.
func (p *Phone) Name() string { return p.cfg.Identity.Name }

// Config returns the configuration the phone was built with.
func (p *Phone) Config() Config { return p.cfg }

// Start runs the loop, starts the SIP side (which starts registering every
// line) and then fires Setup Completed. Subscribe before Start to see it.
func (p *Phone) Start(ctx context.Context) error {
	var err error
	p.startOnce.Do(func() {
		go p.loop()
		if p.sig != nil {
			if err = p.sig.Start(ctx, p); err != nil {
				err = fmt.Errorf("start SIP for %s: %w", p.Name(), err)
				p.box.close()
				<-p.loopDone
				p.subs.closeAll()
				return
			}
		}
		p.started.Store(true)
		err = p.do(ctx, job{fn: p.st.setupCompleted})
	})
	return err
}

// Close hangs up every call, unregisters every line (Unregistered fires for
// each registered line), stops the loop and waits until every subscriber
// has seen every event.
func (p *Phone) Close(ctx context.Context) error {
	var err error
	p.stopOnce.Do(func() {
		if !p.started.Load() {
			p.box.close()
			p.subs.closeAll()
			return
		}
		if p.sig != nil {
			err = p.sig.Stop(ctx)
		}
		// Let the loop apply what Stop posted (Unregistered, call ends).
		_ = p.do(ctx, job{fn: func() {}})
		p.box.close()
		<-p.loopDone
		p.subs.closeAll()
	})
	return err
}

// Post queues an input; it never blocks. Inputs posted after Close are
// dropped with a log line.
func (p *Phone) Post(in Input) {
	if !p.box.put(job{in: in}) {
		p.log.Debug("input after close dropped", "input", fmt.Sprintf("%T", in))
	}
}

// Do queues an input and waits until the loop has applied it.
func (p *Phone) Do(ctx context.Context, in Input) error {
	return p.do(ctx, job{in: in})
}

func (p *Phone) do(ctx context.Context, j job) error {
	j.done = make(chan error, 1)
	if !p.box.put(j) {
		return ErrClosed
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-p.loopDone:
		select {
		case err := <-j.done:
			return err
		default:
			return ErrClosed
		}
	}
}

// Snapshot returns the state as of the last applied input.
func (p *Phone) Snapshot() Snapshot {
	s := *p.snap.Load()
	// Media counters move on their own; read them now.
	calls := make([]CallStatus, len(s.Calls))
	copy(calls, s.Calls)
	for i := range calls {
		if m := calls[i].media; m != nil {
			calls[i].RTPIn = m.RTPIn.Load()
			calls[i].RTPOut = m.RTPOut.Load()
			calls[i].DTMFIn = m.DTMFIn.Load()
			calls[i].DTMFOut = m.DTMFOut.Load()
			if c, ok := m.Codec.Load().(string); ok {
				calls[i].Codec = c
			}
		}
	}
	s.Calls = calls
	return s
}

// Subscribe implements Device.
func (p *Phone) Subscribe(fn func(Event)) (cancel func()) { return p.subs.subscribe(fn) }

func (p *Phone) loop() {
	defer close(p.loopDone)
	var buf []job
	for {
		<-p.box.wake
		buf = p.box.take(buf)
		for i := range buf {
			p.run(buf[i])
			buf[i] = job{}
		}
		if p.box.isClosed() { // closed and drained
			return
		}
	}
}

func (p *Phone) run(j job) {
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				// A bug in a handler must not take the whole fleet down.
				p.log.Error("panic in phone loop", "panic", r)
				err = fmt.Errorf("internal error: %v", r)
			}
		}()
		if j.fn != nil {
			j.fn()
		} else {
			err = p.st.apply(j.in)
		}
	}()
	p.st.flush()
	p.tellRefusal()
	if j.done != nil {
		j.done <- err
	}
}

// emit is called by the loop for every event.
func (p *Phone) emit(ev Event) {
	ev.Phone = p.Name()
	if ev.At.IsZero() {
		ev.At = p.cfg.Clock.Now()
	}
	p.subs.publish(ev)
}

func (p *Phone) publishSnapshot() {
	s := p.st.snapshot()
	p.snap.Store(&s)
}
