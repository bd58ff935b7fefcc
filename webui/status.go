package webui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// Status is the body of GET /api/status: the phone as emulator.Snapshot
// shows it. Field names are snake_case and stable: this struct is the
// contract, fields may be added but not renamed. Lists are [] when empty,
// never null.
//
//	{
//	  "identity": {"name", "mac", "ip", "model", "firmware"},
//	  "seq": 12,                   // Seq of the last event published
//	  "hook": "on_hook",           // or "off_hook"
//	  "busy": false,               // at least one call appearance
//	  "dnd": false,
//	  "dialing": "100",            // digits typed before a call is placed
//	  "selected_line": 1,          // 1-based line used for the next call
//	  "volume": 5, "muted": false,
//	  "lines": [{"line", "user", "server", "uri", "display_name",
//	             "registration",  // "unregistered", "registering", "registered", "failed"
//	             "code",          // last SIP status of REGISTER, 0 if none
//	             "error"}],       // last registration error, "" if none
//	  "calls": [{"ref", "line", "direction" ("incoming"/"outgoing"), "state",
//	             "call_id", "local_uri", "local_display", "remote_uri",
//	             "remote_display", "started" (RFC 3339), "answered" (RFC 3339 or null),
//	             "rtp_in", "rtp_out", "dtmf_in", "dtmf_out", "codec"}],
//	  "lcd": {"title", "lines": [...], "soft_keys": [4 labels], "leds": {"L1": "on", ...}},
//	  "counters": {"events", "calls_in", "calls_out", "missed", "registrations"}
//	}
type Status struct {
	Identity     StatusIdentity `json:"identity"`
	Seq          uint64         `json:"seq"`
	Hook         string         `json:"hook"`
	Busy         bool           `json:"busy"`
	DND          bool           `json:"dnd"`
	Dialing      string         `json:"dialing"`
	SelectedLine int            `json:"selected_line"`
	Volume       int            `json:"volume"`
	Muted        bool           `json:"muted"`
	Lines        []StatusLine   `json:"lines"`
	Calls        []StatusCall   `json:"calls"`
	LCD          StatusLCD      `json:"lcd"`
	Counters     StatusCounters `json:"counters"`
	// Forward is each forwarding condition: "always", "busy", "no_answer".
	Forward map[string]emulator.ForwardStatus `json:"forward"`
	// History is the call history, newest first.
	History []emulator.HistoryEntry `json:"history"`
	// AudioPath is "speaker", "headset" or "handset".
	AudioPath string `json:"audio_path"`
	// Voicemail is each line's message-waiting state (RFC 3842).
	Voicemail []emulator.VoicemailStatus `json:"voicemail"`
	// DSS lists the programmed keys D1..D10 with BLF lamp states.
	DSS []emulator.DSSStatus `json:"dss"`
	// Provisioning is the last key=AutoP run.
	Provisioning emulator.ProvisionStatus `json:"provisioning"`
}

// StatusIdentity is what $name, $mac, $ip, $model and $firmware expand to.
type StatusIdentity struct {
	Name     string `json:"name"`
	MAC      string `json:"mac"`
	IP       string `json:"ip"`
	Model    string `json:"model"`
	Firmware string `json:"firmware"`
}

// StatusLine is one line key's account and registration.
type StatusLine struct {
	Line         int    `json:"line"`
	User         string `json:"user"`
	Server       string `json:"server"`
	URI          string `json:"uri"`
	DisplayName  string `json:"display_name"`
	Registration string `json:"registration"`
	Code         int    `json:"code"`
	Error        string `json:"error"`
}

// StatusCall is one call appearance.
type StatusCall struct {
	Ref           string     `json:"ref"`
	Line          int        `json:"line"`
	Direction     string     `json:"direction"`
	State         string     `json:"state"`
	CallID        string     `json:"call_id"`
	LocalURI      string     `json:"local_uri"`
	LocalDisplay  string     `json:"local_display"`
	RemoteURI     string     `json:"remote_uri"`
	RemoteDisplay string     `json:"remote_display"`
	Started       time.Time  `json:"started"`
	Answered      *time.Time `json:"answered"`
	RTPIn         uint64     `json:"rtp_in"`
	RTPOut        uint64     `json:"rtp_out"`
	DTMFIn        uint64     `json:"dtmf_in"`
	DTMFOut       uint64     `json:"dtmf_out"`
	Codec         string     `json:"codec"`
	RemoteHeld    bool       `json:"remote_held"`
}

// StatusLCD is the screen: text lines, soft-key labels, LEDs.
type StatusLCD struct {
	Title    string            `json:"title"`
	Lines    []string          `json:"lines"`
	SoftKeys []string          `json:"soft_keys"`
	LEDs     map[string]string `json:"leds"`
}

// StatusCounters are totals since the phone started.
type StatusCounters struct {
	Events        uint64 `json:"events"`
	CallsIn       uint64 `json:"calls_in"`
	CallsOut      uint64 `json:"calls_out"`
	Missed        uint64 `json:"missed"`
	Registrations uint64 `json:"registrations"`
}

// StatusOf converts a snapshot into the JSON contract.
func StatusOf(s emulator.Snapshot) Status {
	st := Status{
		Identity: StatusIdentity{
			Name: s.Identity.Name, MAC: s.Identity.MAC, IP: s.Identity.IP,
			Model: s.Identity.Model, Firmware: s.Identity.Firmware,
		},
		Seq: s.Seq, Hook: s.Hook.String(), Busy: s.Busy, DND: s.DND, Dialing: s.Dialing,
		SelectedLine: s.Selected, Volume: s.Volume, Muted: s.Muted,
		Lines: make([]StatusLine, 0, len(s.Lines)),
		Calls: make([]StatusCall, 0, len(s.Calls)),
		LCD: StatusLCD{
			Title:    s.LCD.Title,
			Lines:    append([]string{}, s.LCD.Lines...),
			SoftKeys: append([]string{}, s.LCD.SoftKeys[:]...),
			LEDs:     map[string]string{},
		},
		Counters: StatusCounters{
			Events: s.Counters.Events, CallsIn: s.Counters.CallsIn, CallsOut: s.Counters.CallsOut,
			Missed: s.Counters.Missed, Registrations: s.Counters.Registrations,
		},
	}
	st.Forward = make(map[string]emulator.ForwardStatus, len(s.Forward))
	for k, f := range s.Forward {
		st.Forward[emulator.ForwardKind(k).String()] = f
	}
	st.History = append([]emulator.HistoryEntry{}, s.History...)
	st.AudioPath = s.AudioPath.String()
	st.Voicemail = append([]emulator.VoicemailStatus{}, s.Voicemail...)
	st.DSS = append([]emulator.DSSStatus{}, s.DSS...)
	st.Provisioning = s.Provision
	for _, l := range s.Lines {
		st.Lines = append(st.Lines, StatusLine{
			Line: l.Line, User: l.User, Server: l.Server, URI: l.URI, DisplayName: l.DisplayName,
			Registration: l.Registration.String(), Code: l.LastCode, Error: l.LastError,
		})
	}
	for _, c := range s.Calls {
		sc := StatusCall{
			Ref: string(c.Ref), Line: c.Line, Direction: c.Direction, State: c.State.String(),
			CallID: c.CallID, LocalURI: c.LocalURI, LocalDisplay: c.LocalDisplay,
			RemoteURI: c.RemoteURI, RemoteDisplay: c.RemoteDisplay, Started: c.Started,
			RTPIn: c.RTPIn, RTPOut: c.RTPOut, DTMFIn: c.DTMFIn, DTMFOut: c.DTMFOut, Codec: c.Codec,
			RemoteHeld: c.RemoteHeld,
		}
		if !c.Answered.IsZero() {
			a := c.Answered
			sc.Answered = &a
		}
		st.Calls = append(st.Calls, sc)
	}
	for k, v := range s.LCD.LEDs() {
		st.LCD.LEDs[k] = v.String()
	}
	return st
}

// handleStatus serves GET /api/status: the Status JSON (see Status for the
// fields), Content-Type application/json, never cached.
func (s *WebServer) handleStatus(w http.ResponseWriter, r *http.Request) {
	body, err := json.MarshalIndent(StatusOf(s.dev.Snapshot()), "", "  ")
	if err != nil { // only plain types above: cannot happen
		s.log.Error("BUG: status not encodable", "err", err)
		httpError(w, http.StatusConflict, "status not available: %v", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}

// EventJSON is one event of GET /api/events.
//
//	{"seq": 7, "type": "incoming_call", "name": "Incoming Call", "phone": "desk1",
//	 "line": 1, "call": "i1", "at": "2026-01-02T15:04:05.123Z", "cause": "",
//	 "vars": {"mac": "...", "ip": "...", ... all 12 Action URL variables}}
//
// type is the Action URL event key of spec §2.4 in snake case, or
// "state_changed" for the internal redraw notification.
type EventJSON struct {
	Seq   uint64            `json:"seq"`
	Type  string            `json:"type"`
	Name  string            `json:"name"`
	Phone string            `json:"phone"`
	Line  int               `json:"line"`
	Call  string            `json:"call"`
	At    time.Time         `json:"at"`
	Cause string            `json:"cause"`
	Vars  map[string]string `json:"vars"`
}

// EventOf converts an event into its JSON form.
func EventOf(ev emulator.Event) EventJSON {
	typ := ev.Type.Key()
	if typ == "" {
		if ev.Type == emulator.EventStateChanged {
			typ = "state_changed"
		} else {
			typ = fmt.Sprintf("event_%d", int(ev.Type))
		}
	}
	vars := make(map[string]string, len(emulator.VarNames))
	for _, n := range emulator.VarNames {
		vars[n], _ = ev.Vars.Lookup(n)
	}
	return EventJSON{
		Seq: ev.Seq, Type: typ, Name: ev.Type.String(), Phone: ev.Phone, Line: ev.Line,
		Call: string(ev.Call), At: ev.At, Cause: ev.Cause, Vars: vars,
	}
}

// Event stream tuning.
const (
	eventBuffer    = 256              // events queued per stream before it is cut
	eventHeartbeat = 15 * time.Second // comment line that finds dead clients
)

// handleEvents serves GET /api/events as server-sent events (text/event-stream,
// HTML Living Standard §9.2): each event is
//
//	id: <seq>
//	data: <EventJSON on one line>
//
// with no "event:" field, so EventSource.onmessage sees them all. The
// stream opens with a ": connected" comment (sent after the subscription
// exists: every event after the client reads it is delivered), sends ":
// ping" every 15 s, and ends when the client goes away or WebServer.Close is
// called. A client too slow to take 256 queued events gets a final "event:
// overflow" message and the stream ends, rather than silently losing events
// or holding the phone's subscriber goroutine.
func (s *WebServer) handleEvents(w http.ResponseWriter, r *http.Request) {
	ch := make(chan emulator.Event, eventBuffer)
	lost := make(chan struct{}, 1)
	var dropped atomic.Uint64
	cancel := s.dev.Subscribe(func(ev emulator.Event) {
		// Never block: this runs on the phone's subscriber goroutine.
		select {
		case ch <- ev:
		default:
			dropped.Add(1)
			select {
			case lost <- struct{}{}:
			default:
			}
		}
	})
	defer cancel()

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives http.Server.WriteTimeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	send := func(format string, args ...any) bool {
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(": connected to %s\n\n", s.dev.Snapshot().Identity.Name) {
		return
	}
	tick := time.NewTicker(eventHeartbeat)
	defer tick.Stop()
	for {
		var ok bool
		select {
		case <-r.Context().Done():
			return
		case <-s.closed:
			send("event: close\ndata: {\"reason\":\"server closing\"}\n\n")
			return
		case <-lost:
			s.log.Warn("event stream too slow, closing it", "client", r.RemoteAddr, "dropped", dropped.Load())
			send("event: overflow\ndata: {\"error\":\"client too slow: events dropped, reconnect and read /api/status\"}\n\n")
			return
		case ev := <-ch:
			data, err := json.Marshal(EventOf(ev))
			if err != nil {
				continue // plain types only: cannot happen
			}
			ok = send("id: %d\ndata: %s\n\n", ev.Seq, data)
		case <-tick.C:
			ok = send(": ping\n\n")
		}
		if !ok {
			return
		}
	}
}
