//go:build gui

package gui

import (
	"image/color"

	"github.com/phonesim/phonesim/gui/layout"
)

func rgb(v uint32) color.RGBA { return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff} }

// The palette: a dark desk phone on a light desk, a backlit LCD.
var (
	colDesk       = rgb(0xdfe3e8)
	colShadow     = color.RGBA{0, 0, 0, 0x40}
	colBody       = rgb(0x2b2e34)
	colBodyEdge   = rgb(0x3b3f47)
	colRecess     = rgb(0x141518)
	colHandset    = rgb(0x3a3e46)
	colHandsetHi  = rgb(0x555a64)
	colKey        = rgb(0x4a4f59)
	colPressed    = color.RGBA{0xff, 0xff, 0xff, 0x40} // over a key held down
	colKeyText    = rgb(0xeef0f3)
	colKeySub     = rgb(0xa8adb6)
	colRedKey     = rgb(0xa33a3a)
	colBezel      = rgb(0x111214)
	colLCD        = rgb(0xd6e8f0)
	colLCDBar     = rgb(0xa9c7d8)
	colLCDText    = rgb(0x0f2430)
	colLCDDim     = rgb(0x4a6878)
	colSoftLabel  = rgb(0x24485c)
	colLEDOff     = rgb(0x202226)
	colGreen      = rgb(0x35d24a)
	colRed        = rgb(0xff3b30)
	colAmber      = rgb(0xffb020)
	colFocus      = rgb(0x2f80ed)
	colBadgeText  = rgb(0xc9cdd4)
	colConsole    = rgb(0xfbfbfc)
	colConsoleHdr = rgb(0x2b2e34)
	colConsoleTxt = rgb(0x1f2328)
	colConsoleDim = rgb(0x6e7781)
	colOK         = rgb(0x1a7f37)
	colErr        = rgb(0xcf222e)
	colOverlay    = color.RGBA{0x10, 0x12, 0x16, 0xe8}
)

func lampColor(c layout.Color) color.Color {
	switch c {
	case layout.Green:
		return colGreen
	case layout.Red:
		return colRed
	case layout.Amber:
		return colAmber
	}
	return colLEDOff
}
