package emulator

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A key pressed while the phone still waits for the network acts on a state
// that is about to change: F_HOLD;F_HOLD would meet the first hold's
// re-INVITE in flight and do nothing. A desk phone's user sees the screen
// change before pressing on; a sequence of keys sent at once (Active URI
// key=A;B;C, a scenario) waits the same way: each key after the first
// waits until the phone has settled from the one before.

// SettleTimeout bounds how long a key of a sequence waits for the phone to
// settle from the previous key.
const SettleTimeout = 5 * time.Second

// ErrNotSettled is returned by WaitSettled when the phone still waits for
// the network at the deadline.
var ErrNotSettled = errors.New("phone still waiting")

// pendingWork says what the phone waits for from the network, "" when
// nothing: a hold or resume re-INVITE, an answer being confirmed, an
// outgoing INVITE with no response yet (a provisional 180/183 counts: the
// target may ring for a long time), a REFER with no outcome, a conference
// waiting for its resume, or a restart.
func (s *state) pendingWork() string {
	for _, c := range s.calls {
		switch {
		case c.holding:
			return fmt.Sprintf("the hold/resume re-INVITE of call %s", c.ref)
		case c.answering:
			return fmt.Sprintf("the answer of call %s to be confirmed", c.ref)
		case !c.incoming && (c.state() == CallNew || c.state() == CallCalling):
			return fmt.Sprintf("a response to the INVITE of call %s", c.ref)
		}
	}
	if x := s.xfer; x != nil && x.sent && !x.accepted {
		return "the REFER's answer"
	}
	if s.confJoin != nil {
		return "the conference to join"
	}
	if s.restart != "" {
		return "the SIP side to restart"
	}
	return ""
}

// WaitSettled waits until d has nothing pending from the network
// (Snapshot.Pending is empty) or ctx ends; then the error wraps
// ErrNotSettled and says what the phone still waits for.
func WaitSettled(ctx context.Context, d Device) error {
	if d.Snapshot().Pending == "" {
		return nil
	}
	wake := make(chan struct{}, 1)
	cancel := d.Subscribe(func(Event) {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	defer cancel()
	for {
		p := d.Snapshot().Pending
		if p == "" {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return fmt.Errorf("%w for %s", ErrNotSettled, p)
		}
	}
}
