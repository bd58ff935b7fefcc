package fleet

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/phonesim/phonesim/actionurl"

	"github.com/phonesim/phonesim/emulator"
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
var regStates = []string{emulator.RegUnregistered.String(), emulator.RegRegistering.String(), emulator.RegRegistered.String(), emulator.RegFailed.String()}

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
			lines[l.Registration.String()]++
		}
		for _, call := range snap.Calls {
			calls[call.State.String()]++
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

// answered counts one answer of a phone's web server
// (webui.WebOptions.Answered).
func (a *activeURIMetrics) answered(code int) {
	result := "ok"
	switch {
	case code == http.StatusUnauthorized:
		result = "unauthorized"
	case code >= 500:
		result = "error"
	case code >= 400:
		result = "rejected"
	}
	a.vec.WithLabelValues(result).Inc()
}

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
