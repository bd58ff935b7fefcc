package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// summary is the distribution of one set of latency samples.
type summary struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

// summarize sorts a copy of d and takes nearest-rank percentiles: the p-th
// percentile is the smallest sample that at least p % of the samples do not
// exceed.
func summarize(d []time.Duration) summary {
	if len(d) == 0 {
		return summary{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return summary{N: len(s), P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: s[len(s)-1]}
}

// pairSum adds two sample sets element by element: the floor of the event
// latency is one UDP datagram plus one HTTP request, taken in the same
// iteration.
func pairSum(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, min(len(a), len(b)))
	for i := range out {
		out[i] = a[i] + b[i]
	}
	return out
}

// fmtDur prints a latency in microseconds below 1 ms, in milliseconds above.
func fmtDur(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// fmtBytes prints a size in KiB below 1 MiB, in MiB above.
func fmtBytes(b float64) string {
	if math.Abs(b) < 1<<20 {
		return fmt.Sprintf("%.1f KiB", b/1024)
	}
	return fmt.Sprintf("%.1f MiB", b/(1<<20))
}

func fmtRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", r)
}

// machine describes where the figures were taken.
type machine struct {
	CPUs       int
	CPUModel   string
	GoVersion  string
	GOMAXPROCS int
	Kernel     string
	Date       time.Time
}

func describeMachine() machine {
	m := machine{
		CPUs:       runtime.NumCPU(),
		CPUModel:   "unknown",
		GoVersion:  runtime.Version(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Kernel:     "unknown",
		Date:       time.Now().UTC(),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

func (m machine) String() string {
	return fmt.Sprintf("Machine: nproc %d (GOMAXPROCS %d), %s, %s, %s; %s",
		m.CPUs, m.GOMAXPROCS, m.CPUModel, m.Kernel, m.GoVersion, m.Date.Format("2006-01-02 15:04 MST"))
}
