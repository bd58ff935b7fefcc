package fleet

import (
	"sync"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// delayAutoAnswer takes the lines that auto-answer after a delay away
// from the core (which answers at once) and returns their delays by line
// number (1-based).
func delayAutoAnswer(ecfg *emulator.Config, pc *config.Phone) map[int]time.Duration {
	var delayed map[int]time.Duration
	for j, l := range pc.Lines {
		if l.AutoAnswer && l.AutoAnswerDelay > 0 && j < len(ecfg.Lines) {
			if delayed == nil {
				delayed = map[int]time.Duration{}
			}
			delayed[j+1] = l.AutoAnswerDelay
			ecfg.Lines[j].AutoAnswer = false
		}
	}
	return delayed
}

// autoAnswer answers a call ringing on one of the delayed lines once it
// has rung for the line's delay, as a desk phone's auto answer with a
// timer does (Fanvil "Auto Answer Timeout", Yealink "Auto Answer Delay"):
// it presses OK if the call is still the phone's only one and still
// ringing. The returned func stops it.
func autoAnswer(phone *emulator.Phone, delayed map[int]time.Duration) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		timers  = map[*time.Timer]struct{}{}
	)
	cancel := phone.Subscribe(func(ev emulator.Event) {
		d, ok := delayed[ev.Line]
		if !ok || ev.Type != emulator.EventIncomingCall {
			return
		}
		ref := ev.Call
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		var t *time.Timer
		t = time.AfterFunc(d, func() {
			mu.Lock()
			delete(timers, t)
			mu.Unlock()
			calls := phone.Snapshot().Calls
			if len(calls) == 1 && calls[0].Ref == ref && calls[0].State == emulator.CallRinging {
				phone.Post(emulator.PressKey{Key: keypad.OK})
			}
		})
		timers[t] = struct{}{}
	})
	return func() {
		cancel()
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		for t := range timers {
			t.Stop()
		}
	}
}
