package emulator

import "time"

// Clock is where the core reads the time and arms its timers: the
// no-answer forward, the incoming ring timeout, the transfer consultation
// grace, and the timestamps of events, calls and provisioning. A phone
// uses the wall clock unless its Config sets another; tests set
// internal/fakeclock to run a 120 s ring timeout in virtual time.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f on its own goroutine once d has passed and
	// returns a function that cancels the call, reporting whether it
	// stopped it (as time.Timer.Stop does).
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// WallClock is the real time: time.Now and time.AfterFunc.
type WallClock struct{}

// Now is time.Now.
func (WallClock) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (WallClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// after arms a timer on the phone's clock that posts in to the phone's
// loop: timer callbacks never touch the state themselves.
func (p *Phone) after(d time.Duration, in Input) {
	p.cfg.Clock.AfterFunc(d, func() { p.Post(in) })
}
