// Package fakeclock is a clock that tests move by hand, so that expiries,
// lock-outs and timers are checked without sleeping.
package fakeclock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is safe for concurrent use; its Now can stand for time.Now and its
// AfterFunc for time.AfterFunc (it satisfies emulator.Clock).
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	armed   chan struct{} // closed and replaced whenever a timer is armed
	started int           // timers armed so far
}

type timer struct {
	at time.Time
	f  func()
}

// New returns a clock reading start.
func New(start time.Time) *Clock { return &Clock{now: start, armed: make(chan struct{})} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc arranges for f to be called, on a goroutine of its own, when
// Advance takes the clock d or more past its current reading. The
// returned function cancels it and reports whether it did (false if f
// already ran or was cancelled), as time.Timer.Stop.
func (c *Clock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	c.started++
	close(c.armed)
	c.armed = make(chan struct{})
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.timers {
			if x == t {
				c.timers = append(c.timers[:i], c.timers[i+1:]...)
				return true
			}
		}
		return false
	}
}

// Advance moves the clock forward by d and starts, in the order they are
// due, the functions of the timers that d made due, each on its own
// goroutine as time.AfterFunc does.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*timer
	keep := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			due = append(due, t)
		} else {
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		go t.f()
	}
}

// Pending is the number of timers armed and neither due nor cancelled.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Armed is the number of timers armed since the clock was made, whether
// they have fired, been cancelled or still wait.
func (c *Clock) Armed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started
}

// WaitArmed waits until n timers in all have been armed on the clock (see
// Armed), so that a test advances the clock only once the code under test
// has set the timer it means to fire. It returns ctx's error if ctx ends
// first.
func (c *Clock) WaitArmed(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		got, ch := c.started, c.armed
		c.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
