package emulator

import (
	"context"
	"sync/atomic"
)

// CallRef names one call appearance for the life of the phone. Refs of
// outgoing calls are made by the phone ("o1", "o2", ...), refs of incoming
// calls by the Signaling adapter ("i1", ...), so they never collide.
type CallRef string

// Signaling is the SIP side of a phone (package emulator/sipua implements it
// with sipgo and diago). The phone's loop calls these methods; none may block
// the loop: an implementation starts the work and later reports the outcome by
// posting one of the SIP* inputs below to the Poster given to Start.
type Signaling interface {
	// Start binds the phone's SIP sockets and starts serving incoming
	// requests. It returns when the sockets are bound (or failed to bind).
	Start(ctx context.Context, to Poster) error
	// Register starts keeping every line registered (posting
	// SIPRegistration as it goes). The phone calls it once it has fired
	// Setup Completed, as a booting phone registers after start-up.
	Register()
	// Dial places a call from line (1-based) to target, which is a user
	// ("1002"), user@host, or a full sip: URI.
	Dial(ref CallRef, line int, target string)
	// Ring tells the SIP side that the phone took incoming call ref: it
	// rings (180 Ringing). The SIP side sends nothing for an incoming
	// INVITE until the phone has decided: Ring, or at once a final answer
	// (Reject when every call appearance is taken or DND is on, Redirect
	// when a forward applies), so a busy phone answers 486 with no 180
	// before it, as desk phones do (issue 7).
	Ring(ref CallRef)
	// Answer answers a ringing incoming call (200 OK with SDP).
	Answer(ref CallRef)
	// Reject answers a ringing incoming call with a final error (486, 603...).
	Reject(ref CallRef, code int)
	// Hangup ends a call: BYE when it is established, CANCEL when an
	// outgoing call is still ringing.
	Hangup(ref CallRef)
	// SendDTMF sends one RFC 4733 digit on an established call.
	SendDTMF(ref CallRef, digit rune)
	// Hold puts an established call on hold with a re-INVITE (a=sendonly,
	// or a=inactive when the far end holds us too; RFC 3264 §8.4) and
	// reports SIPHold{Held: true}; Unhold resumes it (a=sendrecv) and
	// reports SIPHold{Held: false}. A failed re-INVITE is reported with Err.
	Hold(ref CallRef)
	Unhold(ref CallRef)
	// Transfer sends REFER on an established call (RFC 3515). With
	// replaces empty it is a blind transfer to target; otherwise it is an
	// attended transfer: Refer-To is the far end of call replaces, with a
	// Replaces header for that dialog (RFC 3891). It reports
	// SIPTransfer with the REFER's outcome (202, or the error).
	Transfer(ref CallRef, target string, replaces CallRef)
	// Redirect answers a ringing incoming call 302 Moved Temporarily with
	// a Contact of target (call forwarding, RFC 3261 §21.3.3), reporting
	// SIPEnded{Code: 302}.
	Redirect(ref CallRef, target string)
	// Mix joins established calls into one local conference whose audio
	// the phone mixes: each leg hears the phone and every other leg. It
	// only rewires media, so it returns at once. Unmix takes a call out;
	// a conference of one dissolves.
	Mix(refs ...CallRef) error
	Unmix(ref CallRef)
	// Pickup places call ref from line to target with a Replaces header
	// (directed call pickup of a call ringing elsewhere, RFC 3891);
	// reported like Dial.
	Pickup(ref CallRef, line int, target, replaces string)
	// Mute makes every call carry silence instead of the phone's audio
	// (MUTE key), or the audio again.
	Mute(on bool)
	// Watch keeps a dialog-event subscription (RFC 4235) to target with
	// line's account, for BLF DSS key `key`, until Stop; lamp states come
	// back as SIPDialogState.
	Watch(key, line int, target string)
	// Unwatch ends key's subscription (SUBSCRIBE with Expires: 0, RFC
	// 6665 §4.1.2.3): its lamp reports stop. Watch on a key already
	// watched replaces its subscription.
	Unwatch(key int)
	// SetLine changes line's account (1-based): once Register has run,
	// it unregisters the old binding (SIPRegistration{State:
	// RegUnregistered}) and registers the new account as Register does;
	// before, the new account is simply the one Register will use.
	SetLine(line int, cfg LineConfig)
	// Restart stops the SIP side as Stop does (hanging up, unregistering,
	// reporting both), binds it again on ip (the same address for a
	// reboot, a new one when the phone's IP changes) and posts
	// SIPRestarted. It does not register: the phone calls Register.
	Restart(ip string)
	// Stop hangs up every call, unregisters every line (posting
	// SIPRegistration{State: RegUnregistered} for each) and closes the
	// sockets.
	Stop(ctx context.Context) error
}

// Poster takes inputs for a phone's loop without blocking.
type Poster interface{ Post(in Input) }

// RegState is the registration state of one line.
type RegState int

// Registration states of a line.
const (
	RegUnregistered RegState = iota
	RegRegistering
	RegRegistered
	RegFailed
)

func (s RegState) String() string { return regNames.str(int(s)) }

// MediaStats counts RTP packets of one call. The Signaling adapter owns the
// counters and updates them atomically; snapshots read them.
type MediaStats struct {
	RTPIn, RTPOut   atomic.Uint64 // RTP packets received / sent
	DTMFIn, DTMFOut atomic.Uint64 // RFC 4733 digits received / sent
	Codec           atomic.Value  // string, e.g. "PCMU"

	tap atomic.Pointer[audioTap] // set by the loop while the call is heard (audio.go)
}

// SIPRegistration reports the outcome of a REGISTER (or its refresh) for a
// line. Code is the SIP status of the last response (0 for a transport error).
type SIPRegistration struct {
	Line  int
	State RegState
	Code  int
	Err   string
}

// SIPIncoming reports a new incoming INVITE. The adapter has already sent
// 100 Trying and 180 Ringing (or will, right after posting).
type SIPIncoming struct {
	Ref           CallRef
	Line          int // line whose user the INVITE was for; 1 for direct IP calls
	CallID        string
	RemoteURI     string // From URI, e.g. "sip:1002@127.0.0.1"
	RemoteDisplay string
	LocalURI      string // To URI
	LocalDisplay  string
}

// SIPCallStarted reports that an outgoing INVITE has been sent, with its
// Call-ID.
type SIPCallStarted struct {
	Ref    CallRef
	CallID string
	// RemoteURI is the request URI actually called.
	RemoteURI     string
	RemoteDisplay string
}

// SIPProgress reports a provisional response (180 Ringing, 183) to an
// outgoing INVITE.
type SIPProgress struct {
	Ref  CallRef
	Code int
}

// SIPAnswered reports that a call is established (200 OK sent and ACKed, or
// received and ACKed), with its media counters.
type SIPAnswered struct {
	Ref           CallRef
	Media         *MediaStats
	RemoteDisplay string // display name learned from the answer, if any
}

// SIPEnded reports that a call is over: BYE either way, CANCEL, or a final
// error response. Code is the SIP status that ended it, if any.
type SIPEnded struct {
	Ref       CallRef
	Code      int
	Reason    string
	ByRemote  bool // the far end hung up, cancelled or rejected
	Cancelled bool // an incoming call the caller cancelled before it was answered
}

// SIPHold reports a hold or resume: Remote false is the outcome of our own
// Hold/Unhold (Err set when the re-INVITE failed); Remote true is the far
// end holding (a=sendonly/inactive in its offer) or resuming us.
type SIPHold struct {
	Ref    CallRef
	Held   bool
	Remote bool
	Err    string
}

// SIPTransfer reports the outcome of our REFER: Code 202 accepted, or the
// failure. Notify carries a later NOTIFY's sipfrag status (RFC 3515 §2.4.5),
// 0 when this report is about the REFER itself.
type SIPTransfer struct {
	Ref    CallRef
	Code   int
	Notify int
	Err    string
}

// SIPReferred reports that the far end of call From sent us a REFER and
// that we are now calling Target for it (the new call is Ref; its INVITE
// carries Replaces when the REFER asked for it). Reports for Ref follow as
// for a dialled call: SIPCallStarted, SIPProgress, SIPAnswered, SIPEnded.
type SIPReferred struct {
	Ref    CallRef
	From   CallRef
	Line   int
	Target string
}

// SIPReplaced reports that an incoming INVITE with Replaces (RFC 3891)
// took over call Old: the adapter has answered New (already reported by
// SIPIncoming and SIPAnswered) and ended Old (SIPEnded follows).
type SIPReplaced struct {
	Old, New CallRef
}

// SIPRestarted reports the end of a Restart: the SIP side listens on IP
// again, or could not (Err).
type SIPRestarted struct {
	IP  string
	Err string
}

// SIPDTMF reports a digit received on an established call.
type SIPDTMF struct {
	Ref   CallRef
	Digit rune
}

func (SIPRegistration) input() {}
func (SIPIncoming) input()     {}
func (SIPCallStarted) input()  {}
func (SIPProgress) input()     {}
func (SIPAnswered) input()     {}
func (SIPEnded) input()        {}
func (SIPDTMF) input()         {}
func (SIPHold) input()         {}
func (SIPTransfer) input()     {}
func (SIPReferred) input()     {}
func (SIPReplaced) input()     {}
func (SIPRestarted) input()    {}
