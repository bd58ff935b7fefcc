package fleet

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/phonesim/phonesim/actionurl"
)

// The process-wide metrics of --metrics (issue 10, item 5). Phones and
// calls are counted from the phones' snapshots when scraped, so an idle
// fleet pays nothing for them between scrapes.
var (
	descLines = prometheus.NewDesc("phonesim_lines",
		"SIP lines (accounts) of the fleet by registration state.", []string{"state"}, nil)
	descPhones = prometheus.NewDesc("phonesim_phones",
		"Phones running in this process.", nil, nil)
	descCalls = prometheus.NewDesc("phonesim_calls",
		"Calls in progress by state (ringing, calling, ringback, talking, held, conference...).", []string{"state"}, nil)
	descActionURLs = prometheus.NewDesc("phonesim_action_urls_total",
		"Action URL requests of every phone by result: sent (2xx), failed (error or non-2xx), timeout, canceled, dropped (queue full).",
		[]string{"result"}, nil)
)

// regStates are reported even when no line is in them, so a dashboard's
// series exist from the start.
var regStates = []string{"unregistered", "registering", "registered", "failed"}

type fleetCollector struct{ fl *Fleet }

func (c fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLines
	ch <- descPhones
	ch <- descCalls
	ch <- descActionURLs
}

func (c fleetCollector) Collect(ch chan<- prometheus.Metric) {
	lines := map[string]int{}
	calls := map[string]int{}
	var sent, failed, timedOut, canceled, dropped uint64
	for _, m := range c.fl.Phones {
		snap := m.Phone.Snapshot()
		for _, l := range snap.Lines {
			lines[l.Registration]++
		}
		for _, call := range snap.Calls {
			calls[call.State]++
		}
		st := m.Sender.Stats()
		sent += st.Sent
		failed += st.Failed
		timedOut += st.TimedOut
		canceled += st.Canceled
		dropped += m.Sender.Dropped()
	}
	for _, s := range regStates {
		ch <- prometheus.MustNewConstMetric(descLines, prometheus.GaugeValue, float64(lines[s]), s)
		delete(lines, s)
	}
	for s, n := range lines {
		ch <- prometheus.MustNewConstMetric(descLines, prometheus.GaugeValue, float64(n), s)
	}
	ch <- prometheus.MustNewConstMetric(descPhones, prometheus.GaugeValue, float64(len(c.fl.Phones)))
	for s, n := range calls {
		ch <- prometheus.MustNewConstMetric(descCalls, prometheus.GaugeValue, float64(n), s)
	}
	for _, r := range []struct {
		name string
		n    uint64
	}{{"sent", sent}, {"failed", failed}, {"timeout", timedOut}, {"canceled", canceled}, {"dropped", dropped}} {
		ch <- prometheus.MustNewConstMetric(descActionURLs, prometheus.CounterValue, float64(r.n), r.name)
	}
}

// activeURIRequests counts the requests the phones' web servers answered,
// by result: ok (2xx/3xx), unauthorized (401), rejected (other 4xx),
// error (5xx).
type activeURIMetrics struct{ vec *prometheus.CounterVec }

func newActiveURIMetrics() *activeURIMetrics {
	return &activeURIMetrics{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "phonesim_active_uri_requests_total",
		Help: "HTTP requests to the phones (Active URI, status API, web pages) by result: ok, unauthorized, rejected (other 4xx), error (5xx).",
	}, []string{"result"})}
}

// wrap counts each answer of h. The result is a pointer, so that the
// shared listener can compare handlers.
func (a *activeURIMetrics) wrap(h http.Handler) http.Handler { return &counted{a, h} }

type counted struct {
	a *activeURIMetrics
	h http.Handler
}

func (c *counted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	c.h.ServeHTTP(rec, r)
	result := "ok"
	switch {
	case rec.code == http.StatusUnauthorized:
		result = "unauthorized"
	case rec.code >= 500:
		result = "error"
	case rec.code >= 400:
		result = "rejected"
	}
	c.a.vec.WithLabelValues(result).Inc()
}

type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// MetricsHandler serves the metrics of the whole process in the
// Prometheus text format: the fleet's lines, calls, Action URLs (with
// their latency histogram) and Active URI requests, and Go's own.
func (fl *Fleet) MetricsHandler() http.Handler {
	fl.metricsOnce.Do(func() {
		reg := prometheus.NewRegistry()
		reg.MustRegister(fleetCollector{fl}, fl.activeURI.vec, actionurl.LatencyCollector(),
			prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
		fl.metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	})
	return fl.metrics
}

// metricsState is the Fleet's share of this file.
type metricsState struct {
	activeURI   *activeURIMetrics
	metricsOnce sync.Once
	metrics     http.Handler
}
