// Command phonesim runs emulated SIP desk phones headless.
//
//	phonesim                      the demo: embedded registrar on 127.0.0.1:5060,
//	                              phones 1001 (alice) and 1002 (bob) on 127.0.0.1
//	phonesim --config FILE        the phones (and registrar) FILE describes
//	phonesim scenario FILE...     run scenario files (see docs/scenarios.md)
//
// It runs until SIGINT or SIGTERM, then hangs up, unregisters (Unregistered
// fires) and exits 0. A bad configuration file exits 2 and starts nothing.
// With --events (on by default for the demo) it prints every phone's events
// as they happen: "alice  outgoing_call  local=sip:1002@127.0.0.1 call_id=...".
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes (the same for phonesim-gui).
const (
	exitOK     = cli.ExitOK
	exitFailed = cli.ExitFailed
	exitUsage  = cli.ExitUsage
)

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "scenario" {
		return runScenario(args[1:], os.Stdin, stdout, stderr)
	}
	fs := flag.NewFlagSet("phonesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common := cli.Register(fs)
	events := fs.String("events", "auto", "print every phone's events on stdout as they happen: on, off, or auto (on for the demo)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "phonesim: unexpected argument %q (use --config FILE)\n", fs.Arg(0))
		return exitUsage
	}
	if *events != "auto" && *events != "on" && *events != "off" {
		fmt.Fprintf(stderr, "phonesim: --events %q: want on, off or auto\n", *events)
		return exitUsage
	}
	f, log, code := common.Load("phonesim", stdout, stderr)
	if code >= 0 {
		return code
	}
	// The phones' loggers, and the three sipgo derives from the default
	// one for each phone, are built when they first write (fleet/lazylog.go).
	log = slog.New(fleet.DeferWith(log.Handler()))
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	up := newStartup(stderr, len(f.Phones))
	gc := newStartupGC(len(f.Phones)) // GOGC for the end of start-up (gcstart.go)
	defer gc.done()
	started := func(m *fleet.Member) { up.started(m); gc.phoneUp() }
	opts, err := common.Options("phonesim", f, stderr, fleet.Options{Logger: log, OnStarted: started})
	if err != nil {
		fmt.Fprintf(stderr, "phonesim: %v\n", err)
		return exitFailed
	}
	following := up.follow(ctx, 5*time.Second)
	fl, err := fleet.Start(ctx, f, opts)
	if err != nil {
		following(true)
		fmt.Fprintf(stderr, "phonesim: %v\n", err)
		return exitFailed
	}
	defer common.ServeMetrics(fl, log)()
	following(false)
	gc.done()
	releaseStartup()
	printBanner(stdout, fl, common.Config == "")
	if *events == "on" || *events == "auto" && common.Config == "" {
		fmt.Fprintln(stdout, "\nevents (what a CTI server receives as Action URLs):")
		defer printEvents(stdout, fl)()
	}

	<-ctx.Done()
	log.Info("shutting down: hanging up and unregistering")
	cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// One line per outcome, with counts; each phone's error at debug
	// level (fleet/stop.go).
	_ = fl.Close(cctx)
	fl.Stopped().Log(log)
	return exitOK
}

func printBanner(w io.Writer, fl *fleet.Fleet, demo bool) {
	if fl.Registrar != nil {
		fmt.Fprintf(w, "registrar  sip:%s\n", fl.Registrar.Addr())
	}
	phones := fl.Phones
	if len(phones) > maxBanner {
		printFleetBanner(w, fl)
		phones = nil
	}
	for _, m := range phones {
		fmt.Fprintf(w, "phone %-8s sip:%s %s\n", m.Config.Name, m.UA.Addr(), lineStates(m))
		fmt.Fprintf(w, "  active uri  %s?key=OK\n", m.ActiveURI())
		fmt.Fprintf(w, "  status      %s\n", m.StatusURL())
		fmt.Fprintf(w, "  web pages   http://%s/ (log in as %s)\n", m.HTTPAddr(), m.Config.Admin.User)
	}
	if demo && len(fl.Phones) >= 2 {
		a, b := fl.Phones[0], fl.Phones[1]
		fmt.Fprintf(w, "\ntry:\n  curl '%s?number=%s&outgoing_uri=%s@%s'   # %s calls %s\n",
			a.ActiveURI(), b.Config.Lines[0].User, a.Config.Lines[0].User, emulator.HostOf(a.Config.Lines[0].Server), a.Config.Name, b.Config.Name)
		fmt.Fprintf(w, "  curl '%s?key=OK'   # %s answers\n", b.ActiveURI(), b.Config.Name)
		fmt.Fprintf(w, "  curl '%s?key=X'    # %s hangs up\n", a.ActiveURI(), a.Config.Name)
	}
	fmt.Fprintln(w, "\nCtrl-C hangs up, unregisters and exits.")
}

// lineStates is "L1 1001@127.0.0.1:5060 registered, L2 ...".
func lineStates(m *fleet.Member) string {
	var parts []string
	for _, l := range m.Phone.Snapshot().Lines {
		st := l.Registration.String()
		if l.LastCode != 0 && st == "failed" {
			st += fmt.Sprintf(" (%d %s)", l.LastCode, l.LastError)
		} else if l.LastError != "" && st == "failed" {
			st += " (" + l.LastError + ")"
		}
		parts = append(parts, fmt.Sprintf("L%d %s@%s %s", l.Line, l.User, l.Server, st))
	}
	return strings.Join(parts, ", ")
}
