//go:build gui

package gui

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/phonesim/phonesim/gui/layout"
)

// staticLayer is one phone's static part, drawn antialiased once into an
// image and reused until what it shows or the window changes.
type staticLayer struct {
	key   string // staticKey + placement
	img   *ebiten.Image
	x, y  int // where the image goes on the screen (whole pixels)
	valid bool
}

// pad around the phone in the layer, for the shadow and antialiasing.
const layerPad = 8

// draw puts the phone's static layer on p's target, redrawing the layer
// first if the phone or the placement changed.
func (l *staticLayer) draw(p *painter, f *phoneFrame) {
	px := p.offX + f.at.X*p.scale
	py := p.offY + f.at.Y*p.scale
	ix, iy := math.Floor(px)-layerPad, math.Floor(py)-layerPad
	w := int(math.Ceil(layout.PhoneW*p.scale)) + 2*layerPad + 2
	h := int(math.Ceil(layout.PhoneH*p.scale)) + 2*layerPad + 2
	key := staticKey(f.snap) + "|" + fmtFloat(p.scale) + "|" + fmtFloat(px) + "|" + fmtFloat(py)
	if !l.valid || l.key != key {
		if l.img != nil {
			l.img.Deallocate()
		}
		l.img = ebiten.NewImage(w, h)
		lp := &painter{dst: l.img, scale: p.scale, offX: px - ix, offY: py - iy, aa: true}
		local := *f
		local.at = layout.Rect{W: layout.PhoneW, H: layout.PhoneH}
		lp.staticPhone(&local)
		lp.flush()
		l.key, l.x, l.y, l.valid = key, int(ix), int(iy), true
	}
	op := &ebiten.DrawImageOptions{}
	op.GeoM.Translate(float64(l.x), float64(l.y))
	p.dst.DrawImage(l.img, op)
}

// restore puts back the layer's pixels under r (base units, screen
// placement), erasing what was drawn over them (a lamp that went dark).
func (l *staticLayer) restore(p *painter, r layout.Rect) {
	x0, y0 := p.px(r.X, r.Y)
	x1, y1 := p.px(r.X+r.W, r.Y+r.H)
	rect := image.Rect(int(math.Floor(float64(x0))), int(math.Floor(float64(y0))), int(math.Ceil(float64(x1))), int(math.Ceil(float64(y1))))
	src := rect.Sub(image.Pt(l.x, l.y)).Intersect(l.img.Bounds())
	if src.Empty() {
		return
	}
	op := &ebiten.DrawImageOptions{Blend: ebiten.BlendCopy}
	op.GeoM.Translate(float64(src.Min.X+l.x), float64(src.Min.Y+l.y))
	p.dst.DrawImage(l.img.SubImage(src).(*ebiten.Image), op)
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// spriteCache holds antialiased lit-LED discs by colour, radius and scale.
type spriteCache struct {
	m map[spriteKey]*ebiten.Image
}

type spriteKey struct {
	c     color.RGBA
	r     float64
	scale float64
}

// draw puts a lit LED of radius r (base units) centred on (x, y).
func (s *spriteCache) draw(p *painter, x, y, r float64, c color.Color) {
	if s.m == nil {
		s.m = map[spriteKey]*ebiten.Image{}
	}
	rgba := color.RGBAModel.Convert(c).(color.RGBA)
	k := spriteKey{rgba, r, p.scale}
	img, ok := s.m[k]
	size := int(math.Ceil(2*r*p.scale)) + 4
	if !ok {
		img = ebiten.NewImage(size, size)
		lp := &painter{dst: img, scale: p.scale, aa: true}
		half := float64(size) / 2 / p.scale
		lp.circle(half, half, r, c)
		s.m[k] = img
	}
	cx, cy := p.px(x, y)
	op := &ebiten.DrawImageOptions{}
	op.GeoM.Translate(math.Round(float64(cx)-float64(size)/2), math.Round(float64(cy)-float64(size)/2))
	p.dst.DrawImage(img, op)
}

// handsetCache holds the handset drawn antialiased, in the cradle and
// lifted, per scale and sub-pixel placement: lifting a handset blits
// another image instead of redrawing the phone.
type handsetCache struct {
	m map[handsetKey]*ebiten.Image
}

type handsetKey struct {
	lifted              bool
	scale, fracX, fracY float64
}

var handsets handsetCache // used by Draw only (ebiten's goroutine)

// handsetArea is the part of the phone the handset can cover, lifted.
var handsetArea = layout.Rect{X: layout.Cradle.X - 16, Y: layout.Cradle.Y - 16, W: layout.Cradle.W + 32, H: layout.Cradle.H + 32}

func (h *handsetCache) draw(p *painter, o layout.Rect, lifted bool) {
	if h.m == nil {
		h.m = map[handsetKey]*ebiten.Image{}
	}
	px, py := p.px(o.X+handsetArea.X, o.Y+handsetArea.Y)
	ix, iy := math.Floor(float64(px)), math.Floor(float64(py))
	k := handsetKey{lifted, p.scale, float64(px) - ix, float64(py) - iy}
	img, ok := h.m[k]
	if !ok {
		w := int(math.Ceil(handsetArea.W*p.scale)) + 2
		hh := int(math.Ceil(handsetArea.H*p.scale)) + 2
		img = ebiten.NewImage(w, hh)
		lp := &painter{dst: img, scale: p.scale, offX: k.fracX - handsetArea.X*p.scale, offY: k.fracY - handsetArea.Y*p.scale, aa: true}
		lp.handset(layout.Rect{}, lifted)
		lp.flush()
		h.m[k] = img
	}
	op := &ebiten.DrawImageOptions{}
	op.GeoM.Translate(ix, iy)
	p.dst.DrawImage(img, op)
}
