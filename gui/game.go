//go:build gui

// Package gui is phonesim's window: the phones of a running fleet drawn as
// desk phones with ebiten, side by side (up to four; a picker chooses when
// there are more), each with its CTI console. It is a front end over the
// same core as bin/phonesim: it reads emulator.Device snapshots, redraws
// when a phone publishes an event, and turns clicks and keys into the same
// inputs Active URI uses (emulator.PressKey, plus emulator.Handset). It
// implements no phone behaviour of its own.
//
// Geometry, hit-testing, the keyboard map and the snapshot-to-lamp mapping
// live in gui/layout, which needs no display and is tested on its own.
package gui

import (
	"context"
	"image"
	"image/color"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/gui/layout"
	"github.com/phonesim/phonesim/keypad"
)

// phoneView is one phone of the fleet as the window knows it.
type phoneView struct {
	m  *fleet.Member
	in chan emulator.Input // applied in order by one goroutine (see inputLoop)

	mu          sync.Mutex
	notice      string // the last refused input
	noticeUntil time.Time
}

// noticeTime is how long a refused input stays on the phone's badge.
const noticeTime = 4 * time.Second

func (v *phoneView) setNotice(s string) {
	v.mu.Lock()
	v.notice, v.noticeUntil = s, time.Now().Add(noticeTime)
	v.mu.Unlock()
}

func (v *phoneView) currentNotice(now time.Time) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if now.After(v.noticeUntil) {
		return ""
	}
	return v.notice
}

// Game is the ebiten.Game over a fleet.
type Game struct {
	ctx    context.Context
	opts   Options
	log    *slog.Logger
	phones []*phoneView

	// Touched by ebiten's goroutine only (Update, Draw, Layout).
	shown     []int
	focus     int // fleet index the keyboard drives
	help      bool
	pressed   layout.Hit // the target under a held mouse button
	mouseDown bool
	sw, sh    int // screen size from the last Layout
	lastW     int
	lastH     int
	keys      map[string]ebiten.Key

	lastMinute atomic.Int64          // the status bar's minute, for the ticker
	lastPhase  atomic.Int64          // the blink or clock phase last drawn
	tick       atomic.Bool           // a blink or clock phase passed: redraw LCDs and blinking lamps
	frames     atomic.Int64          // frames drawn (not skipped), for --measure
	presents   atomic.Int64          // frames ebiten presented (DrawFinalScreen), for --measure
	shownList  atomic.Pointer[[]int] // g.shown, for the ticker

	dirty   atomic.Bool // something changed since the last Draw
	ready   atomic.Bool // lines registered (and the scripted call up)
	quit    atomic.Bool
	shots   chan shotRequest // screenshots wanted (taken by Draw once ready)
	pending *shotRequest     // the one Draw is about to take
	sound   *sound
	wg      sync.WaitGroup
	layers  map[int]*staticLayer // by fleet index
	sprites spriteCache
}

func newGame(ctx context.Context, fl *fleet.Fleet, opts Options) *Game {
	g := &Game{ctx: ctx, opts: opts, log: opts.Logger, shown: layout.FirstShown(len(fl.Phones)), shots: make(chan shotRequest, 8)}
	g.keys = map[string]ebiten.Key{}
	for k := ebiten.Key(0); k <= ebiten.KeyMax; k++ {
		g.keys[k.String()] = k
	}
	for _, m := range fl.Phones {
		g.phones = append(g.phones, &phoneView{m: m, in: make(chan emulator.Input, 64)})
	}
	g.layers = map[int]*staticLayer{}
	g.setShown(g.shown)
	g.dirty.Store(true)
	return g
}

// wake asks for a frame: a phone changed, a lamp blinks, a record came in.
func (g *Game) wake() {
	g.dirty.Store(true)
	ebiten.ScheduleFrame()
}

// start subscribes to every phone and console and starts the input
// goroutines and the animation ticker; stop undoes it.
func (g *Game) start() (stop func()) {
	var cancels []func()
	for _, v := range g.phones {
		v := v
		cancels = append(cancels, v.m.Phone.Subscribe(func(ev emulator.Event) {
			g.sound.event(ev)
			g.wake()
		}))
		cancels = append(cancels, v.m.Console.Watch(g.wake))
		g.wg.Add(1)
		go g.inputLoop(v)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	done := make(chan struct{})
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			select {
			case <-done:
				return
			case <-g.ctx.Done():
				g.wake() // Update sees the context and ends the game
				<-done
				return
			case <-tick.C:
				g.animate()
			}
		}
	}()
	return func() {
		tick.Stop()
		close(done)
		for _, c := range cancels {
			c()
		}
		for _, v := range g.phones {
			close(v.in)
		}
		g.wg.Wait()
	}
}

// animate schedules a frame when time alone changes the picture: at
// each blink of a lamp or tick of a call clock on a shown phone (the
// shortest layout.Period), and when the status bar's minute changes.
// Nothing else redraws an idle window.
func (g *Game) animate() {
	// A frame asked for but not drawn yet: ask again. A ScheduleFrame
	// made while the window is being shown can be lost (seen under Xvfb:
	// the empty event is drained by the start-up frame), and min-FPS mode
	// would then sleep until the next input.
	if g.dirty.Load() {
		ebiten.ScheduleFrame()
	}
	now := time.Now()
	var period time.Duration
	if g.opts.FPSMode == FPSPresent {
		period = time.Second
	}
	for _, i := range g.shownNow() {
		if p := layout.Period(g.phones[i].m.Phone.Snapshot()); p > 0 && (period == 0 || p < period) {
			period = p
		}
	}
	if period > 0 {
		if ph := now.UnixMilli() / period.Milliseconds(); g.lastPhase.Swap(ph) != ph {
			g.tick.Store(true)
			ebiten.ScheduleFrame()
		}
	}
	if m := now.Unix() / 60; g.lastMinute.Swap(m) != m {
		g.wake()
	}
}

// setShown changes the phones shown (ebiten's goroutine only).
func (g *Game) setShown(shown []int) {
	g.shown = shown
	c := append([]int(nil), shown...)
	g.shownList.Store(&c)
}

// shownNow is the phones shown, for other goroutines.
func (g *Game) shownNow() []int {
	if p := g.shownList.Load(); p != nil {
		return *p
	}
	return nil
}

// inputLoop applies v's inputs one at a time, in the order they were
// made; a refused input is shown on the phone.
func (g *Game) inputLoop(v *phoneView) {
	defer g.wg.Done()
	for in := range v.in {
		ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
		err := v.m.Phone.Do(ctx, in)
		cancel()
		if err != nil {
			v.setNotice(err.Error())
			g.wake()
		}
	}
}

// post queues an input for the phone at fleet index i.
func (g *Game) post(i int, in emulator.Input) {
	v := g.phones[i]
	select {
	case v.in <- in:
		if k, ok := in.(emulator.PressKey); ok {
			g.sound.keyClick(k.Key)
		}
	default:
		v.setNotice("too many keys at once; key dropped")
	}
	g.dirty.Store(true)
}

// screen is the current arrangement.
func (g *Game) screen() layout.Screen { return layout.Arrange(len(g.phones), g.shown) }

// Layout implements ebiten.Game: the screen has the window's size in
// device pixels, so text is laid out at the real resolution (crisp at 1×
// and 2×).
func (g *Game) Layout(outsideWidth, outsideHeight int) (int, int) {
	s := ebiten.Monitor().DeviceScaleFactor()
	g.sw, g.sh = int(math.Ceil(float64(outsideWidth)*s)), int(math.Ceil(float64(outsideHeight)*s))
	return g.sw, g.sh
}

// Draw implements ebiten.Game. In minimum-FPS mode the screen is kept
// between frames and only redrawn when something changed.
func (g *Game) Draw(screen *ebiten.Image) {
	b := screen.Bounds()
	if g.pending == nil && g.ready.Load() {
		select {
		case r := <-g.shots:
			g.pending = &r
		default:
		}
	}
	full := g.opts.FPSMode == FPSDefault || g.dirty.Swap(false) || b.Dx() != g.lastW || b.Dy() != g.lastH || g.pending != nil
	if tick := g.tick.Swap(false); !full {
		if tick && g.opts.FPSMode == FPSPresent {
			g.frames.Add(1)
			screen.Set(0, 0, color.RGBA{A: 0xff, R: uint8(g.frames.Load())}) // a change, so ebiten presents the frame
			return
		}
		if tick && !g.help {
			g.frames.Add(1)
			g.drawTick(screen)
		}
		return
	}
	g.lastW, g.lastH = b.Dx(), b.Dy()
	g.frames.Add(1)
	screen.Fill(colDesk)
	sc := g.screen()
	scale, ox, oy := layout.Fit(sc.W, sc.H, float64(b.Dx()), float64(b.Dy()))
	p := &painter{dst: screen, scale: scale, offX: ox, offY: oy}
	now := time.Now()
	if sc.Picker {
		for i, t := range sc.Tabs {
			c := colKey
			for _, s := range g.shown {
				if s == i {
					c = colFocus
				}
			}
			p.roundRect(t, 6, c)
			p.text(clipText(g.phones[i].m.Config.Name, t.W-8, 12, bold), t.X+t.W/2, t.Y+t.H/2, 12, bold, center, colKeyText)
		}
	}
	for _, cell := range sc.Cells {
		v := g.phones[cell.Phone]
		f := g.frame(sc, cell, now)
		l := g.layers[cell.Phone]
		if l == nil {
			l = &staticLayer{}
			g.layers[cell.Phone] = l
		}
		l.draw(p, f)
		p.dynamicPhone(f, &g.sprites)
		p.console(cell.Console, v.m.Config.Name, v.m.Console.Records())
	}
	p.flush()
	if g.help {
		p.help(sc.W, sc.H)
		p.flush()
	}
	g.drawBanner(screen)
	if g.pending != nil {
		g.pending.done <- writePNG(g.pending.path, screen)
		g.pending = nil
	}
}

// DrawFinalScreen implements ebiten.FinalScreenDrawer: it copies the
// offscreen (the picture Draw keeps) to the window, as ebiten does by
// default, and counts the frames presented for --measure: each costs
// about 30 ms of CPU with software GL however little Draw changed
// (docs/benchmarks.md).
func (g *Game) DrawFinalScreen(screen ebiten.FinalScreen, offscreen *ebiten.Image, geoM ebiten.GeoM) {
	g.presents.Add(1)
	op := &ebiten.DrawImageOptions{GeoM: geoM}
	if geoM.Element(0, 0) != 1 || geoM.Element(1, 1) != 1 {
		op.Filter = ebiten.FilterLinear // mid-resize: Layout has not caught up yet
	}
	screen.DrawImage(offscreen, op)
}

// frame gathers what the phone of cell needs to be drawn at now.
func (g *Game) frame(sc layout.Screen, cell layout.Cell, now time.Time) *phoneFrame {
	v := g.phones[cell.Phone]
	f := &phoneFrame{snap: v.m.Phone.Snapshot(), now: now, focused: cell.Phone == g.focus,
		notice: v.currentNotice(now), at: cell.Origin, lamps: map[keypad.Key]layout.Lamp{}}
	if g.mouseDown && g.pressed.Cell >= 0 && g.pressed.Cell < len(sc.Cells) && sc.Cells[g.pressed.Cell].Phone == cell.Phone {
		f.pressed = g.pressed.Target.Key
	}
	for _, b := range layout.Buttons {
		if b.Lamp {
			f.lamps[b.Key] = layout.KeyLamp(f.snap, b.Key)
		}
	}
	return f
}

// drawTick redraws what time alone changed since the last full frame: the
// LCD (call clock) and the blinking lamps of phones with a Period. The
// rest of the screen is kept (min-FPS mode does not clear it).
func (g *Game) drawTick(screen *ebiten.Image) {
	b := screen.Bounds()
	sc := g.screen()
	scale, ox, oy := layout.Fit(sc.W, sc.H, float64(b.Dx()), float64(b.Dy()))
	p := &painter{dst: screen, scale: scale, offX: ox, offY: oy}
	now := time.Now()
	for _, cell := range sc.Cells {
		f := g.frame(sc, cell, now)
		l := g.layers[cell.Phone]
		if layout.Period(f.snap) == 0 || l == nil || !l.valid {
			continue
		}
		p.lcd(layout.LCD.Offset(cell.Origin.X, cell.Origin.Y), f)
		for _, bt := range layout.Buttons {
			lamp := f.lamps[bt.Key]
			if !bt.Lamp || lamp.Blink == 0 {
				continue
			}
			x, y, rad := ledAt(bt, bt.Rect.Offset(cell.Origin.X, cell.Origin.Y))
			l.restore(p, layout.Rect{X: x - rad - 2, Y: y - rad - 2, W: 2*rad + 4, H: 2*rad + 4})
			if lamp.Lit(now) {
				g.sprites.draw(p, x, y, rad, lampColor(lamp.Color))
			}
		}
	}
	p.flush()
	g.drawBanner(screen)
}

// shotRequest asks Draw for a PNG of the next frame at path.
type shotRequest struct {
	path string
	done chan error // buffered: Draw never waits
}

// Screenshot writes a PNG of the window's next frame (once the phones are
// ready) to path and returns when it is written.
func (g *Game) Screenshot(ctx context.Context, path string) error {
	r := shotRequest{path: path, done: make(chan error, 1)}
	select {
	case g.shots <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.wake()
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readPixels copies the screen into an RGBA image.
func readPixels(screen *ebiten.Image) *image.RGBA {
	b := screen.Bounds()
	img := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	screen.ReadPixels(img.Pix)
	return img
}
