//go:build gui

package gui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/gui/layout"
	"github.com/phonesim/phonesim/keypad"
)

// phoneFrame is what one phone needs to be drawn.
type phoneFrame struct {
	snap    emulator.Snapshot
	now     time.Time
	focused bool        // the keyboard drives this phone
	pressed keypad.Key  // the key held down by the mouse
	notice  string      // a refused input, shown a few seconds
	numbers []string    // the lines' numbers, for the badge
	at      layout.Rect // where the body goes, in window base units
	lamps   map[keypad.Key]layout.Lamp
}

func (p *painter) phone(f *phoneFrame) {
	o := f.at
	off := func(r layout.Rect) layout.Rect { return r.Offset(o.X, o.Y) }
	p.roundRect(off(layout.Body).Offset(3, 5), 22, colShadow)
	p.roundRect(off(layout.Body), 22, colBodyEdge)
	p.roundRect(layout.Rect{X: o.X + 3, Y: o.Y + 3, W: layout.PhoneW - 6, H: layout.PhoneH - 6}, 20, colBody)
	if f.focused {
		p.strokeRound(off(layout.Body).Offset(-4, -4), 8, 3, colFocus)
	}
	p.handset(o, layout.HandsetLifted(f.snap))
	p.lcd(off(layout.LCD), f)
	for _, b := range layout.Buttons {
		p.button(b, off(b.Rect), f)
	}
	p.badge(off(layout.Badge), f)
}

// strokeRound outlines r grown by pad.
func (p *painter) strokeRound(r layout.Rect, pad, width float64, c any) {
	g := layout.Rect{X: r.X + 4 - pad, Y: r.Y + 4 - pad, W: r.W + 2*pad - 8, H: r.H + 2*pad - 8}
	p.stroke(g, width, colFocus)
}

// handset draws the cradle and the handset: lying in it, or lifted out of
// it (turned and raised, the hook switch showing).
func (p *painter) handset(o layout.Rect, lifted bool) {
	cr := layout.Cradle.Offset(o.X, o.Y)
	p.roundRect(cr, 14, colRecess)
	// the hook switch: two nubs the handset presses down
	for _, y := range []float64{cr.Y + 150, cr.Y + 270} {
		h := 6.0
		if lifted {
			h = 14
		}
		p.roundRect(layout.Rect{X: cr.X + 30, Y: y, W: 20, H: h}, 3, colKey)
	}
	cx, cy := cr.Center()
	angle, dx, dy := 0.0, 0.0, 0.0
	if lifted {
		angle, dx, dy = -14*math.Pi/180, 10, -8
		// the coiled cord from the handset's foot to the body
		for i := range 9 {
			t := float64(i) / 8
			x := cr.X + 40 + 70*t
			y := cr.Y + cr.H - 6 + 10*math.Sin(t*math.Pi)
			p.circle(x, y, 5, colHandsetHi)
			p.circle(x, y, 3.5, colHandset)
		}
	}
	turn := func(x, y float64) [2]float64 {
		x, y = x-cx, y-cy
		s, c := math.Sin(angle), math.Cos(angle)
		return [2]float64{cx + dx + x*c - y*s, cy + dy + x*s + y*c}
	}
	piece := func(x0, y0, x1, y1, rad float64) [][2]float64 {
		var pts [][2]float64
		corners := [][3]float64{{x1 - rad, y0 + rad, -90}, {x1 - rad, y1 - rad, 0}, {x0 + rad, y1 - rad, 90}, {x0 + rad, y0 + rad, 180}}
		for _, c := range corners {
			for k := 0; k <= 6; k++ {
				a := (c[2] + float64(k)*15) * math.Pi / 180
				pts = append(pts, turn(c[0]+rad*math.Cos(a), c[1]+rad*math.Sin(a)))
			}
		}
		return pts
	}
	if lifted {
		shadow := func(pts [][2]float64) [][2]float64 {
			out := make([][2]float64, len(pts))
			for i, pt := range pts {
				out[i] = [2]float64{pt[0] + 6, pt[1] + 10}
			}
			return out
		}
		p.polygon(shadow(piece(cr.X+24, cr.Y+60, cr.X+56, cr.Y+cr.H-60, 10)), colShadow)
	}
	p.polygon(piece(cr.X+24, cr.Y+60, cr.X+56, cr.Y+cr.H-60, 10), colHandset)        // grip
	p.polygon(piece(cr.X+4, cr.Y+6, cr.X+cr.W-4, cr.Y+92, 22), colHandset)           // earpiece
	p.polygon(piece(cr.X+4, cr.Y+cr.H-92, cr.X+cr.W-4, cr.Y+cr.H-6, 22), colHandset) // mouthpiece
	p.polygon(piece(cr.X+14, cr.Y+16, cr.X+cr.W-14, cr.Y+30, 6), colHandsetHi)
	for i := range 3 { // earpiece holes
		pt := turn(cr.X+cr.W/2-14+float64(i)*14, cr.Y+55)
		p.circle(pt[0], pt[1], 3, colHandsetHi)
	}
}

// lcd draws the screen: status bar, title and lines of the core's LCD
// model, the call duration, and the soft-key labels above F1–F4.
func (p *painter) lcd(r layout.Rect, f *phoneFrame) {
	p.roundRect(layout.Rect{X: r.X - 5, Y: r.Y - 5, W: r.W + 10, H: r.H + 10}, 8, colBezel)
	p.fill(r, colLCD)
	st := layout.StatusOf(f.snap, f.now)
	bar := layout.Rect{X: r.X, Y: r.Y, W: r.W, H: layout.StatusBar.H}
	p.fill(bar, colLCDBar)
	my := bar.Y + bar.H/2
	p.text(st.Time, bar.X+6, my, 12, bold, left, colLCDText)
	if st.Line != "" {
		p.circle(bar.X+56, my, 4, lampColor(st.LineState))
		p.text(st.Line, bar.X+64, my, 12, regular, left, colLCDText)
	}
	x := bar.X + bar.W - 6
	for _, icon := range []struct {
		show bool
		text string
		col  any
	}{
		{st.Voicemail > 0, "VM " + strconv.Itoa(st.Voicemail), colLCDText},
		{st.Missed > 0, "Missed " + strconv.Itoa(st.Missed), colLCDText},
		{st.Forward, "FWD", colLCDText},
		{st.DND, "DND", colLCDText},
	} {
		if !icon.show {
			continue
		}
		w := textWidth(icon.text, 11, bold) + 8
		p.roundRect(layout.Rect{X: x - w, Y: bar.Y + 3, W: w, H: bar.H - 6}, 3, colLCDText)
		p.text(icon.text, x-w/2, my, 11, bold, center, colLCD)
		x -= w + 4
	}
	t := layout.LCDOf(f.snap, f.now)
	y := bar.Y + bar.H + 16
	title := clipText(t.Title, r.W-70, 16, bold)
	p.text(title, r.X+8, y, 16, bold, left, colLCDText)
	if t.Duration != "" {
		p.text(t.Duration, r.X+r.W-8, y, 14, bold, right, colLCDText)
	}
	y += 22
	for _, l := range t.Lines {
		if y > r.Y+r.H-38 {
			break
		}
		p.text(clipText(l, r.W-16, 13, regular), r.X+8, y, 13, regular, left, colLCDText)
		y += 18
	}
	// Soft-key labels: one over each of F1–F4.
	for i, label := range t.SoftKeys {
		b, _ := layout.ButtonOf(keypad.F1 + keypad.Key(i))
		box := layout.Rect{X: b.Rect.X + f.at.X, Y: r.Y + r.H - 24, W: b.Rect.W, H: 21}
		if label == "" {
			continue
		}
		p.roundRect(box, 3, colSoftLabel)
		p.text(clipText(label, box.W-4, 12, bold), box.X+box.W/2, box.Y+box.H/2, 12, bold, center, colLCD)
	}
}

// button draws one key: its face, its LED and its label.
func (p *painter) button(b layout.Button, r layout.Rect, f *phoneFrame) {
	face := colKey
	switch b.Key {
	case keypad.X:
		face = colRedKey
	}
	if f.pressed == b.Key {
		face = colKeyPressed
		r = r.Offset(0, 1)
	}
	switch b.Key {
	case keypad.Up, keypad.Down, keypad.Left, keypad.Right:
		p.navKey(b.Key, r, face)
		return
	case keypad.OK:
		cx, cy := r.Center()
		p.circle(cx, cy, r.W/2, face)
		p.text("OK", cx, cy, 13, bold, center, colKeyText)
		return
	}
	p.roundRect(r, 5, face)
	lamp := f.lamps[b.Key]
	cy := r.Y + r.H/2
	switch {
	case b.Key >= keypad.L1 && b.Key <= keypad.L8, b.Key >= keypad.D1 && b.Key <= keypad.D10:
		p.led(r.X+11, cy, 5, lamp, f.now)
		p.text(clipText(keyText(b.Key, f), r.W-26, 12, regular), r.X+21, cy, 12, regular, left, colKeyText)
	case b.Key >= keypad.Digit0 && b.Key <= keypad.Pound:
		sub := layout.KeyLetters[b.Key]
		label := b.Label
		if b.Key == keypad.Pound {
			label = "#"
		}
		if sub == "" {
			p.text(label, r.X+r.W/2, cy, 17, bold, center, colKeyText)
		} else {
			p.text(label, r.X+r.W/2-10, cy, 17, bold, center, colKeyText)
			p.text(sub, r.X+r.W/2+14, cy+1, 9, regular, center, colKeySub)
		}
	default:
		size := 11.0
		if textWidth(b.Label, size, bold) > r.W-8 {
			size = 9
		}
		tx := r.X + r.W/2
		if b.Lamp {
			p.led(r.X+r.W-8, r.Y+7, 3.5, lamp, f.now)
			tx -= 3
		}
		p.text(b.Label, tx, cy, size, bold, center, colKeyText)
	}
}

func keyText(k keypad.Key, f *phoneFrame) string {
	if n, ok := k.Line(); ok {
		for _, l := range f.snap.Lines {
			if l.Line == n {
				return l.User
			}
		}
		return k.String()
	}
	if n, ok := k.DSS(); ok {
		if s := layout.DSSLabel(f.snap, n); s != "" {
			return s
		}
	}
	return k.String()
}

func (p *painter) navKey(k keypad.Key, r layout.Rect, face any) {
	p.roundRect(r, 6, colKey)
	if face == colKeyPressed {
		p.roundRect(r, 6, colKeyPressed)
	}
	cx, cy := r.Center()
	const s = 6
	var tri [][2]float64
	switch k {
	case keypad.Up:
		tri = [][2]float64{{cx, cy - s}, {cx + s, cy + s/2}, {cx - s, cy + s/2}}
	case keypad.Down:
		tri = [][2]float64{{cx, cy + s}, {cx + s, cy - s/2}, {cx - s, cy - s/2}}
	case keypad.Left:
		tri = [][2]float64{{cx - s, cy}, {cx + s/2, cy - s}, {cx + s/2, cy + s}}
	case keypad.Right:
		tri = [][2]float64{{cx + s, cy}, {cx - s/2, cy - s}, {cx - s/2, cy + s}}
	}
	p.polygon(tri, colKeyText)
}

// led draws a lamp: lit in its colour (with a soft glow) or dark.
func (p *painter) led(x, y, r float64, l layout.Lamp, now time.Time) {
	p.circle(x, y, r+1.5, colBezel)
	if !l.Lit(now) {
		p.circle(x, y, r, colLEDOff)
		return
	}
	c := lampColor(l.Color)
	p.circle(x, y, r, c)
}

// badge is the printed label: name, numbers, model, and a refused input.
func (p *painter) badge(r layout.Rect, f *phoneFrame) {
	id := f.snap.Identity
	y := r.Y + 10
	p.text(clipText(id.Name, r.W, 15, bold), r.X+r.W/2, y, 15, bold, center, colKeyText)
	y += 18
	p.text(clipText(strings.Join(f.numbers, " "), r.W, 12, regular), r.X+r.W/2, y, 12, regular, center, colBadgeText)
	y += 16
	p.text(clipText(strings.TrimSpace(id.Model+" "+id.Firmware), r.W, 10, regular), r.X+r.W/2, y, 10, regular, center, colBadgeText)
	y += 14
	p.text(id.IP, r.X+r.W/2, y, 10, regular, center, colBadgeText)
	y += 16
	if f.snap.Volume >= 0 {
		p.text(fmt.Sprintf("vol %d", f.snap.Volume), r.X+r.W/2, y, 10, regular, center, colBadgeText)
	}
	y += 18
	if f.focused {
		p.roundRect(layout.Rect{X: r.X + 12, Y: y - 9, W: r.W - 24, H: 18}, 4, colFocus)
		p.text("keyboard", r.X+r.W/2, y, 11, bold, center, colKeyText)
	}
	if f.notice != "" {
		p.text(clipText(f.notice, r.W+20, 10, regular), r.X+r.W/2, y+22, 10, regular, center, colAmber)
	}
}
