package emulator

import (
	"sort"
	"strconv"
)

// SIPMessageWaiting reports a message-summary NOTIFY (RFC 3842) for a line:
// "Messages-Waiting: yes" and the voice-message counts.
type SIPMessageWaiting struct {
	Line     int
	Waiting  bool
	New, Old int
}

func (SIPMessageWaiting) input() {}

// VoicemailStatus is one line's message-waiting state.
type VoicemailStatus struct {
	Line    int  `json:"line"`
	Waiting bool `json:"waiting"`
	New     int  `json:"new"`
	Old     int  `json:"old"`
}

func (s *state) onMessageWaiting(in SIPMessageWaiting) {
	if s.lineN(in.Line) == nil {
		return
	}
	if s.mwi == nil {
		s.mwi = map[int]SIPMessageWaiting{}
	}
	s.mwi[in.Line] = in
}

func (s *state) voicemail() []VoicemailStatus {
	if len(s.mwi) == 0 {
		return nil
	}
	out := make([]VoicemailStatus, 0, len(s.mwi))
	for _, m := range s.mwi {
		out = append(out, VoicemailStatus{Line: m.Line, Waiting: m.Waiting, New: m.New, Old: m.Old})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// messagesWaiting is the total of new messages, and whether any line has
// messages waiting (which lights the MSG LED).
func (s *state) messagesWaiting() (int, bool) {
	n, any := 0, false
	for _, m := range s.mwi {
		n += m.New
		any = any || m.Waiting
	}
	return n, any
}

func newMessagesLine(n int) string {
	if n == 1 {
		return "1 new voicemail"
	}
	return strconv.Itoa(n) + " new voicemails"
}
