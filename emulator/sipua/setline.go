package sipua

import (
	"context"
	"slices"

	"github.com/phonesim/phonesim/emulator"
)

// accounts are the lines' accounts as they are now.
func (u *UA) accounts() []emulator.LineConfig { return *u.lines.Load() }

// SetLine implements emulator.Signaling: the line's account becomes cfg.
// Once the lines are registered, the old binding is removed (REGISTER with
// Expires: 0, RFC 3261 §10.2.2) and the new account registered, off the
// caller's goroutine; both are reported with SIPRegistration, in that
// order.
func (u *UA) SetLine(line int, cfg emulator.LineConfig) {
	u.regMu.Lock()
	next := slices.Clone(u.accounts())
	if line < 1 || line > len(next) {
		u.regMu.Unlock()
		return
	}
	next[line-1] = cfg
	u.lines.Store(&next)
	if len(u.regs) < line || u.ctx == nil || u.ctx.Err() != nil {
		u.regMu.Unlock() // not registering (yet): Register takes cfg
		return
	}
	old := u.regs[line-1]
	fresh := newRegistration(u, line, cfg)
	u.regs[line-1] = fresh
	u.regMu.Unlock()
	go func() {
		// life: a Restart waits until the swap is done.
		u.life.Lock()
		defer u.life.Unlock()
		old.halt()
		if fresh.ctx.Err() != nil {
			return // stopped or restarted meanwhile: Stop unregistered, Register takes cfg
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*u.opts.RequestTimeout)
		if err := old.unregister(ctx); err != nil {
			u.log.Info("line change: old binding not removed", "line", line, "error", err)
		}
		cancel()
		fresh.start()
	}()
}
