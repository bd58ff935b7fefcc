// Package fakeclock is a clock that tests move by hand, so that expiries
// and lock-outs are checked without sleeping.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use; its Now can stand for time.Now.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock reading start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
