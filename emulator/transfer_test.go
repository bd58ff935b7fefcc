package emulator_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// recordingSignaling is the SIP side of a phone whose SIP reports the test
// posts itself, in an order real SIP can produce but not on demand: each
// message is handled on its own goroutine, so a BYE can overtake a 202. It
// records what the phone asked of it. Methods the flows below never reach
// are left to the nil embedded interface.
type recordingSignaling struct {
	emulator.Signaling
	mu    sync.Mutex
	calls []string
	more  broadcast // woken on every call recorded
}

func (r *recordingSignaling) record(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
	r.more.wake()
}

// waitDid waits until the phone has asked for call, failing the test
// after a few seconds.
func (r *recordingSignaling) waitDid(t *testing.T, call string) {
	t.Helper()
	waitOn(t, &r.mu, &r.more, func() bool { return slices.Contains(r.calls, call) },
		func() string { return fmt.Sprintf("the phone did not ask for %q; asked %q", call, r.snapshot()) })
}

func (r *recordingSignaling) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func (r *recordingSignaling) did(call string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.calls, call)
}

func (r *recordingSignaling) Start(context.Context, emulator.Poster) error { return nil }
func (r *recordingSignaling) Register()                                    {}
func (r *recordingSignaling) Stop(context.Context) error                   { return nil }
func (r *recordingSignaling) Mute(bool)                                    {}
func (r *recordingSignaling) Dial(ref emulator.CallRef, line int, target string) {
	r.record("Dial %s %s", ref, target)
}
func (r *recordingSignaling) Hangup(ref emulator.CallRef) { r.record("Hangup %s", ref) }
func (r *recordingSignaling) Hold(ref emulator.CallRef)   { r.record("Hold %s", ref) }
func (r *recordingSignaling) Unhold(ref emulator.CallRef) { r.record("Unhold %s", ref) }
func (r *recordingSignaling) Ring(ref emulator.CallRef)   { r.record("Ring %s", ref) }
func (r *recordingSignaling) Answer(ref emulator.CallRef) { r.record("Answer %s", ref) }
func (r *recordingSignaling) SetLine(line int, cfg emulator.LineConfig) {
	r.record("SetLine L%d %s@%s", line, cfg.User, cfg.Server)
}
func (r *recordingSignaling) Unwatch(key int) { r.record("Unwatch D%d", key) }
func (r *recordingSignaling) Watch(key, line int, target string) {
	r.record("Watch D%d %s", key, target)
}
func (r *recordingSignaling) Reject(ref emulator.CallRef, code int) {
	r.record("Reject %s %d", ref, code)
}
func (r *recordingSignaling) Redirect(ref emulator.CallRef, target string) {
	r.record("Redirect %s %s", ref, target)
}
func (r *recordingSignaling) Transfer(ref emulator.CallRef, target string, replaces emulator.CallRef) {
	r.record("Transfer %s %q %s", ref, target, replaces)
}

// phoneWithRecordingSignaling starts a phone (line 1001) whose SIP side
// records what it is asked; opts adjust its configuration.
func phoneWithRecordingSignaling(t testing.TB, opts ...func(*emulator.Config)) (*emulator.Phone, *events, *recordingSignaling) {
	t.Helper()
	sig := &recordingSignaling{}
	cfg := emulator.Config{
		Identity: emulator.Identity{Name: "bob", IP: "127.0.0.1"},
		Lines:    []emulator.LineConfig{{User: "1001", Server: "127.0.0.1:5060"}},
	}
	for _, o := range opts {
		o(&cfg)
	}
	p := emulator.New(cfg, sig)
	ev := &events{}
	ev.record(p)
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p, ev, sig
}

// keys presses a key sequence ("1;0;0;2;OK").
func keys(t *testing.T, p *emulator.Phone, seq string) {
	t.Helper()
	ks, err := keypad.ParseSequence(seq)
	if err != nil {
		t.Fatal(err)
	}
	press(t, p, ks...)
}

// answered reports the dialled call ref (to user) ringing, then answered.
func answered(t *testing.T, p *emulator.Phone, ref emulator.CallRef, user string) {
	t.Helper()
	feed(t, p, emulator.SIPCallStarted{Ref: ref, CallID: string(ref) + "-call", RemoteURI: "sip:" + user + "@127.0.0.1:5060"},
		emulator.SIPProgress{Ref: ref, Code: 180}, emulator.SIPAnswered{Ref: ref, Media: &emulator.MediaStats{}})
}

// transferStarted brings a phone to a transfer just begun: call o1 (to
// 1002) answered, F_TRANSFER pressed and the call held.
func transferStarted(t *testing.T, opts ...func(*emulator.Config)) (*emulator.Phone, *events, *recordingSignaling) {
	t.Helper()
	p, ev, sig := phoneWithRecordingSignaling(t, opts...)
	keys(t, p, "1;0;0;2;OK")
	answered(t, p, "o1", "1002")
	keys(t, p, "F_TRANSFER")
	feed(t, p, emulator.SIPHold{Ref: "o1", Held: true})
	return p, ev, sig
}

// consultedTransfer brings a phone to the moment after the second
// F_TRANSFER of an attended transfer: call o1 (to 1002) held, consultation
// call o2 (to 1003) up, REFER asked for on o1 with Replaces of o2.
func consultedTransfer(t *testing.T, opts ...func(*emulator.Config)) (*emulator.Phone, *events, *recordingSignaling) {
	t.Helper()
	p, ev, sig := transferStarted(t, opts...)
	keys(t, p, "1;0;0;3;F2")
	answered(t, p, "o2", "1003")
	keys(t, p, "F_TRANSFER")
	for _, want := range []string{"Dial o1 1002", "Hold o1", "Dial o2 1003", `Transfer o1 "" o2`} {
		if !sig.did(want) {
			t.Fatalf("the phone did not ask for %q; asked %q", want, sig.calls)
		}
	}
	return p, ev, sig
}

// blindTransferSent brings a phone to the moment after F_TRANSFER, 1003,
// F_TRANSFER on call o1 (to 1002): REFER asked for, outcome not known yet.
func blindTransferSent(t *testing.T) (*emulator.Phone, *events, *recordingSignaling) {
	t.Helper()
	p, ev, sig := transferStarted(t)
	keys(t, p, "1;0;0;3;F_TRANSFER")
	if !sig.did(`Transfer o1 "1003" `) {
		t.Fatalf("the phone did not ask for the blind transfer; asked %q", sig.calls)
	}
	return p, ev, sig
}

// countOf counts the events of one type delivered so far.
func countOf(ev *events, typ emulator.EventType) int {
	n := 0
	for _, e := range ev.list() {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// feed applies SIP reports to the phone in the order given.
func feed(t testing.TB, p *emulator.Phone, ins ...emulator.Input) {
	t.Helper()
	for _, in := range ins {
		if err := p.Do(context.Background(), in); err != nil {
			t.Fatalf("%T: %v", in, err)
		}
	}
}

// wantTransferred checks that the phone left the original call o1 and that
// Transfer Call and Attended Transfer each fired once.
func wantTransferred(t *testing.T, p *emulator.Phone, ev *events, sig *recordingSignaling) {
	t.Helper()
	settle(t, p, ev)
	if !sig.did("Hangup o1") {
		t.Errorf("the original call was not left; asked %q", sig.calls)
	}
	for _, typ := range []emulator.EventType{emulator.EventTransferCall, emulator.EventAttendedTransfer} {
		if n := countOf(ev, typ); n != 1 {
			t.Errorf("%v fired %d times, want once", typ, n)
		}
	}
}

// The target's BYE of the consultation call (it accepted the Replaces)
// overtakes the REFER's 202: Transfer Call and Attended Transfer still fire,
// once, and the phone leaves the original call when the 202 comes.
func TestAttendedTransferWhenTheConsultationEndsBeforeThe202(t *testing.T) {
	p, ev, sig := consultedTransfer(t)
	feed(t, p, emulator.SIPEnded{Ref: "o2", ByRemote: true})
	if sig.did("Hangup o1") {
		t.Fatal("left the original call before knowing the REFER's outcome")
	}
	feed(t, p, emulator.SIPTransfer{Ref: "o1", Code: 202}, emulator.SIPTransfer{Ref: "o1", Notify: 200})
	wantTransferred(t, p, ev, sig)
}

// The transferee's final NOTIFY (sipfrag 200) overtakes the 202: it implies
// the REFER was accepted.
func TestAttendedTransferWhenTheNotifyComesBeforeThe202(t *testing.T) {
	p, ev, sig := consultedTransfer(t)
	feed(t, p, emulator.SIPTransfer{Ref: "o1", Notify: 200}, emulator.SIPTransfer{Ref: "o1", Code: 202})
	wantTransferred(t, p, ev, sig)
}

// The consultation call ends and the REFER then fails: no transfer events,
// and the held original call is resumed.
func TestAttendedTransferRefusedAfterTheConsultationEnded(t *testing.T) {
	p, ev, sig := consultedTransfer(t)
	feed(t, p, emulator.SIPEnded{Ref: "o2", ByRemote: true}, emulator.SIPTransfer{Ref: "o1", Code: 403, Err: "403 Forbidden"})
	settle(t, p, ev)
	if !sig.did("Unhold o1") || sig.did("Hangup o1") {
		t.Errorf("want the original call resumed, not left; asked %q", sig.calls)
	}
	if n := countOf(ev, emulator.EventTransferCall); n != 0 {
		t.Errorf("Transfer Call fired for a refused REFER")
	}
}

// A transferee that hangs up the moment it accepts a blind transfer: its
// BYE overtakes the REFER's 202, and Transfer Call and Blind Transfer still
// fire once.
func TestBlindTransferWhenTheTransfereeHangsUpBeforeThe202(t *testing.T) {
	p, ev, sig := blindTransferSent(t)
	feed(t, p, emulator.SIPEnded{Ref: "o1", ByRemote: true}, emulator.SIPTransfer{Ref: "o1", Code: 202})
	settle(t, p, ev)
	for _, typ := range []emulator.EventType{emulator.EventTransferCall, emulator.EventBlindTransfer} {
		if n := countOf(ev, typ); n != 1 {
			t.Errorf("%v fired %d times, want once; asked %q", typ, n, sig.calls)
		}
	}
}

// The far end hangs up and the REFER then fails: no transfer events.
func TestBlindTransferRefusedAfterTheCallEnded(t *testing.T) {
	p, ev, _ := blindTransferSent(t)
	feed(t, p, emulator.SIPEnded{Ref: "o1", ByRemote: true}, emulator.SIPTransfer{Ref: "o1", Err: "context canceled"})
	settle(t, p, ev)
	if n := countOf(ev, emulator.EventTransferCall); n != 0 {
		t.Errorf("Transfer Call fired for a REFER that failed")
	}
	if s := p.Snapshot(); len(s.Calls) != 0 {
		t.Errorf("calls left: %+v", s.Calls)
	}
}
