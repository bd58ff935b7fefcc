//go:build gui

package gui

import (
	"log/slog"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// sound plays the phone's tones. A nil *sound is silent.
type sound struct{ log *slog.Logger }

func newSound(log *slog.Logger) *sound { return nil }

func (s *sound) event(v *phoneView, ev emulator.Event) {}
func (s *sound) click(k keypad.Key)                    {}
func (s *sound) hook(lift bool)                        {}
