package sipua

import (
	"context"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// restartTimeout bounds a whole restart: hang-ups, unregistering, rebinding.
const restartTimeout = 20 * time.Second

// Restart implements emulator.Signaling: Stop (hang up, unregister, close
// the sockets), then Start again on ip. Used for the Reboot key and for a
// change of the phone's IP address.
func (u *UA) Restart(ip string) {
	go func() {
		u.life.Lock()
		defer u.life.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), restartTimeout)
		defer cancel()
		if err := u.Stop(ctx); err != nil {
			u.log.Info("restart: stop", "error", err)
		}
		u.opts.IP = ip
		u.regMu.Lock()
		u.regs = nil
		u.regMu.Unlock()
		to := u.to
		var msg string
		if err := u.Start(ctx, to); err != nil {
			msg = err.Error()
		}
		to.Post(emulator.SIPRestarted{IP: ip, Err: msg})
	}()
}
