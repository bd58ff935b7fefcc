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
		// The old socket may take a moment to be released: retry a
		// bind that fails for up to two seconds.
		deadline := time.Now().Add(2 * time.Second)
		for {
			err := u.Start(ctx, to)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				msg = err.Error()
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		to.Post(emulator.SIPRestarted{IP: ip, Err: msg})
	}()
}
