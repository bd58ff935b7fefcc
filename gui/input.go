//go:build gui

package gui

import (
	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/gui/layout"
	"github.com/phonesim/phonesim/keypad"
)

// Update implements ebiten.Game: it turns this tick's clicks and keys into
// inputs. It never blocks: inputs go to each phone's input goroutine.
func (g *Game) Update() error {
	if g.quit.Load() || g.ctx.Err() != nil {
		return ebiten.Termination
	}
	g.mouse()
	g.keyboard()
	if g.sound != nil {
		snaps := make([]emulator.Snapshot, len(g.phones))
		phones := make([]*emulator.Phone, len(g.phones))
		for i, v := range g.phones {
			snaps[i], phones[i] = v.m.Phone.Snapshot(), v.m.Phone
		}
		g.sound.update(snaps, phones, g.focus)
	}
	return nil
}

// mouse: a press picks the target (drawn pressed while held); the key is
// pressed on the phone when the button goes down, as a real key acts when
// pushed. A click anywhere on a phone or its console gives it the keyboard.
func (g *Game) mouse() {
	if inpututil.IsMouseButtonJustReleased(ebiten.MouseButtonLeft) && g.mouseDown {
		g.mouseDown = false
		g.dirty.Store(true)
	}
	if !inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft) {
		return
	}
	cx, cy := ebiten.CursorPosition()
	sc := g.screen()
	scale, ox, oy := layout.Fit(sc.W, sc.H, float64(g.sw), float64(g.sh))
	x, y := layout.ToBase(float64(cx), float64(cy), scale, ox, oy)
	h := sc.Hit(x, y)
	g.dirty.Store(true)
	if g.help {
		g.help = false
		return
	}
	if h.Tab >= 0 {
		g.setShown(layout.Pick(g.shown, h.Tab))
		if !contains(g.shown, g.focus) {
			g.focus = g.shown[0]
		}
		return
	}
	if h.Cell < 0 {
		return
	}
	i := sc.Cells[h.Cell].Phone
	g.focus = i
	g.pressed, g.mouseDown = h, true
	switch {
	case h.Target.Handset:
		g.toggleHandset(i)
	case h.Target.Key != keypad.None:
		g.post(i, emulator.PressKey{Key: h.Target.Key})
	}
}

func (g *Game) toggleHandset(i int) {
	lift := !layout.HandsetLifted(g.phones[i].m.Phone.Snapshot())
	g.post(i, emulator.Handset{Lift: lift})
}

// keyboard applies the keyboard map (gui/layout.Bindings) to the phone
// with the focus: typed characters first (they follow the keyboard
// layout, so '*' and '#' are wherever the layout puts them), then named
// keys. With Ctrl or Alt held, characters are ignored: Ctrl+1 is L1, not 1.
func (g *Game) keyboard() {
	ctrl := ebiten.IsKeyPressed(ebiten.KeyControl)
	alt := ebiten.IsKeyPressed(ebiten.KeyAlt)
	var acts []layout.Action
	if !ctrl && !alt {
		for _, r := range ebiten.AppendInputChars(nil) {
			if a, ok := layout.CharAction(r); ok {
				acts = append(acts, a)
			}
		}
	}
	for _, name := range layout.NamedKeys() {
		k, ok := g.keys[name]
		if !ok || !inpututil.IsKeyJustPressed(k) {
			continue
		}
		if a, ok := layout.NamedAction(name, ctrl, alt); ok {
			acts = append(acts, a)
		}
	}
	for _, a := range acts {
		g.act(a)
	}
}

func (g *Game) act(a layout.Action) {
	g.dirty.Store(true)
	if a.Help {
		g.help = !g.help
		return
	}
	if g.help && a.Key == keypad.X {
		g.help = false // Escape closes the help first
		return
	}
	switch {
	case a.NextPhone:
		for j, s := range g.shown {
			if s == g.focus {
				g.focus = g.shown[(j+1)%len(g.shown)]
				return
			}
		}
		g.focus = g.shown[0]
	case a.Handset:
		g.toggleHandset(g.focus)
	case a.Backspace:
		// The core deletes a digit with the soft key whose action is
		// SoftDelete, whatever its label.
		if k, ok := g.phones[g.focus].m.Phone.Snapshot().LCD.SoftKey(emulator.SoftDelete); ok {
			g.post(g.focus, emulator.PressKey{Key: k})
		}
	case a.Key != keypad.None:
		g.post(g.focus, emulator.PressKey{Key: a.Key})
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
