package sipua_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/peers"
)

// RFC 3261 §12.2.1.1: a request within a dialog goes to the first route of
// the route set ("the UAC MUST ... send the request to the first URI in the
// route set") and §18.1.1 / §8.1.1.7: it leaves from the UA's own SIP socket,
// whose address is the Via sent-by. The capture is taken on lo with a packet
// socket (peers.CaptureLoopback), so what is checked is what the kernel
// carried, not what a relay or a log was told.
//
// desk (1001) calls bob (1002) through Kamailio, which record-routes; desk
// holds and resumes bob, bob holds and resumes desk, desk transfers bob
// blind to carol (1003): bob sends NOTIFYs on the first dialog and calls
// carol, which both hang up in the end. Every request our three UAs send,
// in or out of a dialog, must go from their SIP socket to Kamailio, with
// that socket in Via.
func TestEveryRequestFollowsTheRouteSet(t *testing.T) {
	k := peers.Kamailio(t, peers.KamailioOptions{Users: map[string]string{
		"1001": "1001-pw", "1002": "1002-pw", "1003": "1003-pw",
	}})
	desk := registered(t, k, "1001")
	bob := registered(t, k, "1002")
	carol := registered(t, k, "1003")
	ourIP := func(a string) string { ip, _, _ := strings.Cut(a, ":"); return ip }
	capture := peers.CaptureLoopback(t, ourIP(desk.Addr()), ourIP(bob.Addr()), ourIP(carol.Addr()))

	ref, callID := desk.dial(t, "1002")
	in := bob.incoming(t, callID)
	bob.Answer(in.Ref)
	deskMedia := desk.answered(t, ref)
	bob.answered(t, in.Ref)
	flowing(t, "desk hears bob", &deskMedia.RTPIn)

	for _, s := range []struct {
		name      string
		by, far   *ua
		ref, farR emulator.CallRef
		hold      bool
	}{
		{"desk holds (UAC dialog)", desk, bob, ref, in.Ref, true},
		{"desk resumes", desk, bob, ref, in.Ref, false},
		{"bob holds (UAS dialog)", bob, desk, in.Ref, ref, true},
		{"bob resumes", bob, desk, in.Ref, ref, false},
	} {
		from, farFrom := s.by.in.mark(), s.far.in.mark()
		if s.hold {
			s.by.Hold(s.ref)
		} else {
			s.by.Unhold(s.ref)
		}
		expect(t, s.by.in, from, s.name, is(emulator.SIPHold{Ref: s.ref, Held: s.hold}))
		expect(t, s.far.in, farFrom, s.name+" (far end)", is(emulator.SIPHold{Ref: s.farR, Held: s.hold, Remote: true}))
	}

	from := desk.in.mark()
	desk.Transfer(ref, "1003", "")
	expect(t, desk.in, from, "bob accepts the REFER", is(emulator.SIPTransfer{Ref: ref, Code: 202}))
	atCarol, _ := expect(t, carol.in, 0, "carol rings", func(s emulator.SIPIncoming) bool { return s.RemoteURI == "sip:1002@"+k.IP })
	carol.Answer(atCarol.Ref)
	carol.answered(t, atCarol.Ref)
	expect(t, desk.in, from, "NOTIFY 200 from bob", is(emulator.SIPTransfer{Ref: ref, Notify: 200}))
	desk.Hangup(ref)
	desk.ended(t, ref)
	bob.ended(t, in.Ref)
	carol.Hangup(atCarol.Ref)
	carol.ended(t, atCarol.Ref)
	time.Sleep(100 * time.Millisecond) // the last ACK/200 of the BYE

	proxy := k.Addr()
	seen := checkFirstHops(t, capture, proxy, desk, bob, carol)
	for _, m := range []string{"INVITE", "ACK", "REFER", "NOTIFY", "BYE"} {
		if !seen[m] {
			t.Errorf("no in-dialog %s captured from our UAs", m)
		}
	}
	checkOrigins(t, capture, proxy)
}

// checkFirstHops checks every SIP request captured to or from the UAs: it
// comes from the proxy, or from one of the UAs' SIP sockets to the proxy
// with that socket as Via sent-by. It returns the methods seen in dialogs
// (To tag set) from the UAs.
func checkFirstHops(t *testing.T, capture *peers.Capture, proxy string, uas ...*ua) map[string]bool {
	t.Helper()
	ourIP := func(a string) string { ip, _, _ := strings.Cut(a, ":"); return ip }
	seen := map[string]bool{}
	var all []string
	for _, r := range capture.SIPRequests(t) {
		all = append(all, r.String())
		if r.Src.String() == proxy {
			continue // Kamailio's, to us
		}
		var who *ua
		for _, u := range uas {
			if r.Src.Addr().String() == ourIP(u.Addr()) {
				who = u
			}
		}
		if who == nil {
			t.Errorf("a request from none of our SIP sockets: %s\n%s", r, r.Payload)
			continue
		}
		if r.Src.String() != who.Addr() || r.Dst.String() != proxy || r.Via != who.Addr() {
			t.Errorf("%s: %s; want from %s to the proxy %s with Via %s", who.user, r, who.Addr(), proxy, who.Addr())
		}
		if r.ToTag {
			seen[r.Method] = true
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("captured requests:\n%s", strings.Join(all, "\n"))
	}
	return seen
}

// checkOrigins checks the SDP each party sent in each call, in the order
// sent (RFC 3264 §8): one origin (username and session id) per party for
// the whole session, not the far end's, and a version that goes up by
// exactly one each time the SDP changes and stays when it does not.
func checkOrigins(t *testing.T, capture *peers.Capture, proxy string) {
	t.Helper()
	type party struct{ callID, from string }
	type sent struct {
		user, id string
		version  uint64
		rest     string
	}
	last := map[party]sent{}
	ids := map[string]map[string]string{} // Call-ID -> sender -> session id
	changes := 0
	for _, p := range capture.Packets(t) {
		if p.Src.String() == proxy {
			continue // Kamailio's copy of what it relays
		}
		msg := string(p.Payload)
		head, body, ok := strings.Cut(msg, "\r\n\r\n")
		if !ok || !strings.Contains(body, "\r\no=") && !strings.HasPrefix(body, "o=") {
			continue
		}
		callID := strings.TrimSpace(strings.TrimPrefix(headerLine(head, "Call-ID"), "Call-ID:"))
		var o []string
		var rest strings.Builder
		for _, l := range strings.Split(body, "\r\n") {
			if v, ok := strings.CutPrefix(l, "o="); ok {
				o = strings.Fields(v)
				continue
			}
			rest.WriteString(l + "\n")
		}
		if len(o) != 6 {
			t.Errorf("%s: bad o= line in %q", p.Src, body)
			continue
		}
		var v uint64
		fmt.Sscan(o[2], &v)
		k := party{callID, p.Src.String()}
		now := sent{user: o[0], id: o[1], version: v, rest: rest.String()}
		if prev, ok := last[k]; ok {
			switch {
			case now.user != prev.user || now.id != prev.id:
				t.Errorf("%s changed its origin in call %s: %s %s, was %s %s", k.from, callID, now.user, now.id, prev.user, prev.id)
			case now.rest != prev.rest && now.version != prev.version+1:
				t.Errorf("%s changed its SDP in call %s with version %d after %d; want %d", k.from, callID, now.version, prev.version, prev.version+1)
			case now.rest == prev.rest && now.version != prev.version:
				t.Errorf("%s sent the same SDP in call %s with version %d after %d", k.from, callID, now.version, prev.version)
			case now.rest != prev.rest:
				changes++
			}
		}
		last[k] = now
		if ids[callID] == nil {
			ids[callID] = map[string]string{}
		}
		ids[callID][k.from] = now.id
	}
	for callID, by := range ids {
		seen := map[string]string{}
		for from, id := range by {
			if other, ok := seen[id]; ok {
				t.Errorf("call %s: %s and %s use the same SDP session id %s", callID, from, other, id)
			}
			seen[id] = from
		}
	}
	if changes < 4 {
		t.Errorf("only %d changed SDPs seen; the holds and resumes should give at least 4", changes)
	}
}
