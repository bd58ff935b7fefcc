package actionurl

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/phonesim/phonesim/emulator"
)

// Stats counts finished Action URL requests. Every request lands in exactly
// one counter.
type Stats struct {
	Sent      uint64 // answered with a 2xx status
	Failed    uint64 // connection or TLS failure, non-2xx status
	TimedOut  uint64 // no complete answer within Config.Timeout
	Canceled  uint64 // interrupted by detach or Close
	LastError string
}

// Total is the number of requests that finished.
func (s Stats) Total() uint64 { return s.Sent + s.Failed + s.TimedOut + s.Canceled }

func (s *Stats) add(result string, err error) {
	switch result {
	case ResultOK:
		s.Sent++
		return
	case ResultError:
		s.Failed++
	case ResultTimeout:
		s.TimedOut++
	case ResultCanceled:
		s.Canceled++
	}
	if err != nil {
		s.LastError = err.Error()
	}
}

// metricName is the Prometheus counter Collector exposes.
const metricName = "phonesim_action_url_requests_total"

// stats holds the Sender's counters: totals, per event, and the Prometheus
// counter vector (labels phone, event, result).
type stats struct {
	mu      sync.Mutex
	total   Stats
	byEvent map[emulator.EventType]*Stats
	vec     *prometheus.CounterVec
}

func newStats() *stats {
	return &stats{
		byEvent: make(map[emulator.EventType]*Stats),
		vec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricName,
			Help: "Action URL requests sent by the emulated phones, by phone, event and result (ok, error, timeout, canceled).",
		}, []string{"phone", "event", "result"}),
	}
}

func (st *stats) record(phone string, ev emulator.EventType, result string, err error) {
	st.mu.Lock()
	st.total.add(result, err)
	e := st.byEvent[ev]
	if e == nil {
		e = new(Stats)
		st.byEvent[ev] = e
	}
	e.add(result, err)
	st.mu.Unlock()
	st.vec.WithLabelValues(phone, ev.Key(), result).Inc()
}

// Stats returns the totals over every attached device.
func (s *Sender) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.total
}

// StatsByEvent returns the counters per event type, for the events that have
// finished at least one request.
func (s *Sender) StatsByEvent() map[emulator.EventType]Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := make(map[emulator.EventType]Stats, len(s.stats.byEvent))
	for ev, st := range s.stats.byEvent {
		out[ev] = *st
	}
	return out
}

// Collector exposes the counters as the Prometheus metric
// phonesim_action_url_requests_total{phone,event,result}, where event is
// the config key ("incoming_call") and result is ok, error, timeout or
// canceled. Nothing is registered unless the caller registers it:
//
//	reg.MustRegister(sender.Collector())
func (s *Sender) Collector() prometheus.Collector { return s.stats.vec }
