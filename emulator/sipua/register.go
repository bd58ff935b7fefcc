package sipua

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
)

// registration keeps one line registered: REGISTER with digest auth,
// refresh before expiry, retry with back-off after a failure, and
// unregister on Stop (RFC 3261 §10). It is driven by a timer, not a
// goroutine: between two REGISTERs a line costs no stack.
type registration struct {
	ua   *UA
	line int
	cfg  emulator.LineConfig

	ctx       context.Context // ended by halt
	cancel    context.CancelFunc
	recipient sip.Uri
	backoff   time.Duration  // only touched by step, one at a time
	pending   sync.WaitGroup // the step scheduled or running

	mu    sync.Mutex
	timer *time.Timer
	tx    *diago.RegisterTransaction // the binding to remove on Stop
}

func newRegistration(u *UA, line int, cfg emulator.LineConfig) *registration {
	r := &registration{ua: u, line: line, cfg: cfg, backoff: u.opts.RetryMin}
	r.ctx, r.cancel = context.WithCancel(u.ctx)
	return r
}

func (r *registration) post(state emulator.RegState, code int, msg string) {
	r.ua.to.Post(emulator.SIPRegistration{Line: r.line, State: state, Code: code, Err: msg})
}

// start reports the line Registering and sends the first REGISTER.
func (r *registration) start() {
	recipient, err := uriFor(r.cfg.Server, r.cfg.Server)
	if err == nil {
		// REGISTER goes to the registrar itself: sip:host:port.
		recipient = r.ua.withTransport(sip.Uri{Host: recipient.Host, Port: recipient.Port})
		if recipient.Host == "" {
			err = fmt.Errorf("server %q has no host", r.cfg.Server)
		}
	}
	if err != nil {
		r.post(emulator.RegFailed, 0, err.Error())
		return
	}
	r.recipient = recipient
	r.post(emulator.RegRegistering, 0, "")
	r.after(0)
}

// after schedules the next step in d, unless the line was halted.
func (r *registration) after(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return
	}
	r.pending.Add(1)
	r.timer = time.AfterFunc(d, func() {
		defer r.pending.Done()
		r.step()
	})
}

// step registers the line, or refreshes its binding, and schedules the
// next step: a refresh at 3/4 of the granted expiry (like diago's
// calcRetry and most phones), or a retry after the back-off.
func (r *registration) step() {
	r.mu.Lock()
	tx := r.tx
	r.mu.Unlock()
	if tx != nil {
		rctx, cancel := context.WithTimeout(r.ctx, r.ua.opts.RequestTimeout)
		err := tx.Qualify(rctx)
		cancel()
		switch {
		case err == nil:
			r.after(refreshIn(r.cfg.Expires))
		case r.ctx.Err() == nil:
			r.setTx(nil)
			r.failed("registration refresh failed", err, r.backoff)
			r.after(r.backoff)
		}
		return
	}
	tx, err := r.register(r.ctx, r.recipient)
	if err != nil {
		if r.ctx.Err() != nil {
			return
		}
		r.failed("registration failed", err, r.backoff)
		wait := r.backoff
		r.backoff = min(2*r.backoff, r.ua.opts.RetryMax)
		r.after(wait) // last: the next step may start at once
		return
	}
	r.backoff = r.ua.opts.RetryMin
	r.setTx(tx)
	r.post(emulator.RegRegistered, 200, "")
	r.after(refreshIn(r.cfg.Expires))
}

// failed logs a failed REGISTER and reports it with the registrar's status
// (or the transport error when there was no answer).
func (r *registration) failed(what string, err error, retryIn time.Duration) {
	code, msg := sipStatus(err)
	if code == 0 {
		msg = err.Error()
	}
	r.ua.log.Info(what, "line", r.line, "user", r.cfg.User, "code", code, "error", msg, "retry_in", retryIn)
	r.post(emulator.RegFailed, code, msg)
}

// register builds a fresh transaction each time: after a failure or an
// Unregister, re-using diago's (v0.42) old one returns nil and creates no
// binding.
func (r *registration) register(ctx context.Context, recipient sip.Uri) (*diago.RegisterTransaction, error) {
	tx, err := r.ua.dg.RegisterTransaction(ctx, recipient, diago.RegisterOptions{
		Username: r.cfg.User,
		Password: r.cfg.Password,
		Expiry:   r.cfg.Expires,
	})
	if err != nil {
		return nil, err
	}
	// The AOR is the line's user at the server (RFC 3261 §10.2: To is the
	// address of record being registered; From is the same for a
	// first-party registration). sipgo would fill both with its UA name.
	aor := sip.Uri{Scheme: "sip", User: r.cfg.User, Host: recipient.Host}
	from := &sip.FromHeader{DisplayName: r.cfg.DisplayName, Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	tx.Origin.AppendHeader(from)
	tx.Origin.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	tx.Origin.AppendHeader(sip.NewHeader("User-Agent", r.ua.opts.UserAgent))
	if c := tx.Origin.Contact(); c != nil {
		c.Address.User = r.cfg.User
	}
	rctx, cancel := context.WithTimeout(ctx, r.ua.opts.RequestTimeout)
	defer cancel()
	if err := tx.Register(rctx); err != nil {
		return nil, err
	}
	return tx, nil
}

func (r *registration) setTx(tx *diago.RegisterTransaction) {
	r.mu.Lock()
	r.tx = tx
	r.mu.Unlock()
}

// halt stops registering, without unregistering, and waits for a
// REGISTER in flight to end.
func (r *registration) halt() {
	r.cancel()
	r.mu.Lock()
	if r.timer != nil && r.timer.Stop() {
		r.pending.Done() // the step will not run
	}
	r.mu.Unlock()
	r.pending.Wait()
}

// unregister removes the binding (REGISTER with Expires: 0) and reports the
// line Unregistered, whether or not the registrar answered.
func (r *registration) unregister(ctx context.Context) error {
	r.mu.Lock()
	tx := r.tx
	r.tx = nil
	r.mu.Unlock()
	var err error
	if tx != nil {
		uctx, cancel := context.WithTimeout(ctx, r.ua.opts.RequestTimeout)
		err = tx.Unregister(uctx)
		cancel()
		if err != nil {
			err = fmt.Errorf("unregister line %d (%s): %w", r.line, r.cfg.User, err)
		}
	}
	r.post(emulator.RegUnregistered, 0, "")
	return err
}

func refreshIn(expiry time.Duration) time.Duration {
	d := expiry * 3 / 4
	if d < time.Second {
		d = time.Second
	}
	return d
}

// sleep waits d, or less if ctx ends first; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
