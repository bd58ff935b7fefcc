//go:build gui

package gui

import (
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/gui/layout"
)

// FPS modes.
const (
	FPSMinimum = "min"     // redraw only on input, events and timers (ebiten.FPSModeVsyncOffMinimum)
	FPSDefault = "default" // ebiten's default: redraw every vsync
	// FPSPresent is FPSMinimum that, once the phones are drawn, draws
	// nothing more but has one frame a second presented (one pixel
	// changes): the cost of presenting alone, the floor under a call's
	// once-a-second clock (make gui-bench).
	FPSPresent = "present"
)

// Options tune the window.
type Options struct {
	// Scale is the window size as a multiple of the base picture (1 = one
	// base unit per pixel); 0 fits the picture into 90 % of the monitor,
	// at most 1.
	Scale float64
	// FPSMode is FPSMinimum (default), FPSDefault or FPSPresent.
	FPSMode string
	// Sound false keeps the GUI silent.
	Sound bool
	// Call places a call from the first phone to the second and has the
	// second answer it, once every line is registered (for screenshots and
	// CPU measurements with a call up).
	Call bool
	// Screenshot, if set, is where a PNG of the window is written once the
	// phones are ready (registered; the call up with Call); then the GUI
	// exits.
	Screenshot string
	// Measure, if set, measures the process's CPU use for this long once
	// the phones are ready, prints it to Out and exits.
	Measure time.Duration
	// Shots, if set, asks for a screenshot (a PNG at each path received)
	// while the GUI runs; tests send them.
	Shots <-chan string
	// Banner, if set, is drawn across the bottom of the window (the
	// scenario runner's current step; see banner.go).
	Banner *Banner
	Out    io.Writer
	Logger *slog.Logger
}

// Run shows the fleet's phones until ctx ends or the window is closed. It
// must run on the main goroutine (ebiten's rule).
func Run(ctx context.Context, fl *fleet.Fleet, opts Options) error {
	if len(fl.Phones) == 0 {
		return errors.New("gui: no phones to show")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.FPSMode == "" {
		opts.FPSMode = FPSMinimum
	}
	if opts.FPSMode != FPSMinimum && opts.FPSMode != FPSDefault && opts.FPSMode != FPSPresent {
		return fmt.Errorf("gui: fps mode %q: want %s, %s or %s", opts.FPSMode, FPSMinimum, FPSDefault, FPSPresent)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := newGame(ctx, fl, opts)
	opts.Banner.attach(g)
	if opts.Sound {
		g.sound = newSound(opts.Logger)
	}
	stop := g.start()
	defer stop()

	sc := g.screen()
	scale := opts.Scale
	if scale <= 0 {
		mw, mh := ebiten.Monitor().Size()
		scale, _, _ = layout.Fit(sc.W, sc.H, float64(mw)*0.9, float64(mh)*0.9)
		scale = min(scale, 1)
	}
	h := sc.H
	if opts.Banner != nil {
		h += bannerH // room for the banner below the phones
	}
	ebiten.SetWindowSize(int(sc.W*scale+0.5), int(h*scale+0.5))
	ebiten.SetWindowResizingMode(ebiten.WindowResizingModeEnabled)
	ebiten.SetWindowTitle("phonesim — " + names(fl))
	if opts.FPSMode != FPSDefault {
		ebiten.SetFPSMode(ebiten.FPSModeVsyncOffMinimum)
		ebiten.SetScreenClearedEveryFrame(false)
	}

	go g.prepare(ctx, fl)
	if opts.Screenshot != "" {
		go func() {
			if err := g.Screenshot(ctx, opts.Screenshot); err != nil {
				opts.Logger.Error("screenshot", "error", err)
			} else {
				fmt.Fprintf(opts.Out, "screenshot written to %s\n", opts.Screenshot)
			}
			if opts.Measure == 0 {
				g.quit.Store(true)
				g.wake()
			}
		}()
	}
	if opts.Shots != nil {
		go func() {
			for {
				select {
				case path := <-opts.Shots:
					if err := g.Screenshot(ctx, path); err != nil {
						opts.Logger.Error("screenshot", "path", path, "error", err)
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	if opts.Measure > 0 {
		go g.measure(ctx)
	}
	err := ebiten.RunGame(g)
	g.sound.close() // Update no longer runs
	if errors.Is(err, ebiten.Termination) {
		err = nil
	}
	return err
}

func names(fl *fleet.Fleet) string {
	var n []string
	for _, m := range fl.Phones {
		n = append(n, m.Config.Name)
	}
	return strings.Join(n, ", ")
}

// prepare waits until every line has registered (or failed), places the
// scripted call when asked, then marks the GUI ready.
func (g *Game) prepare(ctx context.Context, fl *fleet.Fleet) {
	defer g.wake()
	wait := func(what string, cond func() bool) bool {
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if ctx.Err() != nil {
				return false
			}
			if time.Now().After(deadline) {
				g.log.Warn("gui: gave up waiting", "for", what)
				return true
			}
			time.Sleep(20 * time.Millisecond)
		}
		return true
	}
	if !wait("registration", func() bool {
		for _, m := range fl.Phones {
			for _, l := range m.Phone.Snapshot().Lines {
				if l.Registration != emulator.RegRegistered && l.Registration != emulator.RegFailed {
					return false
				}
			}
		}
		return true
	}) {
		return
	}
	if g.opts.Call && len(fl.Phones) >= 2 && len(fl.Phones[1].Config.Lines) > 0 {
		// The first phone's user lifts the handset; CTI software dials and
		// answers over Active URI, as curl would (the consoles list it).
		a, b := fl.Phones[0], fl.Phones[1]
		if err := a.Phone.Do(ctx, emulator.Handset{Lift: true}); err != nil {
			g.log.Warn("gui: scripted call: lifting the handset", "error", err)
		}
		activeURI(ctx, g.log, a.ActiveURI()+"?number="+url.QueryEscape(b.Config.Lines[0].User))
		wait("the call to ring", func() bool { return hasCall(b, emulator.CallRinging) })
		activeURI(ctx, g.log, b.ActiveURI()+"?key=OK")
		wait("the call to be answered", func() bool { return hasCall(a, emulator.CallTalking) && hasCall(b, emulator.CallTalking) })
		time.Sleep(1100 * time.Millisecond) // the call clock shows a second
	}
	g.ready.Store(true)
	g.opts.Banner.markReady()
}

// activeURI sends one Active URI GET, logging a failure.
func activeURI(ctx context.Context, log *slog.Logger, u string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err == nil {
		var resp *http.Response
		if resp, err = http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = errors.New(resp.Status)
			}
		}
	}
	if err != nil {
		log.Warn("gui: scripted call: Active URI", "error", err)
	}
}

func hasCall(m *fleet.Member, state emulator.CallState) bool {
	for _, c := range m.Phone.Snapshot().Calls {
		if c.State == state {
			return true
		}
	}
	return false
}

// measure reports the process's CPU time (user + system, every goroutine:
// the window and the phones) over opts.Measure once ready.
func (g *Game) measure(ctx context.Context) {
	for !g.ready.Load() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	time.Sleep(time.Second) // let start-up work settle
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	c0, t0, f0, p0 := cpu(), time.Now(), g.frames.Load(), g.presents.Load()
	select {
	case <-ctx.Done():
		return
	case <-time.After(g.opts.Measure):
	}
	used, wall, frames, presents := cpu()-c0, time.Since(t0), g.frames.Load()-f0, g.presents.Load()-p0
	call := "idle"
	if g.opts.Call {
		call = "call up"
	}
	fmt.Fprintf(g.opts.Out, "cpu %.2f%% of a core over %.0fs (%.1f frames/s drawn, %.1f presented): %d phones shown, %s, fps mode %s\n",
		100*used.Seconds()/wall.Seconds(), wall.Seconds(), float64(frames)/wall.Seconds(), float64(presents)/wall.Seconds(),
		len(g.shownNow()), call, g.opts.FPSMode)
	g.quit.Store(true)
	g.wake()
}

// writePNG writes the screen to path.
func writePNG(path string, screen *ebiten.Image) error {
	img := readPixels(screen)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path) // whoever waits for path sees a whole PNG

}
