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
// unregister on Stop (RFC 3261 §10).
type registration struct {
	ua   *UA
	line int
	cfg  emulator.LineConfig

	mu       sync.Mutex
	tx       *diago.RegisterTransaction // the binding to remove on Stop
	haltOnce sync.Once
	cancel   context.CancelFunc
	done     chan struct{}
}

func (r *registration) post(state emulator.RegState, code int, msg string) {
	r.ua.to.Post(emulator.SIPRegistration{Line: r.line, State: state, Code: code, Err: msg})
}

func (r *registration) run(parent context.Context) {
	defer close(r.done)
	ctx, cancel := context.WithCancel(parent)
	r.mu.Lock()
	r.cancel = cancel
	r.mu.Unlock()
	defer cancel()

	recipient, err := uriFor(r.cfg.Server, r.cfg.Server)
	if err == nil {
		// REGISTER goes to the registrar itself: sip:host:port.
		recipient = sip.Uri{Host: recipient.Host, Port: recipient.Port}
		if recipient.Host == "" {
			err = fmt.Errorf("server %q has no host", r.cfg.Server)
		}
	}
	if err != nil {
		r.post(emulator.RegFailed, 0, err.Error())
		return
	}
	r.post(emulator.RegRegistering, 0, "")
	backoff := r.ua.opts.RetryMin
	for ctx.Err() == nil {
		tx, expiry, err := r.register(ctx, recipient)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.failed("registration failed", err, backoff)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, r.ua.opts.RetryMax)
			continue
		}
		backoff = r.ua.opts.RetryMin
		r.setTx(tx)
		r.post(emulator.RegRegistered, 200, "")
		// Refresh at 3/4 of the granted expiry (like diago's calcRetry
		// and most phones), until a refresh fails.
		for {
			if !sleep(ctx, refreshIn(expiry)) {
				return
			}
			rctx, cancel := context.WithTimeout(ctx, r.ua.opts.RequestTimeout)
			err := tx.Qualify(rctx)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				r.setTx(nil)
				r.failed("registration refresh failed", err, backoff)
				break
			}
		}
		if !sleep(ctx, backoff) {
			return
		}
	}
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
// Unregister diago's old one creates no binding (field notes).
func (r *registration) register(ctx context.Context, recipient sip.Uri) (*diago.RegisterTransaction, time.Duration, error) {
	tx, err := r.ua.dg.RegisterTransaction(ctx, recipient, diago.RegisterOptions{
		Username: r.cfg.User,
		Password: r.cfg.Password,
		Expiry:   r.cfg.Expires,
	})
	if err != nil {
		return nil, 0, err
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
		return nil, 0, err
	}
	expiry := r.cfg.Expires
	return tx, expiry, nil
}

func (r *registration) setTx(tx *diago.RegisterTransaction) {
	r.mu.Lock()
	r.tx = tx
	r.mu.Unlock()
}

// halt stops the register loop without unregistering.
func (r *registration) halt() {
	r.haltOnce.Do(func() {
		r.mu.Lock()
		cancel := r.cancel
		r.mu.Unlock()
		if cancel != nil {
			cancel()
		}
	})
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
