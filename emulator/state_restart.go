package emulator

import (
	"errors"
	"fmt"
	"net/netip"
)

// ChangeIP moves the phone to another IP address at run time: SIP and RTP
// rebind there, the lines register again and IP Changed fires with the new
// $ip. (The HTTP server is moved by whoever runs it, before this input.)
type ChangeIP struct{ IP string }

func (ChangeIP) input() {}

// ErrRestarting is returned while a reboot or IP change is under way.
var ErrRestarting = errors.New("phone is restarting")

// reboot is the Reboot key: unregister, restart the SIP side in process,
// then fire Setup Completed again and register (spec §3.2 key=Reboot).
func (s *state) reboot() error {
	if s.p.sig == nil {
		return ErrNoSIP
	}
	if s.restart != "" {
		return ErrRestarting
	}
	s.restart = "reboot"
	s.resetUI()
	s.p.sig.Restart(s.identity.IP)
	return nil
}

func (s *state) changeIP(ip string) error {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return fmt.Errorf("bad IP address %q", ip)
	}
	if s.p.sig == nil {
		return ErrNoSIP
	}
	if s.restart != "" {
		return ErrRestarting
	}
	if a.String() == s.identity.IP {
		return nil
	}
	s.restart = "ip:" + a.String()
	s.p.sig.Restart(a.String())
	return nil
}

// resetUI drops what a reboot forgets: typed digits, menus, transfers.
// Settings (DND, forwarding) and the call history are kept, as a real
// phone keeps them in flash.
func (s *state) resetUI() {
	s.dialing, s.menu, s.xfer, s.notice = "", nil, nil, ""
}

func (s *state) onRestarted(in SIPRestarted) {
	kind := s.restart
	s.restart = ""
	if in.Err != "" {
		s.notice = "Network restart failed: " + in.Err
		s.p.log.Error("SIP restart failed", "ip", in.IP, "error", in.Err)
		return
	}
	if kind == "reboot" {
		s.setupCompleted() // fires Setup Completed, then registers
		return
	}
	s.identity.IP = in.IP
	s.emit(EventIPChanged, 0, nil)
	s.p.sig.Register()
	s.watchBLF()
}
