//go:build gui

package gui

import (
	"bytes"
	"image"
	"image/color"
	"sync"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/phonesim/phonesim/assets"
	"github.com/phonesim/phonesim/gui/layout"
)

// painter draws in base units onto the screen at a scale: shapes are
// vector paths and text is laid out at the final pixel size, so both stay
// sharp at any window size (nothing is drawn small and then stretched).
type painter struct {
	dst        *ebiten.Image
	scale      float64
	offX, offY float64
	// aa antialiases shapes. Only the cached layers (static.go) use it:
	// ebiten antialiases in a double-size buffer composited onto the
	// target, which costs a whole-screen pass per frame with software GL.
	aa    bool
	texts []textOp // drawn by flush, after the shapes
}

// textOp is one queued text.
type textOp struct {
	s    string
	face *text.GoTextFace
	op   *text.DrawOptions
}

// flush draws the queued texts. Shapes are antialiased, which ebiten does
// in a double-size buffer that it composites onto the screen whenever a
// non-antialiased draw (a glyph) comes between two shapes: drawing every
// shape first and every text after keeps that to once a frame, instead of
// once per key (with software GL under Xvfb, that is seconds per frame).
func (p *painter) flush() {
	for _, t := range p.texts {
		text.Draw(p.dst, t.s, t.face, t.op)
	}
	p.texts = p.texts[:0]
}

func (p *painter) px(x, y float64) (float32, float32) {
	return float32(p.offX + x*p.scale), float32(p.offY + y*p.scale)
}

func (p *painter) fill(r layout.Rect, c color.Color) {
	x, y := p.px(r.X, r.Y)
	vector.DrawFilledRect(p.dst, x, y, float32(r.W*p.scale), float32(r.H*p.scale), c, p.aa)
}

func (p *painter) stroke(r layout.Rect, width float64, c color.Color) {
	x, y := p.px(r.X, r.Y)
	vector.StrokeRect(p.dst, x, y, float32(r.W*p.scale), float32(r.H*p.scale), float32(width*p.scale), c, p.aa)
}

func (p *painter) circle(cx, cy, r float64, c color.Color) {
	x, y := p.px(cx, cy)
	vector.DrawFilledCircle(p.dst, x, y, float32(r*p.scale), c, p.aa)
}

func (p *painter) line(x0, y0, x1, y1, width float64, c color.Color) {
	ax, ay := p.px(x0, y0)
	bx, by := p.px(x1, y1)
	vector.StrokeLine(p.dst, ax, ay, bx, by, float32(width*p.scale), c, p.aa)
}

// roundRect fills r with corners of radius rad.
func (p *painter) roundRect(r layout.Rect, rad float64, c color.Color) {
	rad = min(rad, r.W/2, r.H/2)
	var path vector.Path
	x0, y0 := p.px(r.X, r.Y)
	x1, y1 := p.px(r.X+r.W, r.Y+r.H)
	k := float32(rad * p.scale)
	path.MoveTo(x0+k, y0)
	path.LineTo(x1-k, y0)
	path.QuadTo(x1, y0, x1, y0+k)
	path.LineTo(x1, y1-k)
	path.QuadTo(x1, y1, x1-k, y1)
	path.LineTo(x0+k, y1)
	path.QuadTo(x0, y1, x0, y1-k)
	path.LineTo(x0, y0+k)
	path.QuadTo(x0, y0, x0+k, y0)
	path.Close()
	p.fillPath(&path, c)
}

// polygon fills the closed shape through pts (base units).
func (p *painter) polygon(pts [][2]float64, c color.Color) {
	var path vector.Path
	for i, pt := range pts {
		x, y := p.px(pt[0], pt[1])
		if i == 0 {
			path.MoveTo(x, y)
		} else {
			path.LineTo(x, y)
		}
	}
	path.Close()
	p.fillPath(&path, c)
}

var whitePixel = func() *ebiten.Image {
	img := ebiten.NewImage(3, 3)
	img.Fill(color.White)
	return img.SubImage(image.Rect(1, 1, 2, 2)).(*ebiten.Image)
}

var white *ebiten.Image

func (p *painter) fillPath(path *vector.Path, c color.Color) {
	if white == nil {
		white = whitePixel()
	}
	vs, is := path.AppendVerticesAndIndicesForFilling(nil, nil)
	r, g, b, a := c.RGBA()
	for i := range vs {
		vs[i].SrcX, vs[i].SrcY = 1, 1
		vs[i].ColorR = float32(r) / 0xffff
		vs[i].ColorG = float32(g) / 0xffff
		vs[i].ColorB = float32(b) / 0xffff
		vs[i].ColorA = float32(a) / 0xffff
	}
	p.dst.DrawTriangles(vs, is, white, &ebiten.DrawTrianglesOptions{FillRule: ebiten.FillRuleNonZero, AntiAlias: p.aa})
}

// Font styles.
type style int

const (
	regular style = iota
	bold
	mono
)

var (
	sourcesOnce sync.Once
	sources     [3]*text.GoTextFaceSource
)

func source(s style) *text.GoTextFaceSource {
	sourcesOnce.Do(func() {
		for i, ttf := range [][]byte{assets.FontRegular, assets.FontBold, assets.FontMono} {
			src, err := text.NewGoTextFaceSource(bytes.NewReader(ttf))
			if err != nil {
				panic("gui: embedded font: " + err.Error()) // the Go fonts always parse
			}
			sources[i] = src
		}
	})
	return sources[s]
}

// Text alignment relative to the point given.
type align int

const (
	left align = iota
	center
	right
)

// text draws s with its vertical middle at y, x being its left edge,
// middle or right edge per a; size is in base units.
func (p *painter) text(s string, x, y, size float64, st style, a align, c color.Color) {
	if s == "" {
		return
	}
	face := &text.GoTextFace{Source: source(st), Size: size * p.scale}
	op := &text.DrawOptions{}
	px, py := p.px(x, y)
	op.GeoM.Translate(float64(px), float64(py))
	op.PrimaryAlign = [...]text.Align{text.AlignStart, text.AlignCenter, text.AlignEnd}[a]
	op.SecondaryAlign = text.AlignCenter
	op.ColorScale.ScaleWithColor(c)
	p.texts = append(p.texts, textOp{s, face, op})
}

// textWidth is s's width in base units.
func textWidth(s string, size float64, st style) float64 {
	w, _ := text.Measure(s, &text.GoTextFace{Source: source(st), Size: size}, 0)
	return w
}

// clipText shortens s with "…" to fit width (base units).
func clipText(s string, width, size float64, st style) string {
	if textWidth(s, size, st) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && textWidth(string(r)+"…", size, st) > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
