package emulator

import (
	"strconv"
	"time"
)

// transfer is a transfer under way (RFC 5589 flows), keyed as on Fanvil,
// Yealink and Grandstream desk phones:
//
//	blind:         F_TRANSFER, digits, F_TRANSFER (or soft key Blind)
//	               -> REFER to the number at once
//	consultation:  F_TRANSFER, digits, OK (or POUND, or soft key Call)
//	               -> a second call; the first stays held
//	attended:      then F_TRANSFER while the target talks
//	               -> REFER with Replaces of the consultation call
//	semi-attended: F_TRANSFER while the consultation call still rings
//	               -> the REFER with Replaces goes when the target answers
//	cancel:        X (soft key Cancel) ends the consultation call and
//	               returns to the held call
//
// Semi-attended follows Yealink's transfer.semi_attend_tran_enable = 1
// (the default): "when the user presses the TRAN key after hearing the
// ringback tone, the IP phone will transfer the call after the transferee
// answers the call", "implemented by a REFER method with Replaces in the
// Refer-To header" (Yealink W53P/T48G administrator guides, Call Transfer).
//
// The call being transferred is held while the user dials.
type transfer struct {
	orig    *call
	consult *call // the consultation call, once placed
	// semi: F_TRANSFER came while the consultation call rang; the REFER
	// goes when it is answered.
	semi     bool
	blind    bool // the REFER sent was blind
	sent     bool // REFER sent, waiting for 202
	accepted bool // 202 received: Transfer Call has fired
	// consultGone: the consultation call ended after our REFER but before
	// its 202 reached us (each SIP message is handled on its own
	// goroutine, so the target's BYE can overtake the 202); the REFER's
	// outcome decides what that meant.
	consultGone bool
	// origGone: the transferee hung up the original call after our REFER
	// but before its 202 reached us (some hang up the moment they accept).
	origGone bool
}

// acceptTransfer fires the spec's §2.4 events once: Transfer Call, then which kind.
func (s *state) acceptTransfer(x *transfer) {
	if x.accepted {
		return
	}
	x.accepted = true
	s.emit(EventTransferCall, 0, x.orig)
	if x.blind {
		s.emit(EventBlindTransfer, 0, x.orig)
	} else {
		s.emit(EventAttendedTransfer, 0, x.orig)
	}
}

// transferKey is F_TRANSFER.
func (s *state) transferKey() error {
	switch x := s.xfer; {
	case x == nil:
		c := s.talking()
		if c == nil {
			c = s.held()
		}
		if c == nil {
			return nil
		}
		s.xfer = &transfer{orig: c}
		s.dialing = ""
		s.hold(c)
	case x.sent:
	case x.consult != nil:
		switch x.consult.fsm.Current() {
		case CallTalking:
			// attended: the target talks
			s.referReplaces(x)
		case CallNew, CallCalling, CallRingback:
			// semi-attended: the target still rings
			x.semi = true
		}
	case s.dialing != "":
		// F_TRANSFER, digits, F_TRANSFER: blind
		return s.blindTransfer()
	}
	return nil
}

// referReplaces asks the transferee (orig) to call the consultation target
// with Replaces of the consultation call (RFC 5589 §7).
func (s *state) referReplaces(x *transfer) {
	x.sent = true
	s.p.sig.Transfer(x.orig.ref, "", x.consult.ref)
}

// transferAnswered completes a semi-attended transfer when its
// consultation call is answered.
func (s *state) transferAnswered(c *call) {
	if x := s.xfer; x != nil && x.semi && x.consult == c && !x.sent {
		s.referReplaces(x)
	}
}

// transferDialling reports the transfer target being typed: digits go to
// the number, OK/POUND/Call place the consultation call.
func (s *state) transferDialling() bool {
	x := s.xfer
	return x != nil && x.consult == nil && !x.sent
}

// blindTransfer sends the typed number as the REFER target.
func (s *state) blindTransfer() error {
	x := s.xfer
	if x == nil || x.sent || s.dialing == "" {
		return nil
	}
	x.blind, x.sent = true, true
	target := s.dialing
	s.dialing = ""
	s.p.sig.Transfer(x.orig.ref, target, "")
	return nil
}

// consultCall places the consultation call of an attended transfer.
func (s *state) consultCall() error {
	x := s.xfer
	if x == nil || x.consult != nil || s.dialing == "" {
		return nil
	}
	if err := s.dial(s.dialing, x.orig.line); err != nil {
		return err
	}
	x.consult = s.calls[len(s.calls)-1]
	return nil
}

// cancelTransfer is X during a transfer: drop the consultation call, if
// any, and resume the original call.
func (s *state) cancelTransfer() {
	x := s.xfer
	s.xfer = nil
	s.dialing = ""
	if x.consult != nil && x.consult.fsm.Current() != CallEnded {
		s.hangup(x.consult)
	}
	s.resume(x.orig)
}

func (s *state) onTransfer(in SIPTransfer) {
	x := s.xfer
	if x == nil || x.orig.ref != in.Ref {
		return
	}
	switch {
	case in.Err != "" || (in.Code != 0 && in.Code != 202) || in.Notify >= 300:
		code := in.Code
		if in.Notify >= 300 {
			code = in.Notify
		}
		s.notice = "Transfer failed"
		if code != 0 {
			s.notice += ": " + strconv.Itoa(code)
		}
		if in.Err != "" {
			s.notice += " " + in.Err
		}
		x.sent = false
		if x.blind || x.consultGone || x.origGone {
			s.xfer = nil
			s.resume(x.orig) // nothing to resume when it is gone
		}
	case in.Code == 202:
		s.acceptTransfer(x)
		if x.blind || x.consultGone {
			// Unattended: the transferor leaves at once. Attended, with
			// the consultation call already replaced: the same.
			s.hangup(x.orig)
			s.xfer = nil
		}
	case in.Notify >= 200:
		// The transferee reached the target (RFC 3515 §2.4.5 sipfrag):
		// leave the original call. The target ends the consultation
		// call when it accepts the Replaces (RFC 3891); a target that
		// ignored Replaces leaves it up, so end it after a grace time.
		// A NOTIFY can overtake the REFER's 202: it implies the 202.
		s.acceptTransfer(x)
		s.hangup(x.orig)
		if c := x.consult; c != nil {
			s.p.after(consultGrace, consultTimeout{ref: c.ref})
		}
		s.xfer = nil
	}
}

// consultGrace is how long the transfer target has to end the consultation
// call itself after a successful attended transfer.
const consultGrace = 2 * time.Second

type consultTimeout struct{ ref CallRef }

func (consultTimeout) input() {}

func (s *state) onConsultTimeout(in consultTimeout) {
	if c := s.call(in.ref); c != nil {
		s.p.log.Info("transfer target kept the consultation call; ending it", "call", c.ref)
		s.hangup(c)
	}
}

// transferCallEnded keeps the transfer consistent when one of its calls ends.
func (s *state) transferCallEnded(c *call) {
	x := s.xfer
	if x == nil {
		return
	}
	switch c {
	case x.orig:
		if x.sent && !x.accepted {
			// The REFER's outcome, still to come, decides whether this
			// was a transfer.
			x.origGone = true
			return
		}
		s.xfer = nil
		if x.consult != nil && !x.sent {
			// The transferee hung up while we consulted: keep talking
			// to the target as an ordinary call.
			s.p.log.Info("transferee hung up during transfer", "call", c.ref)
		}
	case x.consult:
		x.consult = nil
		if !x.sent {
			// The consultation call failed or ended before the
			// transfer: the transfer is over and the first call stays
			// held (soft key Resume), as on a Yealink or Fanvil.
			if x.semi {
				s.notice = "Transfer failed: " + c.endReason
			}
			s.xfer = nil
			s.dialing = ""
			return
		}
		// The target ended the consultation call after our REFER: it
		// accepted the Replaces (RFC 3891), so the transfer is done even
		// if the transferee's NOTIFY is late or lost. Leave the original
		// call too; if the REFER's 202 has not arrived yet, on its
		// arrival.
		if x.blind {
			return
		}
		if !x.accepted {
			x.consultGone = true
			return
		}
		s.hangup(x.orig)
		s.xfer = nil
	}
}

// onReferred: the far end of From asked us (REFER) to call Target; the SIP
// side is already calling it as call Ref.
func (s *state) onReferred(in SIPReferred) {
	ln := in.Line
	if s.lineN(ln) == nil {
		if from := s.call(in.From); from != nil {
			ln = from.line
		} else {
			ln = 1
		}
	}
	s.outgoing(in.Ref, ln, func(c *call) {
		if l := s.lineN(ln); l != nil {
			c.localURI, c.localDisplay = l.cfg.URI(), l.cfg.DisplayName
			c.remoteURI = TargetURI(in.Target, l.cfg.Server)
		} else {
			c.remoteURI = in.Target
		}
	})
}

// onReplaced: an INVITE with Replaces took over Old (RFC 3891); Old ends by
// its own SIPEnded.
func (s *state) onReplaced(in SIPReplaced) {
	if old := s.call(in.Old); old != nil {
		old.endReason = "replaced"
	}
}
