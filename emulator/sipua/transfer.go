package sipua

import (
	"errors"

	"github.com/phonesim/phonesim/emulator"
)

// errNotYet marks Signaling methods whose SIP side is being built.
var errNotYet = errors.New("not implemented yet")

// Hold implements emulator.Signaling.
func (u *UA) Hold(ref emulator.CallRef) {
	u.to.Post(emulator.SIPHold{Ref: ref, Held: true, Err: errNotYet.Error()})
}

// Unhold implements emulator.Signaling.
func (u *UA) Unhold(ref emulator.CallRef) {
	u.to.Post(emulator.SIPHold{Ref: ref, Held: false, Err: errNotYet.Error()})
}

// Transfer implements emulator.Signaling.
func (u *UA) Transfer(ref emulator.CallRef, target string, replaces emulator.CallRef) {
	u.to.Post(emulator.SIPTransfer{Ref: ref, Err: errNotYet.Error()})
}

// Redirect implements emulator.Signaling.
func (u *UA) Redirect(ref emulator.CallRef, target string) {
	u.decide(ref, decision{code: 302})
}

