// Command phonesim-bench measures phonesim's three published figures and
// prints them as a Markdown table, each beside its floor or peer measured in
// the same run (absolute times on shared machines drift; ratios less so):
//
//  1. Event latency: an INVITE written to a phone's SIP socket until the
//     Incoming Call Action URL GET enters a CTI HTTP handler, beside the
//     floor of one bare UDP datagram plus one bare HTTP GET on loopback.
//  2. Command latency: the Active URI key=OK round trip that answers the
//     ringing call, beside a bare HTTP GET round trip with the same client.
//  3. RSS per registered idle phone with many phones in one process, beside
//     one baresip registered to the same registrar.
//
// Usage:
//
//	phonesim-bench [-calls 1000] [-phones 1000] [-out FILE] [-quick]
//
// Everything runs in this process on 127.0.0.1: the embedded registrar,
// the phones (fleet.Start), the CTI HTTP server, a raw-UDP SIP caller; only
// baresip is a subprocess. Logs are at warn level so the table stays
// readable. docs/benchmarks.md explains each figure's start and end points.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Sizes of the default run and of -quick.
const (
	defaultCalls  = 1000
	defaultPhones = 1000
	quickCalls    = 100
	quickPhones   = 100
	// defaultIdle outlasts every transaction of the registrations: Timer
	// J and the registrar's Timer H are 64*T1 = 32 s (RFC 3261 §17.2.2,
	// §17.2.1), so what remains is what an idle phone holds.
	defaultIdle = 35 * time.Second
	quickIdle   = 2 * time.Second
)

// run parses the flags, runs the benchmark and prints the report; it
// returns the exit code (2 for bad flags, 1 for a failed run).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("phonesim-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := Options{}
	fs.IntVar(&opts.Calls, "calls", defaultCalls, "calls for the event and command latencies (sequential)")
	fs.IntVar(&opts.Phones, "phones", defaultPhones, "registered idle phones for the RSS figure")
	fs.IntVar(&opts.Warmup, "warmup", -1, "uncounted calls first (default: calls/10, between 5 and 50)")
	fs.DurationVar(&opts.Idle, "idle", defaultIdle, "how long the registered phones sit idle before RSS is read")
	out := fs.String("out", "", "also write the report to this file")
	fs.StringVar(&opts.MemProfile, "memprofile", "", "write a heap profile of the idle fleet to this file (go tool pprof)")
	fs.StringVar(&opts.CPUProfile, "cpuprofile", "", "write a CPU profile of the latency calls to this file (go tool pprof)")
	fleetN := fs.Int("fleet", 0, "instead of the figures above: run the phonesim binary with one fleet block of `N` phones (docs/benchmarks.md, fleet scale)")
	callRate := fs.Float64("callrate", 0, "instead of the figures above: SIPp calls a fleet of -fleet-phones auto-answering phones at this many calls per second (docs/benchmarks.md, call rate)")
	callSecs := fs.Int("callsecs", 60, "with -callrate: how long to call")
	fleetPhones := fs.Int("fleet-phones", 1000, "with -callrate: phones in the fleet")
	sinks := fs.String("sinks", "instant,slow,dead", "with -callrate: the CTI sinks to run against, in order (instant, slow: answers in 2 s, dead: never answers)")
	quick := fs.Bool("quick", false, fmt.Sprintf("smoke test: %d calls, %d phones (unless -calls/-phones are given)", quickCalls, quickPhones))
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "phonesim-bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *callRate > 0 {
		// Each phone must be free again when its turn comes round: a
		// call held callHoldMS, phones/rate seconds apart per phone.
		if *callRate*callHoldMS/1000 >= float64(*fleetPhones) {
			fmt.Fprintf(stderr, "phonesim-bench: %d phones cannot take %.0f calls/s held %d ms each without a second call on a phone; give more -fleet-phones\n", *fleetPhones, *callRate, callHoldMS)
			return 2
		}
		return runCallRate(ctx, *callRate, *callSecs, *fleetPhones, strings.Split(*sinks, ","), *out, stdout, stderr)
	}
	if *fleetN > 0 {
		idle := 30 * time.Second
		if fs.Lookup("idle").Value.String() != defaultIdle.String() {
			idle = opts.Idle
		}
		return runFleetBench(ctx, *fleetN, idle, *out, stdout, stderr)
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["calls"] {
			opts.Calls = quickCalls
		}
		if !set["phones"] {
			opts.Phones = quickPhones
		}
		if !set["idle"] {
			opts.Idle = quickIdle
		}
	}
	if opts.Calls < 1 || opts.Phones < 1 {
		fmt.Fprintln(stderr, "phonesim-bench: -calls and -phones must be at least 1")
		return 2
	}
	opts.Command = "phonesim-bench " + strings.Join(args, " ")

	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	rep, err := Run(ctx, opts)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "phonesim-bench: interrupted")
		} else {
			fmt.Fprintf(stderr, "phonesim-bench: %v\n", err)
		}
		return 1
	}
	text := rep.Markdown()
	fmt.Fprint(stdout, text)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
			fmt.Fprintf(stderr, "phonesim-bench: %v\n", err)
			return 1
		}
	}
	return 0
}
