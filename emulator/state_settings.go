package emulator

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// SetLine changes the SIP account of line Line (1-based) at run time, as
// saving a line on a desk phone's web page does: the phone unregisters
// the old binding and registers the new account (Fanvil's and Yealink's
// "Line" pages re-register on Submit). Only configured lines can be
// changed.
type SetLine struct {
	Line   int
	Config LineConfig
}

func (SetLine) input() {}

// ErrBadLine is wrapped by the errors SetLine returns for an account the
// phone cannot use.
var ErrBadLine = errors.New("bad line account")

// setLine is the loop's half of SetLine: the line's account changes now
// (the snapshot shows it), and the SIP side swaps the registration
// (unregister the old binding, REGISTER the new one), reporting both with
// SIPRegistration as for a boot (RFC 3261 §10.2.2 removes a binding with
// Expires: 0).
func (s *state) setLine(in SetLine) error {
	l := s.lineN(in.Line)
	if l == nil {
		return fmt.Errorf("%w: no line L%d", ErrBadLine, in.Line)
	}
	cfg := in.Config
	cfg.User = strings.TrimSpace(cfg.User)
	cfg.Server = strings.TrimSpace(cfg.Server)
	if cfg.User == "" || cfg.Server == "" {
		return fmt.Errorf("%w: L%d needs a user and a server", ErrBadLine, in.Line)
	}
	if cfg.Expires == 0 {
		cfg.Expires = time.Hour
	}
	if cfg.Expires < 0 {
		return fmt.Errorf("%w: L%d expiry %v is negative", ErrBadLine, in.Line, cfg.Expires)
	}
	if s.restart != "" {
		return ErrRestarting
	}
	l.cfg = cfg
	if s.p.sig != nil {
		s.p.sig.SetLine(in.Line, cfg)
	}
	return nil
}
