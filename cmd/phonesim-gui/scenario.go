//go:build gui

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/gui"
	"github.com/phonesim/phonesim/internal/cli"
	"github.com/phonesim/phonesim/phonesimtest"
	"github.com/phonesim/phonesim/scenarios"
)

// runScenario is `phonesim-gui scenario [flags] FILE...`: the runner of
// `phonesim scenario` with its phones in the window while the flow runs,
// the current step in a banner across the bottom, and the same exit codes
// (0 all passed, 1 a step failed, 2 an invalid file: nothing run). The
// window stays up for --hold after the last step, then closes.
//
// ebiten runs one window per process, and every scenario has its own
// phones: with several files, each runs in its own window, one after the
// other, in a child process of this binary.
func runScenario(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, sf := cli.NewScenarioFlagSet("phonesim-gui", stderr)
	pace, step, fixed := &sf.Pace, &sf.Step, &sf.FixedPorts
	hold := fs.Duration("hold", 3*time.Second, "keep the window up this long after the last step (0: close at once)")
	scale := fs.Float64("scale", 0, "window size as a multiple of the base picture (default: fit the screen)")
	fps := fs.String("fps", gui.FPSMinimum, "redraw mode: min (only on changes) or default (every frame)")
	noSound := fs.Bool("no-sound", false, "no tones or key clicks")
	screenshot := fs.String("screenshot", "", "write a PNG of the window to `file` when the flow ends (the verdict shown), before the hold")
	shotDir := fs.String("shots", "", "on each SIGUSR1, write a PNG of the window to `dir`/shot-N.png (for tests)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	switch {
	case fs.NArg() == 0:
		fs.Usage()
		return exitUsage
	case *pace < 0 || *hold < 0:
		fmt.Fprintln(stderr, "phonesim-gui scenario: --pace and --hold want a positive duration")
		return exitUsage
	case *fps != gui.FPSMinimum && *fps != gui.FPSDefault && *fps != gui.FPSPresent:
		fmt.Fprintf(stderr, "phonesim-gui scenario: --fps %q: want %s, %s or %s\n", *fps, gui.FPSMinimum, gui.FPSDefault, gui.FPSPresent)
		return exitUsage
	case fs.NArg() > 1 && (*screenshot != "" || *shotDir != ""):
		fmt.Fprintln(stderr, "phonesim-gui scenario: --screenshot and --shots take one FILE")
		return exitUsage
	}
	logger, err := sf.Logger("phonesim-gui scenario", stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}

	// Every file is checked before anything runs, as by `phonesim scenario`.
	list, err := scenarios.Load(fs.Args()...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if len(list) > 1 {
		return runEach(fs, list, stdin, stdout, stderr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sr := &scenarioWindow{banner: gui.NewBanner(), hold: *hold, screenshot: *screenshot, out: stdout, stderr: stderr,
		fleet: make(chan *fleet.Fleet, 1), guiDone: make(chan struct{})}
	// shown ends when the window does (closed, or the hold over).
	shown, endShown := context.WithCancel(ctx)
	defer endShown()
	sr.shown = shown
	// The window ends after the hold; the flow ends when the window does.
	guiCtx, endGUI := context.WithCancel(ctx)
	defer endGUI()
	sr.endGUI = endGUI
	runCtx, endRun := context.WithCancel(ctx)
	defer endRun()

	opts := scenarios.Options{Out: stdout, Pace: *pace, FixedPorts: *fixed, Logger: logger,
		OnStart: sr.onStart, OnStep: sr.onStep, OnEnd: sr.onEnd}
	if *step {
		opts.StepIn = stdin
	}
	results := make(chan *scenarios.Result, 1)
	go func() { results <- scenarios.Run(runCtx, list[0], opts) }()

	var res *scenarios.Result
	select {
	case fl := <-sr.fleet:
		go sr.redrawUntilDone(guiCtx)
		err := gui.Run(guiCtx, fl, gui.Options{Scale: *scale, FPSMode: *fps, Sound: !*noSound,
			Shots: shotsOnSignal(guiCtx, *shotDir), Banner: sr.banner, Out: stdout, Logger: logger})
		endShown()
		close(sr.guiDone)
		if err != nil {
			fmt.Fprintf(stderr, "phonesim-gui: %v\n", err)
		}
		endRun() // the window was closed mid-flow: stop it
		res = <-results
	case res = <-results: // the phones did not start
	}
	if !res.Passed {
		fmt.Fprintln(stderr, res.Message())
		return exitFailed
	}
	return exitOK
}

// scenarioWindow joins one scenario run to the window.
type scenarioWindow struct {
	banner     *gui.Banner
	hold       time.Duration
	screenshot string
	out        io.Writer
	stderr     io.Writer

	fleet   chan *fleet.Fleet // the runner's phones, to the main goroutine
	shown   context.Context   // ends with the window
	endGUI  context.CancelFunc
	guiDone chan struct{} // closed when gui.Run has returned
}

// onStart hands the runner's phones to the window and holds the first
// step until they are on screen.
func (w *scenarioWindow) onStart(ctx context.Context, ps *phonesimtest.Phones) {
	w.fleet <- ps.Fleet
	select {
	case <-w.banner.Ready():
	case <-w.shown.Done():
	case <-ctx.Done():
	}
}

func (w *scenarioWindow) onStep(p scenarios.Progress) {
	w.banner.Set(stepBanner(p))
}

// onEnd shows the verdict, writes the screenshot, holds, and closes the
// window before the runner closes the phones.
func (w *scenarioWindow) onEnd(_ context.Context, res *scenarios.Result) {
	w.banner.Set(endBanner(res))
	if w.screenshot != "" && w.shown.Err() == nil {
		ctx, cancel := context.WithTimeout(w.shown, 30*time.Second)
		if err := w.banner.Screenshot(ctx, w.screenshot); err != nil {
			fmt.Fprintf(w.stderr, "phonesim-gui: screenshot: %v\n", err)
		} else {
			fmt.Fprintf(w.out, "screenshot written to %s\n", w.screenshot)
		}
		cancel()
	}
	if w.hold > 0 {
		t := time.NewTimer(w.hold)
		select {
		case <-t.C:
		case <-w.shown.Done():
		}
		t.Stop()
	}
	w.endGUI()
	<-w.guiDone
}

// redrawUntilDone asks for frames once ctx ends (the hold is over, or a
// signal came) until the window has closed: the window ends in a frame.
func (w *scenarioWindow) redrawUntilDone(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-w.guiDone:
		return
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		w.banner.Redraw()
		select {
		case <-t.C:
		case <-w.guiDone:
			return
		}
	}
}

// stepBanner: "basic_call.yaml:5 · step 2/8 · bob (1002) presses OK" over
// "running · 1 passed, 0 failed · inbound call answered by the CTI".
func stepBanner(p scenarios.Progress) gui.BannerText {
	t := gui.BannerText{Title: fmt.Sprintf("%s · step %d/%d · %s", p.Where(), p.Index, p.Total, p.Step)}
	status := p.Status
	switch p.Status {
	case "waiting":
		t.Tone = gui.BannerWaiting
		status = "press Enter in the terminal to run this step"
	case "passed":
		t.Tone = gui.BannerRunning
	case "failed":
		t.Tone = gui.BannerFailed
	}
	t.Detail = fmt.Sprintf("%s · %d passed, %d failed · %s", status, p.Passed, p.Failed, p.Scenario)
	return t
}

// endBanner is the verdict: PASS with the tally, or FAIL naming file:line
// and what was expected.
func endBanner(res *scenarios.Result) gui.BannerText {
	if res.Passed {
		return gui.BannerText{Tone: gui.BannerPassed,
			Title:  fmt.Sprintf("PASS · %s (%s)", res.Name, res.File),
			Detail: fmt.Sprintf("all %d steps passed in %s", len(res.Steps), res.Duration.Round(time.Millisecond))}
	}
	t := gui.BannerText{Tone: gui.BannerFailed, Title: "FAIL · " + res.Name + " (" + res.File + ")"}
	if st := res.Failed(); st != nil {
		t.Title = fmt.Sprintf("FAIL · %s:%d · %s", res.File, st.Line, st.Step)
		t.Detail = fmt.Sprintf("expected %s; got %s", st.Failure.Expected, st.Failure.Got)
	} else if res.Error != "" {
		t.Detail = res.Error
	}
	return t
}

// runEach runs every file in its own window, one after the other, by
// running this binary once per file with the same flags; the exit code is
// the worst of theirs.
func runEach(fs *flag.FlagSet, list []*scenarios.Scenario, stdin io.Reader, stdout, stderr io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "phonesim-gui scenario: %v\n", err)
		return exitFailed
	}
	var flags []string
	fs.Visit(func(f *flag.Flag) { flags = append(flags, "--"+f.Name+"="+f.Value.String()) })
	// SIGINT or SIGTERM ends the running child (which closes its window
	// and phones) and runs no more.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := exitOK
	for _, sc := range list {
		if ctx.Err() != nil {
			return max(code, exitFailed)
		}
		cmd := exec.CommandContext(ctx, self, append(append([]string{"scenario"}, flags...), sc.Path)...)
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.WaitDelay = 20 * time.Second
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee) && ee.ExitCode() > 0:
			code = max(code, ee.ExitCode())
		default:
			fmt.Fprintf(stderr, "phonesim-gui scenario: %s: %v\n", sc.Path, err)
			code = max(code, exitFailed)
		}
	}
	return code
}
