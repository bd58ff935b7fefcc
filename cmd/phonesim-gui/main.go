//go:build gui

// Command phonesim-gui runs emulated SIP desk phones and shows them in a
// window: the same phones, configuration and flags as bin/phonesim, drawn
// as desk phones (gui package) with a CTI console beside each.
//
//	phonesim-gui                    the demo: alice (1001) and bob (1002)
//	phonesim-gui --config FILE      the phones FILE describes
//	phonesim-gui scenario FILE...   a scenario run (see docs/scenarios.md)
//	                                with its phones shown and the step in a banner
//
// Build with `make gui` (needs cgo, X11/GL headers and a display; see
// scripts/deps.sh). Closing the window, SIGINT or SIGTERM hangs up,
// unregisters and exits 0.
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
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/gui"
	"github.com/phonesim/phonesim/internal/cli"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "scenario" {
		os.Exit(runScenario(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes, as bin/phonesim's.
const (
	exitOK     = cli.ExitOK
	exitFailed = cli.ExitFailed
	exitUsage  = cli.ExitUsage
)

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("phonesim-gui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The flags of bin/phonesim (internal/cli):
	common := cli.Register(fs)
	// The window's:
	scale := fs.Float64("scale", 0, "window size as a multiple of the base picture (default: fit the screen)")
	fps := fs.String("fps", gui.FPSMinimum, "redraw mode: min (only on changes), default (every frame, ebiten's default) or present (min, then one unchanged frame a second: the cost of presenting, for benchmarks)")
	noSound := fs.Bool("no-sound", false, "no tones or key clicks")
	screenshot := fs.String("screenshot", "", "write a PNG of the window to `file` once the phones are registered, then exit")
	call := fs.Bool("call", false, "once registered, the first phone calls the second, which answers (for --screenshot and --measure)")
	measure := fs.Duration("measure", 0, "measure the process's CPU use for this `duration` once ready, print it and exit")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to `file` (go tool pprof)")
	shotDir := fs.String("shots", "", "on each SIGUSR1, write a PNG of the window to `dir`/shot-N.png (for tests)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "phonesim-gui: unexpected argument %q (use --config FILE)\n", fs.Arg(0))
		return exitUsage
	}
	if *fps != gui.FPSMinimum && *fps != gui.FPSDefault && *fps != gui.FPSPresent {
		fmt.Fprintf(stderr, "phonesim-gui: --fps %q: want %s, %s or %s\n", *fps, gui.FPSMinimum, gui.FPSDefault, gui.FPSPresent)
		return exitUsage
	}
	f, log, code := common.Load("phonesim-gui", stdout, stderr)
	if code >= 0 {
		return code
	}
	slog.SetDefault(log)

	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "phonesim-gui: %v\n", err)
			return exitUsage
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintf(stderr, "phonesim-gui: %v\n", err)
			return exitUsage
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts, err := common.Options("phonesim-gui", f, stderr, fleet.Options{Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "phonesim-gui: %v\n", err)
		return exitFailed
	}
	fl, err := fleet.Start(ctx, f, opts)
	if err != nil {
		fmt.Fprintf(stderr, "phonesim-gui: %v\n", err)
		return exitFailed
	}
	defer common.ServeMetrics(fl, log)()
	for _, m := range fl.Phones {
		fmt.Fprintf(stdout, "phone %-8s active uri %s?key=OK\n", m.Config.Name, m.ActiveURI())
	}
	code = exitOK
	if err := gui.Run(ctx, fl, gui.Options{Scale: *scale, FPSMode: *fps, Sound: !*noSound,
		Call: *call, Screenshot: *screenshot, Measure: *measure, Shots: shotsOnSignal(ctx, *shotDir),
		Out: stdout, Logger: log}); err != nil {
		fmt.Fprintf(stderr, "phonesim-gui: %v\n", err)
		code = exitFailed
	}
	log.Info("shutting down: hanging up and unregistering")
	cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fl.Close(cctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("shutdown", "error", err)
	}
	return code
}

// shotsOnSignal turns each SIGUSR1 into a screenshot path in dir
// (shot-1.png, shot-2.png, ...); nil without dir.
func shotsOnSignal(ctx context.Context, dir string) <-chan string {
	if dir == "" {
		return nil
	}
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGUSR1)
	out := make(chan string)
	go func() {
		defer signal.Stop(sig)
		for n := 1; ; n++ {
			select {
			case <-sig:
			case <-ctx.Done():
				return
			}
			select {
			case out <- filepath.Join(dir, fmt.Sprintf("shot-%d.png", n)):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
