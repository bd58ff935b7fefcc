package webui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/phonesim/phonesim/actionurl"
	"github.com/phonesim/phonesim/emulator"
)

// Phone → Action URL (spec §2: "each event has its own configurable URL",
// set on the phone's web page Phone → Action URL): the 27 events in the
// spec's order, one input each, the variables beside them and a Test
// button per event.

// eventRow is one event on the page.
type eventRow struct {
	Key, Name, URL string
	Vars           string
	Tested         bool   // this row's Test button was just pressed
	TestStatus     int    // HTTP status the CTI server answered, 0 if none
	TestResult     string // what happened, for the page
}

const (
	identityVars = "$mac $ip $model $firmware"
	lineVars     = identityVars + " $active_url $active_user $active_host"
	callVars     = lineVars + " $local $display_local $remote $display_remote $call_id"
)

// varsOf lists the variables that carry a value for an event (docs/events.md).
func varsOf(ev emulator.EventType) string {
	switch ev {
	case emulator.EventRegistered, emulator.EventRegistrationFailed, emulator.EventUnregistered:
		return lineVars
	case emulator.EventOutgoingCall, emulator.EventIncomingCall, emulator.EventEstablished,
		emulator.EventTerminated, emulator.EventMissedCall, emulator.EventIdleToBusy,
		emulator.EventHold, emulator.EventUnhold, emulator.EventTransferCall,
		emulator.EventBlindTransfer, emulator.EventAttendedTransfer, emulator.EventOffHook:
		return callVars
	}
	return identityVars
}

func (s *Server) eventRows() []eventRow {
	var rows []eventRow
	for _, ev := range emulator.ActionEvents() {
		r := eventRow{Key: ev.Key(), Name: ev.String(), Vars: varsOf(ev)}
		if t := s.opts.Sender.Template(ev); t != nil {
			r.URL = t.String()
		}
		rows = append(rows, r)
	}
	return rows
}

func (s *Server) actionURL(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "actionurl", "Phone → Action URL", page{Data: s.eventRows()})
}

// saveActionURL replaces the whole set, as the page's Save does on a desk
// phone. A bad URL refuses the whole form and says which event.
func (s *Server) saveActionURL(w http.ResponseWriter, r *http.Request) {
	urls := make(map[emulator.EventType]string)
	saved := make(map[string]string)
	rows := s.eventRows()
	for i, ev := range emulator.ActionEvents() {
		u := strings.TrimSpace(r.PostForm.Get(ev.Key()))
		rows[i].URL = u
		saved[ev.Key()] = u
		if u != "" {
			urls[ev] = u
		}
	}
	if err := s.opts.Sender.SetURLs(urls); err != nil {
		s.render(w, r, http.StatusBadRequest, "actionurl", "Phone → Action URL",
			page{Error: "Nothing saved: " + err.Error(), Data: rows})
		return
	}
	if len(urls) > 0 && s.opts.AttachSender != nil {
		s.opts.AttachSender()
	}
	if err := s.save(func(st *Settings) { st.ActionURL = saved }); err != nil {
		s.render(w, r, http.StatusConflict, "actionurl", "Phone → Action URL",
			page{Error: "In force now, but not kept across a restart: " + err.Error(), Data: s.eventRows()})
		return
	}
	s.log.Info("action URLs changed on the web page", "events", len(urls))
	s.render(w, r, http.StatusOK, "actionurl", "Phone → Action URL", page{Flash: "Saved.", Data: s.eventRows()})
}

// sampleVars are the values a Test sends: the phone's identity and line 1,
// a made-up caller (RFC 5737/2606 style reserved names) and Call-ID.
func (s *Server) sampleVars() emulator.Vars {
	snap := s.opts.Device.Snapshot()
	v := emulator.Vars{MAC: snap.Identity.MAC, IP: snap.Identity.IP,
		Model: snap.Identity.Model, Firmware: snap.Identity.Firmware,
		Remote: "sip:test@example.invalid", DisplayRemote: "Test Caller",
		CallID: "phonesim-test-call-id"}
	if len(snap.Lines) > 0 {
		l := snap.Lines[0]
		v.ActiveURL, v.ActiveUser = l.URI, l.User
		if i := strings.LastIndex(l.URI, "@"); i >= 0 {
			v.ActiveHost = l.URI[i+1:]
		}
		v.Local, v.DisplayLocal = l.URI, l.DisplayName
	}
	return v
}

// testActionURL sends one event's URL once, as it stands in the form (so
// that a URL can be tried before it is saved), with sample values, and
// shows the status the CTI server answered.
func (s *Server) testActionURL(w http.ResponseWriter, r *http.Request) {
	key := r.PostForm.Get("event")
	ev, err := emulator.ParseEventKey(key)
	if err != nil || ev.Key() == "" {
		s.errorPage(w, http.StatusBadRequest, fmt.Sprintf("No such event: %q", key))
		return
	}
	rows := s.eventRows()
	for i := range rows {
		if v, ok := r.PostForm[rows[i].Key]; ok {
			rows[i].URL = strings.TrimSpace(v[0]) // keep what was typed
		}
		if rows[i].Key != key {
			continue
		}
		rows[i].Tested = true
		rows[i].TestStatus, rows[i].TestResult = s.sendTest(r.Context(), rows[i].URL)
	}
	s.render(w, r, http.StatusOK, "actionurl", "Phone → Action URL", page{Data: rows})
}

func (s *Server) sendTest(ctx context.Context, raw string) (int, string) {
	if raw == "" {
		return 0, "no URL set for this event"
	}
	t, err := actionurl.ParseTemplate(raw)
	if err != nil {
		return 0, err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.TestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.Expand(s.sampleVars()), nil)
	if err != nil {
		return 0, err.Error()
	}
	id := s.opts.Device.Snapshot().Identity
	req.Header.Set("User-Agent", fmt.Sprintf("phonesim (%s %s %s)", id.Model, id.Firmware, id.MAC))
	start := time.Now()
	resp, err := testClient.Do(req)
	if err != nil {
		return 0, "no answer: " + err.Error()
	}
	resp.Body.Close()
	return resp.StatusCode, fmt.Sprintf("%s in %s", resp.Status, time.Since(start).Round(time.Millisecond))
}
