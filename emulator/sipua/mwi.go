package sipua

import (
	"bufio"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
)

// outOfDialog takes the requests diago has no handler for before they reach
// it: message-waiting NOTIFYs and the NOTIFYs of BLF subscriptions.
func (u *UA) outOfDialog(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if u.handleMessageSummary(req, tx) || u.handleDialogNotify(req, tx) {
			return
		}
		next(req, tx)
	}
}

// isNotifyFor reports a NOTIFY of the event package pkg (RFC 6665 §7.2.1:
// the Event header's package name, parameters aside, compared
// case-insensitively).
func isNotifyFor(req *sip.Request, pkg string) bool {
	if req.Method != sip.NOTIFY {
		return false
	}
	ev := req.GetHeader("Event")
	if ev == nil {
		return false
	}
	name, _, _ := strings.Cut(ev.Value(), ";")
	return strings.EqualFold(strings.TrimSpace(name), pkg)
}

// handleMessageSummary takes an unsolicited NOTIFY for the message-summary
// event (RFC 3842) — voicemail servers send them without a subscription —
// answers 200 and reports the line's message-waiting state. It reports false
// for any other request, which then goes on to diago (which answers an
// unsolicited NOTIFY 481 Call/Transaction Does Not Exist).
func (u *UA) handleMessageSummary(req *sip.Request, tx sip.ServerTransaction) bool {
	if !isNotifyFor(req, "message-summary") {
		return false
	}
	mw := parseMessageSummary(string(req.Body()))
	mw.Line = 1
	if to := req.To(); to != nil {
		mw.Line = u.lineFor(to.Address.User)
	}
	if req.Recipient.User != "" {
		mw.Line = u.lineFor(req.Recipient.User)
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	u.to.Post(mw)
	return true
}

// parseMessageSummary reads an application/simple-message-summary body
// (RFC 3842 §5.2):
//
//	Messages-Waiting: yes
//	Voice-Message: 2/8 (0/2)
//
// Unknown lines are ignored; a body without Messages-Waiting means no.
func parseMessageSummary(body string) emulator.SIPMessageWaiting {
	var mw emulator.SIPMessageWaiting
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "messages-waiting":
			mw.Waiting = strings.EqualFold(value, "yes")
		case "voice-message":
			counts, _, _ := strings.Cut(value, " ")
			n, o, _ := strings.Cut(counts, "/")
			mw.New, _ = strconv.Atoi(strings.TrimSpace(n))
			mw.Old, _ = strconv.Atoi(strings.TrimSpace(o))
			if mw.New < 0 {
				mw.New = 0
			}
			if mw.Old < 0 {
				mw.Old = 0
			}
		}
	}
	return mw
}
