// Package layout is the geometry and vocabulary of the GUI, kept free of
// ebiten so that it is tested without a display: where every key of a
// phone is, which key a click hits, how phones are arranged and scaled in
// the window, which keyboard key does what, and how a snapshot of the core
// becomes lamps and LCD text (view.go, the one place that reads the core's
// string vocabulary).
//
// Coordinates are base units: one unit is one pixel at scale 1.
package layout

// Rect is an axis-aligned rectangle.
type Rect struct{ X, Y, W, H float64 }

// Contains reports whether (x, y) is inside r (left and top edges in,
// right and bottom out, so neighbouring rectangles never both claim a
// point).
func (r Rect) Contains(x, y float64) bool {
	return x >= r.X && x < r.X+r.W && y >= r.Y && y < r.Y+r.H
}

// Center is the middle of r.
func (r Rect) Center() (x, y float64) { return r.X + r.W/2, r.Y + r.H/2 }

// Offset is r moved by (dx, dy).
func (r Rect) Offset(dx, dy float64) Rect { return Rect{r.X + dx, r.Y + dy, r.W, r.H} }

// Fit scales a base-size picture into a window of winW x winH pixels,
// keeping its proportions and centring it: the picture's (x, y) lands on
// window pixel (offX + x*scale, offY + y*scale).
func Fit(baseW, baseH, winW, winH float64) (scale, offX, offY float64) {
	if baseW <= 0 || baseH <= 0 || winW <= 0 || winH <= 0 {
		return 1, 0, 0
	}
	scale = min(winW/baseW, winH/baseH)
	return scale, (winW - baseW*scale) / 2, (winH - baseH*scale) / 2
}

// ToBase turns a window pixel into base units (the inverse of Fit).
func ToBase(px, py, scale, offX, offY float64) (x, y float64) {
	if scale == 0 {
		return px, py
	}
	return (px - offX) / scale, (py - offY) / scale
}
