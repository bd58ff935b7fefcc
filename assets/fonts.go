//go:build gui

package assets

import (
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
)

// The GUI's fonts: the Go fonts (BSD licence, shipped as a Go module, so
// nothing is downloaded at build time), embedded in the binary. Behind the
// gui tag so the headless binary does not carry them.
var (
	FontRegular = goregular.TTF // keys, labels, LCD text
	FontBold    = gobold.TTF    // LCD titles
	FontMono    = gomono.TTF    // the console: URLs line up
)
