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

// SetDSS programs DSS key Key (1-based, D1..D10) as Key does: Kind
// DSSSpeedDial, DSSBLF, DSSTransfer, or "" for an unprogrammed key. A BLF
// key that changes stops watching its old target and watches the new one
// at once, as a Yealink or Fanvil re-subscribes when a DSS key is saved on
// its web page.
type SetDSS struct {
	Key int
	DSSKey
}

func (SetDSS) input() {}

// ErrBadDSS is wrapped by the errors SetDSS returns.
var ErrBadDSS = errors.New("bad DSS key")

func (s *state) setDSS(in SetDSS) error {
	if in.Key < 1 || in.Key > MaxDSS {
		return fmt.Errorf("%w: no key D%d (D1 to D%d)", ErrBadDSS, in.Key, MaxDSS)
	}
	k := in.DSSKey
	k.Value, k.Label = strings.TrimSpace(k.Value), strings.TrimSpace(k.Label)
	switch k.Kind {
	case "":
		k = DSSKey{}
	case DSSSpeedDial, DSSBLF, DSSTransfer:
		if k.Value == "" || strings.ContainsAny(k.Value, " \t\r\n<>\"") {
			return fmt.Errorf("%w: D%d value %q is not a number or SIP URI", ErrBadDSS, in.Key, k.Value)
		}
	default:
		return fmt.Errorf("%w: D%d type %q (speed_dial, blf, transfer or none)", ErrBadDSS, in.Key, k.Kind)
	}
	if s.restart != "" {
		return ErrRestarting
	}
	// Copy on write: the slice came from the caller's Config.
	keys := make([]DSSKey, max(len(s.p.cfg.DSS), in.Key))
	copy(keys, s.p.cfg.DSS)
	old := keys[in.Key-1]
	keys[in.Key-1] = k
	s.p.cfg.DSS = keys
	if old == k {
		return nil
	}
	if old.Kind == DSSBLF {
		delete(s.blf, in.Key)
		delete(s.pickups, in.Key)
		if s.p.sig != nil {
			s.p.sig.Unwatch(in.Key)
		}
	}
	if k.Kind == DSSBLF && s.p.sig != nil {
		s.p.sig.Watch(in.Key, s.selected, k.Value)
	}
	return nil
}
