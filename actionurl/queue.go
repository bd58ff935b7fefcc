package actionurl

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/phonesim/phonesim/emulator"
)

// QueueSize is how many events of one phone may wait for their Action URL
// while an earlier one is being sent (issue 10, item 6). A CTI server
// that answers slowly or not at all fills it; then the oldest waiting
// event is dropped to make room for the new one, so what is sent stays in
// event order and a server that recovers learns the phone's latest state
// first-hand. Drops are counted (Dropped, and phonesim_action_urls_total
// {result="dropped"} of --metrics) and logged once per phone. The phone
// itself never waits for its Action URLs: its events are queued and the
// call goes on.
//
// 64 events hold a few dozen calls' worth (Incoming Call, Established,
// Terminated and the busy/idle pair each), or more than 5 minutes of
// calls at one call per 5 s behind a server that takes the 5 s default
// timeout on each request.
const QueueSize = 64

// queue is one attachment's events waiting to be sent, oldest first,
// guarded by the attachment's mu. A goroutine drains it while it is not
// empty; an idle phone has none.
type queue struct {
	items   []pendingEvent
	running bool
	idle    chan struct{} // closed when the running drain ends
	warned  bool
}

type pendingEvent struct {
	t  *Template
	ev emulator.Event
}

// queueStats is the Sender's share of this file.
type queueStats struct {
	dropped atomic.Uint64
}

// Dropped is how many events the Sender dropped unsent: because a phone's
// queue was full, or at shutdown because its CTI server hung (shutdown.go).
func (s *Sender) Dropped() uint64 { return s.dropped.Load() }

// enqueue adds an event and starts the drain if it is not running.
func (a *attachment) enqueue(t *Template, ev emulator.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.detached {
		return
	}
	q := &a.q
	if len(q.items) >= QueueSize {
		old := q.items[0]
		q.items[0] = pendingEvent{}
		q.items = q.items[1:]
		a.s.dropped.Add(1)
		a.s.stats.vec.WithLabelValues(old.ev.Phone, old.ev.Type.Key(), ResultDropped).Inc()
		if !q.warned {
			q.warned = true
			a.s.log.Warn("action URL queue full: dropping the oldest events (logged once per phone)",
				"phone", ev.Phone, "queue", QueueSize, "dropped", old.ev.Type.String(), "seq", old.ev.Seq)
		}
	}
	q.items = append(q.items, pendingEvent{t, ev})
	if !q.running {
		q.running = true
		q.idle = make(chan struct{})
		a.inFlight.Add(1)
		go a.drain(q.idle)
	}
}

// drain sends the queued events one at a time, in order, until the queue
// is empty or the attachment is detached.
func (a *attachment) drain(idle chan struct{}) {
	defer a.inFlight.Done()
	defer close(idle)
	for {
		a.mu.Lock()
		if a.dropping.Load() && len(a.q.items) > 0 {
			// Shutdown found this phone's CTI server stuck: what is
			// still queued is dropped and counted (shutdown.go).
			a.s.dropAtShutdown(len(a.q.items))
			a.q.items = nil
		}
		if a.detached || len(a.q.items) == 0 {
			// Detached with events left: they are dropped, and counted.
			a.s.dropped.Add(uint64(len(a.q.items)))
			a.q.items = nil
			a.q.running = false
			a.mu.Unlock()
			return
		}
		p := a.q.items[0]
		a.q.items[0] = pendingEvent{}
		a.q.items = a.q.items[1:]
		a.mu.Unlock()
		a.sending.Store(true)
		begun := time.Now()
		a.s.send(a.ctx, p.t, p.ev)
		a.sending.Store(false)
		a.s.afterShutdownSend(a, time.Since(begun))
	}
}

// Flush waits until every event queued so far has been sent (or has
// failed), or ctx ends. Call it after the phone has stopped and before
// Close, so that its last events (Unregistered) still go out.
func (s *Sender) Flush(ctx context.Context) error {
	s.mu.Lock()
	list := make([]*attachment, 0, len(s.attached))
	for _, a := range s.attached {
		list = append(list, a)
	}
	s.mu.Unlock()
	for _, a := range list {
		for {
			a.mu.Lock()
			running, idle := a.q.running, a.q.idle
			a.mu.Unlock()
			if !running {
				break
			}
			select {
			case <-idle:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// ResultDropped labels the events dropped from a full queue in
// phonesim_action_url_requests_total.
const ResultDropped = "dropped"

// latency is the time each Action URL request took, for every Sender of
// the process: --metrics serves it.
var latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "phonesim_action_url_duration_seconds",
	Help:    "Time from the start of an Action URL GET to its answer or failure, by result.",
	Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
}, []string{"result"})

// LatencyCollector is the latency histogram of every Sender's requests.
func LatencyCollector() prometheus.Collector { return latency }

func observeLatency(result string, took time.Duration) {
	latency.WithLabelValues(result).Observe(took.Seconds())
}
