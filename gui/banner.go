//go:build gui

package gui

import (
	"context"
	"errors"
	"image/color"
	"sync"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/phonesim/phonesim/gui/layout"
)

// BannerTone colours the banner's status box.
type BannerTone int

// Banner tones.
const (
	BannerRunning BannerTone = iota // a step runs (blue)
	BannerWaiting                   // --step: waiting for Enter (amber)
	BannerPassed                    // the flow passed (green)
	BannerFailed                    // a step failed (red)
)

// BannerText is what the banner says: Title on the first line (the step
// and where it is written), Detail on the second (the tally, or what a
// failed step expected).
type BannerText struct {
	Title, Detail string
	Tone          BannerTone
}

// Banner is a strip across the bottom of the window that a driver outside
// the GUI writes to while the phones run (the scenario runner's current
// step). Its methods are safe from any goroutine.
type Banner struct {
	mu    sync.Mutex
	text  BannerText
	shown bool
	g     *Game

	readyOnce sync.Once
	ready     chan struct{}
}

// NewBanner returns an empty banner (drawn once Set is called).
func NewBanner() *Banner { return &Banner{ready: make(chan struct{})} }

// Set changes the text and redraws.
func (b *Banner) Set(t BannerText) {
	b.mu.Lock()
	b.text, b.shown = t, true
	g := b.g
	b.mu.Unlock()
	if g != nil {
		g.wake()
	}
}

// Redraw asks for a frame. A driver ending the window calls it until
// gui.Run returns: with the minimum-FPS mode a frame asked for while
// ebiten waits for events can be lost (see Game.animate), and the window
// only ends in a frame.
func (b *Banner) Redraw() {
	b.mu.Lock()
	g := b.g
	b.mu.Unlock()
	if g != nil {
		g.wake()
	}
}

func (b *Banner) get() (BannerText, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.text, b.shown
}

// Ready is closed once the window shows the phones with their lines
// registered (or failed): a driver starts its flow then.
func (b *Banner) Ready() <-chan struct{} { return b.ready }

// Screenshot writes a PNG of the window's next frame, banner included,
// to path.
func (b *Banner) Screenshot(ctx context.Context, path string) error {
	b.mu.Lock()
	g := b.g
	b.mu.Unlock()
	if g == nil {
		return errors.New("gui: banner not shown in a window")
	}
	return g.Screenshot(ctx, path)
}

func (b *Banner) attach(g *Game) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.g = g
	b.mu.Unlock()
}

func (b *Banner) markReady() {
	if b != nil {
		b.readyOnce.Do(func() { close(b.ready) })
	}
}

// Banner geometry, in base units at the window's scale.
const (
	bannerH   = 46
	bannerBox = 30 // the status box, a square at the left
)

func bannerColor(t BannerTone) color.Color {
	switch t {
	case BannerWaiting:
		return colAmber
	case BannerPassed:
		return colOK
	case BannerFailed:
		return colErr
	}
	return colFocus
}

// drawBanner draws the banner (if set) over the bottom of the screen: an
// opaque strip, so that drawing it again after a partial redraw
// (drawTick) gives the same pixels.
func (g *Game) drawBanner(screen *ebiten.Image) {
	t, ok := g.opts.Banner.getIfAny()
	if !ok {
		return
	}
	b := screen.Bounds()
	sc := g.screen()
	scale, _, _ := layout.Fit(sc.W, sc.H, float64(b.Dx()), float64(b.Dy()))
	p := &painter{dst: screen, scale: scale}
	w, h := float64(b.Dx())/scale, float64(b.Dy())/scale
	top := h - bannerH
	p.fill(layout.Rect{X: 0, Y: top, W: w, H: bannerH}, colConsoleHdr)
	pad := (bannerH - bannerBox) / 2.0
	p.fill(layout.Rect{X: pad, Y: top + pad, W: bannerBox, H: bannerBox}, bannerColor(t.Tone))
	x := pad*2 + bannerBox
	p.text(clipText(t.Title, w-x-pad, 14, bold), x, top+14, 14, bold, left, colKeyText)
	p.text(clipText(t.Detail, w-x-pad, 12, regular), x, top+33, 12, regular, left, colBadgeText)
	p.flush()
}

func (b *Banner) getIfAny() (BannerText, bool) {
	if b == nil {
		return BannerText{}, false
	}
	return b.get()
}
