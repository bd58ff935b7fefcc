package emulator

// Handset lifts the handset from its cradle (Lift true) or puts it back.
// The GUI's handset drives it; Snapshot shows a lifted handset as
// Hook "off_hook" with AudioPath "handset".
//
// What a desk phone does (Fanvil X-series and Yealink T4x user guides,
// "Placing calls: using the handset" / "Answering calls" / "Ending calls"):
// lifting the handset in idle gives a dial tone (Off-hook); lifting it while
// a call rings answers it; lifting it during a hands-free or headset call
// moves the audio to the handset. Replacing it ends the call in focus, or,
// with no call, goes back on hook. A call moved to the speaker (SPEAKER
// while the handset is up) survives replacing the handset.
type Handset struct{ Lift bool }

func (Handset) input() {}

func (s *state) handset(lift bool) error {
	up := s.audioPath == PathHandset && s.hookState() == HookOff
	if lift {
		switch c := s.ringing(); {
		case up:
			return nil // already in the hand
		case c != nil && len(s.calls) == 1:
			s.audioPath = PathHandset
			s.answerWaiting(c)
		case len(s.calls) > 0 || s.hookState() == HookOff:
			s.audioPath = PathHandset // a hands-free call or dial tone moves to the handset
		default:
			s.audioPath = PathHandset
			fire(s.hook, evLift)
		}
		return nil
	}
	if !up {
		return nil // the audio is on the speaker or headset: replacing changes nothing
	}
	if c := s.focus(); c != nil {
		s.hangup(c)
		return nil
	}
	s.dialing = ""
	fire(s.hook, evHang)
	return nil
}
