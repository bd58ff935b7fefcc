package integration

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
)

// Every event of a call carries that call: Idle to Busy too, with the
// Call-ID of the INVITE, on both sides.
func TestIdleToBusyCarriesTheCall(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)
	for _, side := range []struct {
		who  string
		cti  *ctiServer
		call string // the event that names the call
	}{{"alice", tr.aCTI, "outgoing_call"}, {"bob", tr.bCTI, "incoming_call"}} {
		busy := side.cti.wait(t, "idle_to_busy", 5*time.Second)
		call := side.cti.wait(t, side.call, 5*time.Second)
		for _, v := range []string{"call_id", "local", "remote", "active_user"} {
			if got, want := busy.Query.Get(v), call.Query.Get(v); got != want {
				t.Errorf("%s: Idle to Busy $%s = %q, %s says %q", side.who, v, got, side.call, want)
			}
		}
		if busy.Query.Get("call_id") == "" || busy.Query.Get("local") == "" {
			t.Errorf("%s: Idle to Busy without the call: %v", side.who, busy.Query)
		}
	}
}

// Dialling out while another call rings: Off-hook is about the call being
// dialled, not the ringing one.
func TestOffHookWhileAnotherCallRingsCarriesTheDialledCall(t *testing.T) {
	tr := startTrio(t)
	mustActiveURI(t, tr.c, "number=1001")
	tr.aCTI.wait(t, "incoming_call", 5*time.Second)
	mustActiveURI(t, tr.a, "number=1002")
	out := tr.aCTI.wait(t, "outgoing_call", 5*time.Second)
	off := tr.aCTI.wait(t, "off_hook", 5*time.Second)
	if off.Query.Get("remote") != "" || off.Query.Get("call_id") != out.Query.Get("call_id") ||
		!strings.HasPrefix(off.Query.Get("local"), "sip:1002@") {
		t.Errorf("Off-hook vars %v, want the call to 1002 (%v)", off.Query, out.Query)
	}
}

// A call redirected by a 302 (alice forwards everything to carol) keeps
// its $call_id from Outgoing Call to Terminated.
func TestCallIDStaysTheSameAcrossARedirect(t *testing.T) {
	tr := startTrio(t, func(alice *config.Phone) { alice.Forward = config.Forward{Always: "1003"} })
	mustActiveURI(t, tr.b, "number=1001")
	tr.cCTI.wait(t, "incoming_call", 5*time.Second)
	mustActiveURI(t, tr.c, "key=OK")
	tr.bCTI.wait(t, "established", 5*time.Second)
	mustActiveURI(t, tr.b, "key=X")
	tr.bCTI.wait(t, "terminated", 5*time.Second)
	id := tr.bCTI.wait(t, "outgoing_call", time.Second).Query.Get("call_id")
	for _, ev := range []string{"idle_to_busy", "established", "terminated"} {
		if got := tr.bCTI.wait(t, ev, time.Second).Query.Get("call_id"); got != id {
			t.Errorf("%s $call_id %q, Outgoing Call said %q", ev, got, id)
		}
	}
	if got := tr.cCTI.wait(t, "incoming_call", time.Second).Query.Get("call_id"); got != id {
		t.Errorf("carol's $call_id %q, bob's %q", got, id)
	}
}

// $local and $remote have one format, sip:user@host, whether the party
// came from a number dialled, a To or From header, or a REFER's Refer-To.
func TestLocalAndRemoteHaveOneFormat(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)
	mustActiveURI(t, tr.b, "key=F_TRANSFER;1;0;0;3;F_TRANSFER")
	tr.cCTI.wait(t, "incoming_call", 5*time.Second)
	mustActiveURI(t, tr.c, "key=OK")
	tr.cCTI.wait(t, "established", 5*time.Second)
	tr.aCTI.waitN(t, "established", 2, 5*time.Second)
	format := regexp.MustCompile(`^sip:[0-9]+@[0-9.]+$`)
	for _, c := range []*ctiServer{tr.aCTI, tr.bCTI, tr.cCTI} {
		c.mu.Lock()
		for _, h := range c.hits {
			for _, v := range []string{"local", "remote"} {
				if got := h.Query.Get(v); got != "" && !format.MatchString(got) {
					t.Errorf("%s $%s = %q, want sip:user@host", h.Event, v, got)
				}
			}
		}
		c.mu.Unlock()
	}
	// the call alice placed because of bob's REFER names carol as the
	// number dialled would
	if got, want := tr.aCTI.waitN(t, "outgoing_call", 2, time.Second).Query.Get("local"), "sip:1003@"+tr.host; got != want {
		t.Errorf("referred call $local %q, want %q", got, want)
	}
}

// A line's registration events name the line in $active_*: two lines give
// two Registered events that differ.
func TestRegistrationEventsNameTheLine(t *testing.T) {
	cti := newCTIServer(t)
	reg := embeddedRegistrar(t, map[string]string{"1001": "s1", "1004": "s4"})
	alice := phoneConfig(t, "alice", cti,
		config.Line{User: "1001", Password: "s1", Server: reg.Addr()},
		config.Line{User: "1004", Password: "wrong", Server: reg.Addr()})
	fl := startFleet(t, &config.File{Phones: []config.Phone{alice}})
	ok := cti.wait(t, "registered", 5*time.Second)
	bad := cti.wait(t, "registration_failed", 5*time.Second)
	host := reg.Addr()[:strings.LastIndexByte(reg.Addr(), ':')]
	if ok.Query.Get("active_user") != "1001" || ok.Query.Get("active_url") != "sip:1001@"+host || ok.Query.Get("active_host") != host {
		t.Errorf("Registered $active_* %v, want line 1", ok.Query)
	}
	if bad.Query.Get("active_user") != "1004" {
		t.Errorf("Registration Failed $active_user %q, want 1004", bad.Query.Get("active_user"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fl.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Each line's Unregistered names it (the failed line may report one
	// too, in either order).
	cti.wait(t, "unregistered", 5*time.Second)
	cti.mu.Lock()
	defer cti.mu.Unlock()
	seen := map[string]bool{}
	for _, h := range cti.hits {
		if h.Event == "unregistered" {
			seen[h.Query.Get("active_user")] = true
		}
	}
	if !seen["1001"] || seen[""] {
		t.Errorf("Unregistered $active_user values %v, want 1001 (and no empty one)", seen)
	}
}
