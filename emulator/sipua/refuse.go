package sipua

import (
	"github.com/emiago/diago"

	"github.com/phonesim/phonesim/emulator"
)

// refuse answers a ringing incoming call with a final error response
// (486, 480, 603...). The call ends for the phone at once: SIPEnded is
// posted before the response is sent, because
// sending it waits for the caller's ACK, up to Timer H (64*T1 = 32 s,
// RFC 3261 §17.2.1) when the caller has gone away. Until then the phone
// would show a ringing call that no key can end (issue 7). The leg stays
// in the UA's calls until the transaction ends, so Stop lets the response
// go out before it closes the socket.
func (u *UA) refuse(d *diago.DialogServerSession, leg *callLeg, code int) {
	u.to.Post(emulator.SIPEnded{Ref: leg.ref, Code: code, Reason: reasonPhrase(code)})
	if err := d.Respond(code, reasonPhrase(code), nil); err != nil {
		u.log.Debug("reject failed", "call", leg.ref, "code", code, "error", err)
	}
}
