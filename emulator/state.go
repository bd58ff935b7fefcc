package emulator

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/looplab/fsm"
)

// state is everything the loop owns. No other goroutine touches it.
type state struct {
	p        *Phone
	identity Identity // $mac, $ip...; the IP changes at run time
	hook     *fsm.FSM
	activity *fsm.FSM
	dnd      *fsm.FSM
	lines    []*line
	calls    []*call       // live appearances, oldest first
	heard    []*MediaStats // the calls whose received audio is heard (routeAudio)

	dialing    string // digits typed before a call is placed
	selected   int    // 1-based line for the next call
	volume     int
	muted      bool
	audioPath  AudioPath
	mwi        map[int]SIPMessageWaiting // line -> last message-summary
	blf        map[int]BLFLamp           // DSS key -> lamp state
	pickups    map[int]SIPDialogState    // DSS key -> how to pick up its ringing call
	lastDialed string
	lastDialLn int
	nextOut    int

	hookCall  *call        // the call the hook is lifted for, while it is
	xfer      *transfer    // a transfer under way
	confJoin  *confPending // calls waiting to be mixed (a conference is the calls in CallConf)
	fwd       forwarding
	menu      *menu // the LCD menu, when open
	history   []HistoryEntry
	notice    string // one-line message on the LCD (e.g. "Transfer failed: 603")
	restart   string // "reboot" or "ip" while the SIP side restarts
	provision ProvisionStatus

	seq      uint64
	counters Counters
	pending  []Event  // made during apply, published by flush
	last     Snapshot // last published snapshot, to detect changes
	haveLast bool
}

type line struct {
	n   int
	cfg LineConfig
	fsm *fsm.FSM
	// last REGISTER outcome
	code int
	err  string
}

type call struct {
	ref           CallRef
	line          int
	incoming      bool
	fsm           *fsm.FSM
	callID        string
	localURI      string
	localDisplay  string
	remoteURI     string
	remoteDisplay string
	started       time.Time
	answered      time.Time
	answering     bool // the user answered; waiting for the SIP side
	holding       bool // a hold or resume re-INVITE is under way
	remoteHeld    bool // the far end holds us (a=sendonly/inactive)
	media         *MediaStats
	// why it ended, for the Terminated/Missed Call events
	endCode   int
	endReason string
	missed    bool
	// early: an outgoing call whose INVITE has no Call-ID yet; its events
	// wait in earlyEvents (releaseEarly).
	early       bool
	earlyEvents []EventType
}

func newState(p *Phone) *state {
	s := &state{p: p, identity: p.cfg.Identity, selected: 1, volume: 5, audioPath: PathSpeaker,
		provision: ProvisionStatus{State: "never"}}
	s.hook = fsm.NewFSM(HookOn.String(), hookEvents(), fsm.Callbacks{
		"enter_" + HookOff.String(): func(context.Context, *fsm.Event) {
			c := s.hookCall
			if c == nil {
				c = s.focus()
			}
			s.emit(EventOffHook, 0, c)
		},
		"enter_" + HookOn.String(): func(context.Context, *fsm.Event) { s.emit(EventOnHook, 0, s.focus()) },
	})
	s.activity = fsm.NewFSM(ActivityIdle, activityEvents(), fsm.Callbacks{
		"enter_" + ActivityBusy: func(context.Context, *fsm.Event) { s.emit(EventIdleToBusy, 0, s.focus()) },
		"enter_" + ActivityIdle: func(context.Context, *fsm.Event) { s.emit(EventBusyToIdle, 0, nil) },
	})
	// The boot state from the configuration, without events.
	dnd := DNDOff
	if p.cfg.DND {
		dnd = DNDOn
	}
	for _, f := range p.cfg.Forward {
		if f.Kind < ForwardAlways || f.Kind > ForwardNoAnswer || (f.On && f.Target == "") {
			p.log.Warn("forwarding from the configuration ignored", "kind", f.Kind, "target", f.Target)
			continue
		}
		s.fwd.rule[f.Kind] = ForwardStatus{On: f.On, Target: f.Target}
		if f.Kind == ForwardNoAnswer && f.RingTimeout > 0 {
			s.fwd.ringTimeout = f.RingTimeout
		}
	}
	s.dnd = fsm.NewFSM(dnd, dndEvents(), fsm.Callbacks{
		"enter_" + DNDOn:  func(context.Context, *fsm.Event) { s.emit(EventDNDOn, 0, nil) },
		"enter_" + DNDOff: func(context.Context, *fsm.Event) { s.emit(EventDNDOff, 0, nil) },
	})
	for i, lc := range p.cfg.Lines {
		if i >= MaxLines {
			break
		}
		s.lines = append(s.lines, s.newLine(i+1, lc))
	}
	return s
}

func (s *state) newLine(n int, lc LineConfig) *line {
	l := &line{n: n, cfg: lc}
	l.fsm = fsm.NewFSM(RegUnregistered.String(), lineEvents(), fsm.Callbacks{
		"enter_" + RegRegistered.String(): func(context.Context, *fsm.Event) {
			s.counters.Registrations++
			s.emit(EventRegistered, n, nil)
		},
		"enter_" + RegFailed.String(): func(context.Context, *fsm.Event) {
			ev := s.event(EventRegistrationFailed, n, nil)
			ev.Cause = l.cause()
			s.push(ev)
		},
		"enter_" + RegUnregistered.String(): func(context.Context, *fsm.Event) { s.emit(EventUnregistered, n, nil) },
	})
	return l
}

func (l *line) cause() string {
	switch {
	case l.code != 0 && l.err != "":
		return strconv.Itoa(l.code) + " " + l.err
	case l.code != 0:
		return strconv.Itoa(l.code)
	}
	return l.err
}

// apply runs one input.
func (s *state) apply(in Input) error {
	switch in := in.(type) {
	case PressKey:
		return s.pressKey(in.Key)
	case DialNumber:
		return s.dialNumber(in)
	case SetDND:
		s.setDND(in.On)
		return nil
	case Handset:
		return s.handset(in.Lift)
	case SIPRegistration:
		s.onRegistration(in)
	case SIPIncoming:
		s.onIncoming(in)
	case SIPRefusedInDND:
		s.recordRefusedInDND(in.Calls, in.Recent)
	case SIPCallStarted:
		s.onCallStarted(in)
	case SIPProgress:
		if c := s.call(in.Ref); c != nil {
			fire(c.fsm, evProgress)
		}
	case SIPAnswered:
		s.onAnswered(in)
	case SIPEnded:
		s.onEnded(in)
	case SIPDTMF:
		if c := s.call(in.Ref); c != nil {
			s.p.log.Debug("dtmf received", "call", c.ref, "digit", string(in.Digit))
		}
	case SIPHold:
		s.onHold(in)
	case SIPTransfer:
		s.onTransfer(in)
	case SIPReferred:
		s.onReferred(in)
	case SIPReplaced:
		s.onReplaced(in)
	case SetForward:
		return s.setForward(in)
	case ringTimeout:
		s.onRingTimeout(in)
	case ringExpired:
		s.onRingExpired(in)
	case consultTimeout:
		s.onConsultTimeout(in)
	case SIPDialogState:
		s.onDialogState(in)
	case ProvisionResult:
		s.onProvisionResult(in)
	case SIPMessageWaiting:
		s.onMessageWaiting(in)
	case ChangeIP:
		return s.changeIP(in.IP)
	case SetLine:
		return s.setLine(in)
	case SetDSS:
		return s.setDSS(in)
	case SIPRestarted:
		s.onRestarted(in)
	case nil:
		return fmt.Errorf("nil input")
	default:
		return fmt.Errorf("unsupported input %T", in)
	}
	return nil
}

// setupCompleted fires Setup Completed, then lets the lines register, so
// a CTI server always sees the boot before any registration.
func (s *state) setupCompleted() {
	s.emit(EventSetupCompleted, 0, nil)
	if s.p.sig != nil {
		s.p.sig.Register()
		s.watchBLF()
	}
}

func (s *state) setDND(on bool) {
	if on {
		fire(s.dnd, evDNDOn)
	} else {
		fire(s.dnd, evDNDOff)
	}
}

// event builds an event with the phone's variables and, if c is not nil, the
// call's (spec §2.5: call variables only during incoming, outgoing and
// connected calls; empty otherwise).
func (s *state) event(t EventType, ln int, c *call) Event {
	id := s.identity
	ev := Event{Type: t, Line: ln, Vars: Vars{MAC: id.MAC, IP: id.IP, Model: id.Model, Firmware: id.Firmware}}
	if l := s.lineN(ln); c == nil && l != nil {
		// A line's own events (Registered, Registration Failed,
		// Unregistered) name the line in $active_*: with two lines, two
		// failures must not look the same.
		s.activeVars(&ev.Vars, l)
	}
	if c != nil {
		ev.Call = c.ref
		ev.Line = c.line
		ev.Vars.CallID = c.callID
		if l := s.lineN(c.line); l != nil {
			s.activeVars(&ev.Vars, l)
		}
		// $local is the called party, $remote the calling party, and
		// $remote/$display_remote are filled for incoming calls only
		// (spec §2.5); both as sip:user@host (partyURI).
		if c.incoming {
			ev.Vars.Local, ev.Vars.DisplayLocal = partyURI(c.localURI), c.localDisplay
			ev.Vars.Remote, ev.Vars.DisplayRemote = partyURI(c.remoteURI), c.remoteDisplay
		} else {
			ev.Vars.Local, ev.Vars.DisplayLocal = partyURI(c.remoteURI), c.remoteDisplay
		}
	}
	return ev
}

// activeVars fills $active_url, $active_user and $active_host with line l's
// account.
func (s *state) activeVars(v *Vars, l *line) {
	v.ActiveURL = l.cfg.URI()
	v.ActiveUser = l.cfg.User
	v.ActiveHost = HostOf(l.cfg.Server)
}

func (s *state) emit(t EventType, ln int, c *call) {
	if c != nil && c.early {
		c.earlyEvents = append(c.earlyEvents, t)
		return
	}
	s.push(s.event(t, ln, c))
}

func (s *state) push(ev Event) {
	s.seq++
	ev.Seq = s.seq
	ev.At = s.p.cfg.Clock.Now()
	s.counters.Events++
	s.pending = append(s.pending, ev)
}

// flush publishes the new snapshot, then the events the input made, so a
// subscriber that reads Snapshot on an event sees the state after it. When
// an input changed what a user sees without one of the 27 events, an
// EventStateChanged tells front ends to redraw.
func (s *state) flush() {
	s.routeAudio()
	snap := s.snapshot()
	changed := !s.haveLast || !sameView(s.last, snap)
	if len(s.pending) == 0 && !changed {
		return
	}
	if len(s.pending) == 0 {
		s.push(Event{Type: EventStateChanged})
		snap.Seq = s.seq
		snap.Counters = s.counters
	}
	s.last, s.haveLast = snap, true
	s.p.snap.Store(&snap)
	for _, ev := range s.pending {
		s.p.emit(ev)
	}
	clear(s.pending)
	s.pending = s.pending[:0]
}

// sameView compares what a user sees, ignoring counters and sequence.
func sameView(a, b Snapshot) bool {
	a.Seq, b.Seq = 0, 0
	a.Counters, b.Counters = Counters{}, Counters{}
	return reflect.DeepEqual(a, b)
}

func (s *state) snapshot() Snapshot {
	snap := Snapshot{
		Identity:  s.identity,
		Seq:       s.seq,
		Hook:      s.hookState(),
		Busy:      s.activity.Current() == ActivityBusy,
		DND:       s.dnd.Current() == DNDOn,
		Dialing:   s.dialing,
		Selected:  s.selected,
		Volume:    s.volume,
		Muted:     s.muted,
		AudioPath: s.audioPath,
		Voicemail: s.voicemail(),
		DSS:       s.dssStatus(),
		Provision: s.provision,
		Counters:  s.counters,
		Forward:   s.fwd.rule,
		History:   s.history,
		Pending:   s.pendingWork(),
	}
	for _, l := range s.lines {
		snap.Lines = append(snap.Lines, LineStatus{
			Line: l.n, User: l.cfg.User, Server: l.cfg.Server, URI: l.cfg.URI(),
			DisplayName: l.cfg.DisplayName, Registration: l.state(),
			LastCode: l.code, LastError: l.err,
		})
	}
	for _, c := range s.calls {
		dir := "outgoing"
		if c.incoming {
			dir = "incoming"
		}
		snap.Calls = append(snap.Calls, CallStatus{
			Ref: c.ref, Line: c.line, Direction: dir, State: c.state(),
			CallID: c.callID, LocalURI: c.localURI, LocalDisplay: c.localDisplay,
			RemoteURI: c.remoteURI, RemoteDisplay: c.remoteDisplay,
			Started: c.started, Answered: c.answered, RemoteHeld: c.remoteHeld, media: c.media,
		})
	}
	snap.LCD = s.renderLCD()
	colourLamps(&snap)
	return snap
}

func (s *state) lineN(n int) *line {
	if n >= 1 && n <= len(s.lines) {
		return s.lines[n-1]
	}
	return nil
}

func (s *state) call(ref CallRef) *call {
	for _, c := range s.calls {
		if c.ref == ref {
			return c
		}
	}
	return nil
}

// focus is the call the user is dealing with: a ringing call first, then the
// newest established or outgoing one.
func (s *state) focus() *call {
	for _, c := range s.calls {
		if c.state() == CallRinging {
			return c
		}
	}
	if c := s.talking(); c != nil {
		return c
	}
	if n := len(s.calls); n > 0 {
		return s.calls[n-1]
	}
	return nil
}
