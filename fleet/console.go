package fleet

import (
	"sync"
	"time"

	"github.com/phonesim/phonesim/actionurl"
	"github.com/phonesim/phonesim/webui"
)

// ConsoleSize is how many records a phone's console keeps (the newest).
const ConsoleSize = 200

// ConsoleRecord is one line of a phone's CTI console: an Action URL the
// phone sent, or an Active URI request it received. Exactly one of the two
// is set.
type ConsoleRecord struct {
	Seq       uint64
	ActionURL *actionurl.Delivery
	ActiveURI *webui.Request
}

// Time is when the request started.
func (r ConsoleRecord) Time() time.Time {
	if r.ActionURL != nil {
		return r.ActionURL.Time
	}
	return r.ActiveURI.Time
}

// Console keeps a phone's recent CTI traffic for every front end (the GUI
// draws it beside the phone). Safe for concurrent use.
type Console struct {
	mu      sync.Mutex
	seq     uint64
	records []ConsoleRecord // oldest first, at most ConsoleSize
	watch   map[int]func()
	nextW   int
}

func (c *Console) add(r ConsoleRecord) {
	c.mu.Lock()
	c.seq++
	r.Seq = c.seq
	if len(c.records) == ConsoleSize {
		copy(c.records, c.records[1:])
		c.records = c.records[:ConsoleSize-1]
	}
	c.records = append(c.records, r)
	fns := make([]func(), 0, len(c.watch))
	for _, fn := range c.watch {
		fns = append(fns, fn)
	}
	c.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

func (c *Console) addDelivery(d actionurl.Delivery) { c.add(ConsoleRecord{ActionURL: &d}) }
func (c *Console) addRequest(r webui.Request)       { c.add(ConsoleRecord{ActiveURI: &r}) }

// Records returns a copy of the kept records, oldest first.
func (c *Console) Records() []ConsoleRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ConsoleRecord(nil), c.records...)
}

// Watch calls fn after each new record (on the goroutine that added it;
// fn must not block). cancel stops it.
func (c *Console) Watch(fn func()) (cancel func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watch == nil {
		c.watch = make(map[int]func())
	}
	id := c.nextW
	c.nextW++
	c.watch[id] = fn
	return func() {
		c.mu.Lock()
		delete(c.watch, id)
		c.mu.Unlock()
	}
}
