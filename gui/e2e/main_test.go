//go:build gui

// Package e2e runs bin/phonesim-gui under X (Xvfb, started by the test
// when DISPLAY is unset) and drives it as a user does: mouse clicks and
// key presses through xdotool, screenshots through the GUI's own SIGUSR1
// hook, the phones' state through their status API, and the Action URLs
// through a real HTTP server. It imports no ebiten (ebiten needs a display
// before main runs), only the GUI's geometry to know where to click.
package e2e

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
