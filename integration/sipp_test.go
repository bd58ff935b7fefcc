package integration

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/diago/media"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/internal/peers"
)

// oneDirectPhone is a phone whose line points at a registrar that is not
// there: SIPp calls it straight at its SIP address (a direct IP call).
func oneDirectPhone(t *testing.T, cti *ctiServer) (*config.File, string) {
	t.Helper()
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "pw", Server: "127.0.0.1:9", DisplayName: "Desk"})
	return &config.File{Phones: []config.Phone{p}}, p.IP
}

// A SIPp caller rings the phone: Incoming Call carries $remote and
// $call_id; key=OK answers (Established); the caller's BYE gives
// Terminated and Busy to Idle.
func TestSIPpCallerAnsweredByActiveURI(t *testing.T) {
	cti := newCTIServer(t)
	f, ip := oneDirectPhone(t, cti)
	fl := startFleet(t, f)
	desk := fl.Phones[0]

	sipp := peers.SIPp(t, peers.SIPpOptions{
		Scenario: peers.ScenarioAwaitAnswer,
		Params:   map[string]string{"FROM_USER": "5551234", "ANSWER_TIMEOUT_MS": "10000", "HOLD_MS": "1500"},
		Target:   desk.UA.Addr(),
		Service:  "1001",
	})
	in := cti.wait(t, "incoming_call", 10*time.Second)
	if r := in.Query.Get("remote"); !strings.HasPrefix(r, "sip:5551234@"+sipp.IP) {
		t.Errorf("$remote = %q, want sip:5551234@%s...", r, sipp.IP)
	}
	callID := in.Query.Get("call_id")
	if callID == "" {
		t.Error("$call_id empty in Incoming Call")
	}
	if in.Query.Get("mac") != "00:a8:59:00:10:01" || in.Query.Get("ip") != ip {
		t.Errorf("identity vars: %v", in.Query)
	}
	if in.From != ip {
		t.Errorf("Incoming Call came from %s, want the phone's own IP %s", in.From, ip)
	}
	// the called party, as sip:user@host (docs/events.md: no port)
	if got := in.Query.Get("local"); got != "sip:1001@"+ip {
		t.Errorf("$local = %q (the called party)", got)
	}
	if u := in.Query.Get("active_user"); u != "1001" {
		t.Errorf("$active_user = %q", u)
	}

	mustActiveURI(t, desk, "key=OK")
	est := cti.wait(t, "established", 5*time.Second)
	if est.Query.Get("call_id") != callID {
		t.Errorf("Established $call_id %q, Incoming Call had %q", est.Query.Get("call_id"), callID)
	}
	// SIPp plays RTP after the ACK; the phone counts it.
	waitFor(t, "RTP from SIPp", 5*time.Second, func() bool {
		s := desk.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].RTPIn > 10 && s.Calls[0].RTPOut > 10
	})
	term := cti.wait(t, "terminated", 10*time.Second)
	if term.Query.Get("call_id") != callID {
		t.Errorf("Terminated $call_id %q, want %q", term.Query.Get("call_id"), callID)
	}
	cti.wait(t, "busy_to_idle", 5*time.Second)
	if err := sipp.Wait(10 * time.Second); err != nil {
		t.Fatalf("SIPp: %v", err)
	}
	if n := cti.count("missed_call"); n != 0 {
		t.Errorf("an answered call fired Missed Call %d times", n)
	}
	// The CTI server saw the call's events in the order they happened.
	order := []string{"idle_to_busy", "incoming_call", "off_hook", "established", "terminated", "busy_to_idle", "on_hook"}
	assertOrder(t, cti.events(), order)

	// The phone counts what it sent, for Prometheus at /metrics.
	resp, err := http.Get("http://" + desk.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := `phonesim_action_url_requests_total{event="incoming_call",phone="desk",result="ok"} 1`
	if !strings.Contains(string(body), want) {
		t.Errorf("/metrics lacks %s:\n%s", want, body)
	}
}

// A caller that CANCELs while the phone rings gives Missed Call.
func TestSIPpCancelGivesMissedCall(t *testing.T) {
	cti := newCTIServer(t)
	f, _ := oneDirectPhone(t, cti)
	fl := startFleet(t, f)
	desk := fl.Phones[0]

	sipp := peers.SIPp(t, peers.SIPpOptions{
		Scenario: peers.ScenarioCancel,
		Params:   map[string]string{"CANCEL_AFTER_MS": "300"},
		Target:   desk.UA.Addr(),
		Service:  "1001",
	})
	in := cti.wait(t, "incoming_call", 10*time.Second)
	missed := cti.wait(t, "missed_call", 10*time.Second)
	if missed.Query.Get("call_id") != in.Query.Get("call_id") || missed.Query.Get("remote") == "" {
		t.Errorf("Missed Call vars %v, Incoming Call vars %v", missed.Query, in.Query)
	}
	cti.wait(t, "busy_to_idle", 5*time.Second)
	if err := sipp.Wait(10 * time.Second); err != nil {
		t.Fatalf("SIPp (expects 487 after CANCEL): %v", err)
	}
	if n := cti.count("established"); n != 0 {
		t.Errorf("a cancelled call fired Established %d times", n)
	}
	if c := desk.Phone.Snapshot().Counters.Missed; c != 1 {
		t.Errorf("missed counter %d", c)
	}
}

// With DND on the caller gets 480 Temporarily Unavailable, the default
// reject_code (Yealink's features.dnd_refuse_code default).
func TestSIPpCallerGetsBusyUnderDND(t *testing.T) {
	cti := newCTIServer(t)
	f, _ := oneDirectPhone(t, cti)
	fl := startFleet(t, f)
	desk := fl.Phones[0]

	mustActiveURI(t, desk, "key=DNDOn")
	cti.wait(t, "dnd_on", 5*time.Second)
	sipp := peers.SIPp(t, peers.SIPpOptions{
		Scenario: peers.ScenarioBusy,
		Params:   map[string]string{"BUSY_CODE": "480"},
		Target:   desk.UA.Addr(),
		Service:  "1001",
	})
	if err := sipp.Wait(15 * time.Second); err != nil {
		t.Fatalf("SIPp expected 480 Temporarily Unavailable: %v", err)
	}
	if n := cti.count("incoming_call"); n != 0 {
		t.Errorf("a call refused under DND fired Incoming Call")
	}
	mustActiveURI(t, desk, "key=DNDOff")
	cti.wait(t, "dnd_off", 5*time.Second)
}

// A line with `auto_answer: true` answers a call by itself (no key): the
// SIPp caller gets its 200 OK and hangs up after sending RTP; Established
// and Terminated fire.
func TestAutoAnswerLine(t *testing.T) {
	cti := newCTIServer(t)
	f, _ := oneDirectPhone(t, cti)
	f.Phones[0].Lines[0].AutoAnswer = true
	fl := startFleet(t, f)
	sippCallAnswered(t, fl.Phones[0])
	cti.wait(t, "established", 5*time.Second)
	cti.wait(t, "terminated", 5*time.Second)
}

// sippCallAnswered has SIPp call the phone's line 1001 directly and wait
// for a 200 OK the phone must give by itself (auto_answer); SIPp hangs up
// half a second later.
func sippCallAnswered(t *testing.T, desk *fleet.Member) *peers.SIPpProc {
	t.Helper()
	sipp := peers.SIPp(t, peers.SIPpOptions{
		Scenario: peers.ScenarioAwaitAnswer,
		Params:   map[string]string{"ANSWER_TIMEOUT_MS": "5000", "HOLD_MS": "500"},
		Target:   desk.UA.Addr(),
		Service:  "1001",
	})
	if err := sipp.Wait(15 * time.Second); err != nil {
		t.Fatalf("SIPp's call was not answered: %v", err)
	}
	return sipp
}

// `rtp_ports` bounds the media port the phone offers: its 200 OK's SDP
// (as SIPp logged it) names a port inside the range; the process's range is
// put back when the phones stop.
func TestRTPPortsFromConfig(t *testing.T) {
	before := media.RTPPortStart
	cti := newCTIServer(t)
	f, _ := oneDirectPhone(t, cti)
	f.Phones[0].Lines[0].AutoAnswer = true
	f.Phones[0].RTPPorts = "31000-31099"
	fl := startFleet(t, f)
	msgs := sippCallAnswered(t, fl.Phones[0]).Messages()
	i := strings.Index(msgs, "SIP/2.0 200 OK")
	m := regexp.MustCompile(`m=audio (\d+) `).FindStringSubmatch(msgs[max(i, 0):])
	if i < 0 || m == nil {
		t.Fatalf("no 200 OK with an audio line in SIPp's log:\n%s", msgs)
	}
	if port, _ := strconv.Atoi(m[1]); port < 31000 || port > 31099 {
		t.Errorf("the phone offered RTP port %d, outside rtp_ports 31000-31099", port)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fl.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
	if media.RTPPortStart != before {
		t.Errorf("the RTP port range was not put back: starts at %d, was %d", media.RTPPortStart, before)
	}
}

// `dnd: true` and `reject_code: 603` in the configuration: the phone boots
// in DND and refuses calls with 603 Decline, not the default 480.
func TestDNDFromConfigRejectsWithTheConfiguredCode(t *testing.T) {
	cti := newCTIServer(t)
	f, _ := oneDirectPhone(t, cti)
	f.Phones[0].DND = true
	f.Phones[0].RejectCode = 603
	fl := startFleet(t, f)
	desk := fl.Phones[0]
	if !desk.Phone.Snapshot().DND {
		t.Fatal("the phone did not boot in DND")
	}

	sipp := peers.SIPp(t, peers.SIPpOptions{
		Scenario: peers.ScenarioBusy,
		Params:   map[string]string{"BUSY_CODE": "603"},
		Target:   desk.UA.Addr(),
		Service:  "1001",
	})
	if err := sipp.Wait(15 * time.Second); err != nil {
		t.Fatalf("SIPp expected 603 Decline: %v", err)
	}
	if n := cti.count("incoming_call"); n != 0 {
		t.Errorf("a call refused under DND fired Incoming Call")
	}
}

// Bad Active URI input gets a 400 that names the problem, never a 5xx.
func TestActiveURIRejectsBadInput(t *testing.T) {
	f, _ := oneDirectPhone(t, nil)
	fl := startFleet(t, f)
	desk := fl.Phones[0]
	for q, want := range map[string]string{
		"key=FOO":                         `unknown key "FOO"`,
		"key=SPEAKER;1;BAD;OK":            "key 3 of 4",
		"number=10%0A02":                  "number",
		"number=1002&outgoing_uri=nobody": "outgoing_uri",
	} {
		code, body := activeURI(t, desk, q)
		if code != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("%s: %d %q, want 400 naming %q", q, code, body, want)
		}
	}
}

func assertOrder(t *testing.T, got, want []string) {
	t.Helper()
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Errorf("events %v do not contain %v in order", got, want)
	}
}
