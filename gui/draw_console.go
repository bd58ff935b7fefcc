//go:build gui

package gui

import (
	"fmt"
	"image/color"
	"time"

	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/gui/layout"
)

// console draws a phone's CTI console: newest first, every Action URL it
// sent (→ event, status or error, latency, URL) and every Active URI
// request it received (← keys, client, status, the phone's answer).
func (p *painter) console(r layout.Rect, name string, recs []fleet.ConsoleRecord) {
	p.roundRect(r, 8, colConsole)
	hdr := layout.Rect{X: r.X, Y: r.Y, W: r.W, H: 26}
	p.roundRect(hdr, 8, colConsoleHdr)
	p.fill(layout.Rect{X: r.X, Y: r.Y + 18, W: r.W, H: 8}, colConsoleHdr)
	p.text("CTI console · "+name, r.X+10, hdr.Y+hdr.H/2, 12, bold, left, colKeyText)
	y := hdr.Y + hdr.H + 12
	if len(recs) == 0 {
		p.text("no Action URL sent, no Active URI", r.X+10, y, 10.5, regular, left, colConsoleDim)
		p.text("request received yet", r.X+10, y+15, 10.5, regular, left, colConsoleDim)
		return
	}
	const size, step = 10.0, 14.0
	w := r.W - 16
	for i := len(recs) - 1; i >= 0 && y < r.Y+r.H-2*step; i-- {
		rec := recs[i]
		var head, status, detail string
		var ok bool
		switch {
		case rec.ActionURL != nil:
			d := rec.ActionURL
			head = "→ " + d.Event.String()
			ok = d.Result == "ok"
			status = fmt.Sprintf("%s %s", statusText(d.Status, d.Result), ms(d.Latency))
			detail = d.URL
			if d.Err != "" && d.Status == 0 {
				detail = d.Err + " · " + d.URL
			}
		case rec.ActiveURI != nil:
			q := rec.ActiveURI
			head = "← " + q.Command
			ok = q.Status >= 200 && q.Status < 300
			status = fmt.Sprintf("%d %s", q.Status, ms(q.Latency))
			detail = q.Client + " · " + q.Result
		}
		stamp := rec.Time().Format("15:04:05")
		p.text(stamp, r.X+8, y, size, mono, left, colConsoleDim)
		sw := textWidth(status, size, mono)
		var sc color.Color = colOK
		if !ok {
			sc = colErr
		}
		p.text(status, r.X+r.W-8, y, size, mono, right, sc)
		hx := r.X + 8 + textWidth(stamp+" ", size, mono)
		p.text(clipText(head, r.X+r.W-8-sw-6-hx, size, bold), hx, y, size, bold, left, colConsoleTxt)
		p.text(clipText(detail, w-10, size-1, mono), r.X+18, y+step-1, size-1, mono, left, colConsoleDim)
		y += 2*step + 4
	}
}

func statusText(code int, result string) string {
	if code != 0 {
		return fmt.Sprint(code)
	}
	return result
}

func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// help draws the keyboard map over the window.
func (p *painter) help(w, h float64) {
	box := layout.Rect{X: w/2 - 260, Y: 30, W: 520, H: min(h-60, 90+float64(len(layout.Bindings))*22)}
	p.fill(layout.Rect{W: w, H: h}, color.RGBA{0, 0, 0, 0x60})
	p.roundRect(box, 12, colOverlay)
	p.text("Keyboard — drives the highlighted phone", box.X+20, box.Y+24, 16, bold, left, colKeyText)
	y := box.Y + 56
	for _, b := range layout.Bindings {
		p.text(b.Keys, box.X+30, y, 13, bold, left, colAmber)
		p.text(b.Does, box.X+170, y, 13, regular, left, colKeyText)
		y += 22
	}
	p.text("Click any key; click the handset to lift or replace it. ? closes this.", box.X+20, y+8, 12, regular, left, colBadgeText)
}
