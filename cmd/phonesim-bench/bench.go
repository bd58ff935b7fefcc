package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/phonesim/phonesim/registrar"
)

// Options size one run.
type Options struct {
	Calls  int // counted calls of figures 1 and 2
	Warmup int // uncounted calls before them; <0: calls/10 within [5, 50]
	Phones int // idle phones of figure 3
	// Command is printed as the command that reproduces the run.
	Command string
	// Idle is how long the registered fleet sits before its RSS is read.
	Idle time.Duration
	// MemProfile, if set, receives a heap profile taken when the idle
	// fleet is measured; CPUProfile one of the latency calls.
	MemProfile, CPUProfile string
}

// Accounts on the registrar besides the idle fleet's 10000, 10001, ...
const (
	latencyUser = "7001" // the phone of figures 1 and 2
	baresipUser = "9000" // the peer of figure 3
)

// Report is one run's figures.
type Report struct {
	Opts    Options
	Machine machine
	Latency *latencyResult
	RSS     *rssResult
	Took    time.Duration
}

// Run measures figure 3 first (on a fresh heap; then the binary), then figures 1 and 2,
// with one registrar for all of them.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Warmup < 0 {
		opts.Warmup = min(max(opts.Calls/10, 5), 50)
	}
	if opts.MemProfile != "" {
		runtime.MemProfileRate = 4096 // finer than the default 512 KiB
	}
	start := time.Now()
	log := slog.Default()
	users := map[string]string{latencyUser: benchPassword(latencyUser), baresipUser: benchPassword(baresipUser)}
	for i := range opts.Phones {
		users[rssUser(i)] = benchPassword(rssUser(i))
	}
	reg, err := registrar.New(registrar.Config{Listen: "127.0.0.1:0", Users: users, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := reg.Start(ctx); err != nil {
		return nil, err
	}
	defer reg.Close()

	rep := &Report{Opts: opts, Machine: describeMachine()}
	if rep.RSS, err = measureRSS(ctx, reg, opts.Phones, baresipUser, opts.MemProfile, opts.Idle, log); err != nil {
		return nil, fmt.Errorf("RSS: %w", err)
	}
	// The headline: the same phones as bin/phonesim runs them, its VmRSS
	// as the user sees it (docs/benchmarks.md, figure 3).
	if rep.RSS.Binary, err = measureBinary(ctx, opts.Phones, opts.Idle, io.Discard); err != nil {
		return nil, fmt.Errorf("RSS of the phonesim binary: %w", err)
	}
	settle(500 * time.Millisecond) // the closed fleet's garbage
	if rep.Latency, err = measureLatency(ctx, reg, opts.Calls, opts.Warmup, opts.CPUProfile, log); err != nil {
		return nil, fmt.Errorf("latency: %w", err)
	}
	rep.Took = time.Since(start)
	return rep, nil
}
