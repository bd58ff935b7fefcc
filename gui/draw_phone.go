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
	focused bool       // the keyboard drives this phone
	pressed keypad.Key // the key held down by the mouse
	notice  string     // a refused input, shown a few seconds
	at      layout.Rect
	lamps   map[keypad.Key]layout.Lamp
}

// The phone is drawn in two parts. The static part (body, handset, key
// faces and labels) changes only with the handset, the line and DSS labels
// and the window size; it is drawn antialiased once into a cached layer
// (static.go). The dynamic part (LCD, lit lamps, the pressed key, focus,
// notices) is drawn every frame without antialiasing, over the layer.

// staticPhone draws the parts that stay put.
func (p *painter) staticPhone(f *phoneFrame) {
	o := f.at
	off := func(r layout.Rect) layout.Rect { return r.Offset(o.X, o.Y) }
	p.roundRect(off(layout.Body).Offset(3, 5), 22, colShadow)
	p.roundRect(off(layout.Body), 22, colBodyEdge)
	p.roundRect(layout.Rect{X: o.X + 3, Y: o.Y + 3, W: layout.PhoneW - 6, H: layout.PhoneH - 6}, 20, colBody)
	p.roundRect(layout.Cradle.Offset(o.X, o.Y), 14, colRecess) // the handset is a layer of its own (handsetCache)
	lcd := off(layout.LCD)
	p.roundRect(layout.Rect{X: lcd.X - 5, Y: lcd.Y - 5, W: lcd.W + 10, H: lcd.H + 10}, 8, colBezel)
	for _, b := range layout.Buttons {
		p.button(b, off(b.Rect), f)
	}
	r := off(layout.Badge)
	id := f.snap.Identity
	var numbers []string
	for _, l := range f.snap.Lines {
		numbers = append(numbers, l.User)
	}
	y := r.Y + 10
	p.text(clipText(id.Name, r.W, 15, bold), r.X+r.W/2, y, 15, bold, center, colKeyText)
	y += 18
	p.text(clipText(strings.Join(numbers, " "), r.W, 12, regular), r.X+r.W/2, y, 12, regular, center, colBadgeText)
	y += 16
	p.text(clipText(strings.TrimSpace(id.Model+" "+id.Firmware), r.W, 10, regular), r.X+r.W/2, y, 10, regular, center, colBadgeText)
	y += 14
	p.text(id.IP, r.X+r.W/2, y, 10, regular, center, colBadgeText)
}

// staticKey identifies what the static layer shows, so it is redrawn
// when that changes.
func staticKey(s emulator.Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s %s %s|", s.Identity.Name, s.Identity.Model, s.Identity.Firmware, s.Identity.IP)
	for _, l := range s.Lines {
		b.WriteString(l.User + ",")
	}
	for n := 1; n <= 10; n++ {
		b.WriteString(layout.DSSLabel(s, n) + ",")
	}
	return b.String()
}

// dynamicPhone draws what changes: the LCD, lit lamps, the pressed key,
// the keyboard focus, volume and notices.
func (p *painter) dynamicPhone(f *phoneFrame, sprites *spriteCache) {
	o := f.at
	if f.focused {
		p.stroke(layout.Rect{X: o.X - 4, Y: o.Y - 4, W: layout.PhoneW + 8, H: layout.PhoneH + 8}, 3, colFocus)
	}
	handsets.draw(p, o, layout.HandsetLifted(f.snap))
	p.lcd(layout.LCD.Offset(o.X, o.Y), f)
	for _, b := range layout.Buttons {
		r := b.Rect.Offset(o.X, o.Y)
		if b.Key == f.pressed {
			p.fill(r, colPressed)
		}
		if !b.Lamp {
			continue
		}
		l := f.lamps[b.Key]
		if !l.Lit(f.now) {
			continue
		}
		x, y, rad := ledAt(b, r)
		sprites.draw(p, x, y, rad, lampColor(l.Color))
	}
	r := layout.Badge.Offset(o.X, o.Y)
	y := r.Y + 78
	p.text(fmt.Sprintf("vol %d", f.snap.Volume), r.X+r.W/2, y, 10, regular, center, colBadgeText)
	y += 18
	if f.focused {
		p.fill(layout.Rect{X: r.X + 12, Y: y - 9, W: r.W - 24, H: 18}, colFocus)
		p.text("keyboard", r.X+r.W/2, y, 11, bold, center, colKeyText)
	}
	if f.notice != "" {
		p.text(clipText(f.notice, r.W+20, 10, regular), r.X+r.W/2, y+22, 10, regular, center, colAmber)
	}
}

// ledAt is where key b's LED is: left of the label on line and DSS keys,
// top right on function keys.
func ledAt(b layout.Button, r layout.Rect) (x, y, rad float64) {
	if isLineOrDSS(b.Key) {
		return r.X + 11, r.Y + r.H/2, 5
	}
	return r.X + r.W - 8, r.Y + 7, 3.5
}

func isLineOrDSS(k keypad.Key) bool {
	return (k >= keypad.L1 && k <= keypad.L8) || (k >= keypad.D1 && k <= keypad.D10)
}

// handset draws the handset over the cradle's recess: lying in it, or
// lifted out of it (turned and raised, the hook switch up, the coiled
// cord showing). The recess itself is in the static layer.
func (p *painter) handset(o layout.Rect, lifted bool) {
	cr := layout.Cradle.Offset(o.X, o.Y)
	for _, y := range []float64{cr.Y + 150, cr.Y + 270} { // the hook switch
		h := 6.0
		if lifted {
			h = 14
		}
		p.roundRect(layout.Rect{X: cr.X + 30, Y: y, W: 20, H: h}, 3, colKey)
	}
	cx, cy := cr.Center()
	angle, dx, dy := 0.0, 0.0, 0.0
	if lifted {
		angle, dx, dy = -4*math.Pi/180, -4, -10
		for i := range 7 { // the coiled cord, inside the cradle
			t := float64(i) / 6
			x := cr.X + 14 + 52*t
			y := cr.Y + cr.H - 14 + 6*math.Sin(t*math.Pi)
			p.circle(x, y, 5, colHandsetHi)
			p.circle(x, y, 3.5, colHandset)
		}
	}
	turn := func(x, y float64) [2]float64 {
		x, y = x-cx, y-cy
		s, c := math.Sin(angle), math.Cos(angle)
		return [2]float64{cx + dx + x*c - y*s, cy + dy + x*s + y*c}
	}
	piece := func(x0, y0, x1, y1, rad float64, shift float64) [][2]float64 {
		var pts [][2]float64
		corners := [][3]float64{{x1 - rad, y0 + rad, -90}, {x1 - rad, y1 - rad, 0}, {x0 + rad, y1 - rad, 90}, {x0 + rad, y0 + rad, 180}}
		for _, c := range corners {
			for k := 0; k <= 6; k++ {
				a := (c[2] + float64(k)*15) * math.Pi / 180
				pt := turn(c[0]+rad*math.Cos(a), c[1]+rad*math.Sin(a))
				pts = append(pts, [2]float64{pt[0] + shift, pt[1] + shift*1.6})
			}
		}
		return pts
	}
	if lifted { // a shadow on the body: the handset is off it
		p.polygon(piece(cr.X+24, cr.Y+60, cr.X+56, cr.Y+cr.H-60, 10, 7), colShadow)
		p.polygon(piece(cr.X+4, cr.Y+6, cr.X+cr.W-4, cr.Y+92, 22, 7), colShadow)
		p.polygon(piece(cr.X+4, cr.Y+cr.H-92, cr.X+cr.W-4, cr.Y+cr.H-6, 22, 7), colShadow)
	}
	p.polygon(piece(cr.X+24, cr.Y+60, cr.X+56, cr.Y+cr.H-60, 10, 0), colHandset)        // grip
	p.polygon(piece(cr.X+4, cr.Y+6, cr.X+cr.W-4, cr.Y+92, 22, 0), colHandset)           // earpiece
	p.polygon(piece(cr.X+4, cr.Y+cr.H-92, cr.X+cr.W-4, cr.Y+cr.H-6, 22, 0), colHandset) // mouthpiece
	p.polygon(piece(cr.X+14, cr.Y+16, cr.X+cr.W-14, cr.Y+30, 6, 0), colHandsetHi)       // grille
	for i := range 3 {
		pt := turn(cr.X+cr.W/2-14+float64(i)*14, cr.Y+55)
		p.circle(pt[0], pt[1], 3, colHandsetHi)
	}
}

// lcd draws the screen: status bar, the core's title and lines, the call
// duration, and the soft-key labels above F1–F4.
func (p *painter) lcd(r layout.Rect, f *phoneFrame) {
	p.fill(r, colLCD)
	st := layout.StatusOf(f.snap, f.now)
	bar := layout.Rect{X: r.X, Y: r.Y, W: r.W, H: layout.StatusBar.H}
	p.fill(bar, colLCDBar)
	my := bar.Y + bar.H/2
	p.text(st.Time, bar.X+6, my, 12, bold, left, colLCDText)
	if st.Line != "" {
		p.fill(layout.Rect{X: bar.X + 52, Y: my - 4, W: 8, H: 8}, lampColor(st.LineState))
		p.text(st.Line, bar.X+64, my, 12, regular, left, colLCDText)
	}
	x := bar.X + bar.W - 6
	for _, icon := range []struct {
		show bool
		text string
	}{
		{st.Voicemail > 0, "VM " + strconv.Itoa(st.Voicemail)},
		{st.Missed > 0, "Missed " + strconv.Itoa(st.Missed)},
		{st.Forward, "FWD"},
		{st.DND, "DND"},
	} {
		if !icon.show {
			continue
		}
		w := textWidth(icon.text, 11, bold) + 8
		p.fill(layout.Rect{X: x - w, Y: bar.Y + 3, W: w, H: bar.H - 6}, colLCDText)
		p.text(icon.text, x-w/2, my, 11, bold, center, colLCD)
		x -= w + 4
	}
	t := layout.LCDOf(f.snap, f.now)
	y := bar.Y + bar.H + 16
	p.text(clipText(t.Title, r.W-70, 16, bold), r.X+8, y, 16, bold, left, colLCDText)
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
	for i, label := range t.SoftKeys {
		if label == "" {
			continue
		}
		b, _ := layout.ButtonOf(keypad.F1 + keypad.Key(i))
		box := layout.Rect{X: b.Rect.X + f.at.X, Y: r.Y + r.H - 24, W: b.Rect.W, H: 21}
		p.fill(box, colSoftLabel)
		p.text(clipText(label, box.W-4, 12, bold), box.X+box.W/2, box.Y+box.H/2, 12, bold, center, colLCD)
	}
}

// button draws one key of the static layer: its face, its dark LED and
// its label.
func (p *painter) button(b layout.Button, r layout.Rect, f *phoneFrame) {
	face := colKey
	if b.Key == keypad.X {
		face = colRedKey
	}
	cx, cy := r.Center()
	switch b.Key {
	case keypad.Up, keypad.Down, keypad.Left, keypad.Right:
		p.roundRect(r, 6, face)
		const s = 6
		tri := map[keypad.Key][][2]float64{
			keypad.Up:    {{cx, cy - s}, {cx + s, cy + s/2}, {cx - s, cy + s/2}},
			keypad.Down:  {{cx, cy + s}, {cx + s, cy - s/2}, {cx - s, cy - s/2}},
			keypad.Left:  {{cx - s, cy}, {cx + s/2, cy - s}, {cx + s/2, cy + s}},
			keypad.Right: {{cx + s, cy}, {cx - s/2, cy - s}, {cx - s/2, cy + s}},
		}[b.Key]
		p.polygon(tri, colKeyText)
		return
	case keypad.OK:
		p.circle(cx, cy, r.W/2, face)
		p.text("OK", cx, cy, 13, bold, center, colKeyText)
		return
	}
	p.roundRect(r, 5, face)
	if b.Lamp {
		x, y, rad := ledAt(b, r)
		p.circle(x, y, rad+1.5, colBezel)
		p.circle(x, y, rad, colLEDOff)
	}
	switch {
	case isLineOrDSS(b.Key):
		p.text(clipText(keyText(b.Key, f), r.W-26, 12, regular), r.X+21, cy, 12, regular, left, colKeyText)
	case b.Key >= keypad.Digit0 && b.Key <= keypad.Pound:
		label := b.Label
		if b.Key == keypad.Pound {
			label = "#"
		}
		if sub := layout.KeyLetters[b.Key]; sub == "" {
			p.text(label, cx, cy, 17, bold, center, colKeyText)
		} else {
			p.text(label, cx-10, cy, 17, bold, center, colKeyText)
			p.text(sub, cx+14, cy+1, 9, regular, center, colKeySub)
		}
	case b.Key >= keypad.F1 && b.Key <= keypad.F4:
	default:
		size := 11.0
		if textWidth(b.Label, size, bold) > r.W-8 {
			size = 9
		}
		tx := cx
		if b.Lamp {
			tx -= 3
		}
		p.text(b.Label, tx, cy, size, bold, center, colKeyText)
	}
}

// keyText is a line key's number or a DSS key's label.
func keyText(k keypad.Key, f *phoneFrame) string {
	if n, ok := k.Line(); ok {
		for _, l := range f.snap.Lines {
			if l.Line == n {
				return l.User
			}
		}
	}
	if n, ok := k.DSS(); ok {
		if s := layout.DSSLabel(f.snap, n); s != "" {
			return s
		}
	}
	return k.String()
}
