package integration

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/internal/peers"
	"github.com/phonesim/phonesim/registrar"
)

// embeddedRegistrar runs the embedded registrar on its own loopback address.
func embeddedRegistrar(t *testing.T, users map[string]string) *registrar.Registrar {
	t.Helper()
	ip := peers.LoopbackIP(t)
	r, err := registrar.New(registrar.Config{Listen: fmt.Sprintf("%s:%d", ip, peers.FreePort(t, "udp", ip)), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// The demo flow: two phones on the embedded registrar; an Active URI
// number=... call connects with RTP both ways and key=X ends it.
func TestTwoPhonesCallThroughEmbeddedRegistrar(t *testing.T) {
	cti := newCTIServer(t)
	reg := embeddedRegistrar(t, map[string]string{"1001": "secret1", "1002": "secret2"})
	alice := phoneConfig(t, "alice", cti, config.Line{User: "1001", Password: "secret1", Server: reg.Addr(), DisplayName: "Alice"})
	bobCTI := newCTIServer(t)
	bob := phoneConfig(t, "bob", bobCTI, config.Line{User: "1002", Password: "secret2", Server: reg.Addr(), DisplayName: "Bob"})
	fl := startFleet(t, &config.File{Phones: []config.Phone{alice, bob}})
	a, b := fl.Phone("alice"), fl.Phone("bob")

	cti.wait(t, "registered", 5*time.Second)
	bobCTI.wait(t, "registered", 5*time.Second)
	host := reg.Addr()[:len(reg.Addr())-len(fmt.Sprint(portOf(reg.Addr())))-1]
	mustActiveURI(t, a, "number=1002&outgoing_uri=1001@"+host)
	out := cti.wait(t, "outgoing_call", 5*time.Second)
	if got := out.Query.Get("local"); got != sipURI("1002", host) {
		t.Errorf("Outgoing Call $local = %q, want the called party %s", got, sipURI("1002", host))
	}
	if out.Query.Get("remote") != "" {
		t.Errorf("$remote is for incoming calls only, got %q", out.Query.Get("remote"))
	}
	in := bobCTI.wait(t, "incoming_call", 5*time.Second)
	if in.Query.Get("remote") != sipURI("1001", host) || in.Query.Get("display_remote") != "Alice" {
		t.Errorf("Incoming Call vars %v", in.Query)
	}
	if in.Query.Get("call_id") != out.Query.Get("call_id") {
		t.Errorf("Call-ID differs across the proxy: %q vs %q", in.Query.Get("call_id"), out.Query.Get("call_id"))
	}
	mustActiveURI(t, b, "key=OK")
	cti.wait(t, "established", 5*time.Second)
	bobCTI.wait(t, "established", 5*time.Second)
	waitRTPBothWays(t, a, b)
	mustActiveURI(t, a, "key=X")
	cti.wait(t, "terminated", 5*time.Second)
	bobCTI.wait(t, "terminated", 5*time.Second)
	bobCTI.wait(t, "busy_to_idle", 5*time.Second)
}

// A wrong password gives Registration Failed, and no Registered.
func TestWrongPasswordGivesRegistrationFailed(t *testing.T) {
	cti := newCTIServer(t)
	reg := embeddedRegistrar(t, map[string]string{"1001": "right"})
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "wrong", Server: reg.Addr()})
	fl := startFleet(t, &config.File{Phones: []config.Phone{p}})
	cti.wait(t, "registration_failed", 5*time.Second)
	// Retries keep failing without a new event per retry.
	time.Sleep(600 * time.Millisecond)
	if n := cti.count("registered"); n != 0 {
		t.Fatalf("Registered fired with a wrong password")
	}
	if n := cti.count("registration_failed"); n != 1 {
		t.Errorf("Registration Failed fired %d times for one failure streak", n)
	}
	l := fl.Phones[0].Phone.Snapshot().Lines[0]
	if l.Registration != "failed" || (l.LastCode != 401 && l.LastCode != 403) {
		t.Errorf("line status %+v", l)
	}
}

// A registrar that goes away and comes back gives Registration Failed,
// then Registered, without a restart of the phone.
func TestRegistrarOutageAndRecovery(t *testing.T) {
	cti := newCTIServer(t)
	ip := peers.LoopbackIP(t)
	addr := fmt.Sprintf("%s:%d", ip, peers.FreePort(t, "udp", ip))
	users := map[string]string{"1001": "pw"}
	start := func() *registrar.Registrar {
		r, err := registrar.New(registrar.Config{Listen: addr, Users: users})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return r
	}
	reg := start()
	// Expires 2 s: the phone refreshes every 1.5 s.
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "pw", Server: addr, Expires: 2})
	startFleet(t, &config.File{Phones: []config.Phone{p}})
	cti.wait(t, "registered", 5*time.Second)

	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	cti.wait(t, "registration_failed", 10*time.Second)
	reg = start()
	t.Cleanup(func() { _ = reg.Close() })
	cti.waitN(t, "registered", 2, 10*time.Second)
	assertOrder(t, cti.events(), []string{"setup_completed", "registered", "registration_failed", "registered"})
}

func portOf(hostport string) int {
	var p int
	for i := len(hostport) - 1; i >= 0; i-- {
		if hostport[i] == ':' {
			fmt.Sscan(hostport[i+1:], &p)
			break
		}
	}
	return p
}

// Dialling with keys (key=SPEAKER;1;0;0;2;OK as the issue writes it),
// answering with the soft key F1, an RFC 4733 digit during the call, and
// RD redialling the last number.
func TestKeypadDialingSoftKeyAnswerDTMFAndRedial(t *testing.T) {
	cti := newCTIServer(t)
	reg := embeddedRegistrar(t, map[string]string{"1001": "s1", "1002": "s2"})
	alice := phoneConfig(t, "alice", cti, config.Line{User: "1001", Password: "s1", Server: reg.Addr()})
	bobCTI := newCTIServer(t)
	bob := phoneConfig(t, "bob", bobCTI, config.Line{User: "1002", Password: "s2", Server: reg.Addr()})
	fl := startFleet(t, &config.File{Phones: []config.Phone{alice, bob}})
	a, b := fl.Phone("alice"), fl.Phone("bob")
	cti.wait(t, "registered", 5*time.Second)
	bobCTI.wait(t, "registered", 5*time.Second)

	mustActiveURI(t, a, "key=SPEAKER;1;0;0;2;OK")
	bobCTI.wait(t, "incoming_call", 5*time.Second)
	if sk := b.Phone.Snapshot().LCD.SoftKeys; sk[0] != "Answer" || sk[3] != "Reject" {
		t.Fatalf("ringing soft keys %q", sk)
	}
	mustActiveURI(t, b, "key=F1")
	bobCTI.wait(t, "established", 5*time.Second)
	cti.wait(t, "established", 5*time.Second)

	mustActiveURI(t, a, "key=5;POUND")
	waitFor(t, "two RFC 4733 digits at bob", 5*time.Second, func() bool {
		s := b.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].DTMFIn == 2
	})
	// alice counts a digit once its last end packet is out.
	waitFor(t, "alice to count two digits sent", 5*time.Second, func() bool {
		s := a.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].DTMFOut == 2
	})
	mustActiveURI(t, b, "key=X")
	cti.wait(t, "terminated", 5*time.Second)
	cti.wait(t, "busy_to_idle", 5*time.Second)

	mustActiveURI(t, a, "key=RD")
	bobCTI.waitN(t, "incoming_call", 2, 5*time.Second)
	// Bob rejects with X: alice's call fails and ends.
	mustActiveURI(t, b, "key=X")
	cti.waitN(t, "terminated", 2, 5*time.Second)
	if n := bobCTI.count("missed_call"); n != 0 {
		t.Errorf("a call bob rejected counted as missed")
	}
}

// The caller hangs up while the callee rings: the phone sends CANCEL, the
// callee reports a Missed Call, both end with Terminated.
func TestCallerHangsUpWhileRingingSendsCancel(t *testing.T) {
	cti := newCTIServer(t)
	reg := embeddedRegistrar(t, map[string]string{"1001": "s1", "1002": "s2"})
	alice := phoneConfig(t, "alice", cti, config.Line{User: "1001", Password: "s1", Server: reg.Addr()})
	bobCTI := newCTIServer(t)
	bob := phoneConfig(t, "bob", bobCTI, config.Line{User: "1002", Password: "s2", Server: reg.Addr()})
	fl := startFleet(t, &config.File{Phones: []config.Phone{alice, bob}})
	a := fl.Phone("alice")
	cti.wait(t, "registered", 5*time.Second)
	bobCTI.wait(t, "registered", 5*time.Second)

	mustActiveURI(t, a, "number=1002")
	in := bobCTI.wait(t, "incoming_call", 5*time.Second)
	waitForPhone(t, a, "ringback at alice", 5*time.Second, func() bool {
		s := a.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].State == "ringback"
	})
	mustActiveURI(t, a, "key=X")
	missed := bobCTI.wait(t, "missed_call", 5*time.Second)
	if missed.Query.Get("call_id") != in.Query.Get("call_id") {
		t.Errorf("Missed Call for %q, rang for %q", missed.Query.Get("call_id"), in.Query.Get("call_id"))
	}
	cti.wait(t, "terminated", 5*time.Second)
	bobCTI.wait(t, "terminated", 5*time.Second)
	if n := cti.count("established") + bobCTI.count("established"); n != 0 {
		t.Errorf("a cancelled call fired Established")
	}
}

// A speed-dial DSS key calls its number; the status API lists the key.
func TestDSSSpeedDial(t *testing.T) {
	cti := newCTIServer(t)
	reg := embeddedRegistrar(t, map[string]string{"1001": "s1", "1002": "s2"})
	alice := phoneConfig(t, "alice", cti, config.Line{User: "1001", Password: "s1", Server: reg.Addr()})
	alice.DSS = []config.DSSKey{{Type: "speed_dial", Value: "1002", Label: "Bob"}}
	bobCTI := newCTIServer(t)
	bob := phoneConfig(t, "bob", bobCTI, config.Line{User: "1002", Password: "s2", Server: reg.Addr()})
	fl := startFleet(t, &config.File{Phones: []config.Phone{alice, bob}})
	cti.wait(t, "registered", 5*time.Second)
	bobCTI.wait(t, "registered", 5*time.Second)

	if d := fl.Phone("alice").Phone.Snapshot().DSS; len(d) != 1 || d[0].Label != "Bob" || d[0].Key != 1 {
		t.Fatalf("status DSS %+v", d)
	}
	mustActiveURI(t, fl.Phone("alice"), "key=D1")
	in := bobCTI.wait(t, "incoming_call", 5*time.Second)
	if !strings.HasPrefix(in.Query.Get("remote"), "sip:1001@") {
		t.Errorf("bob rang for %q", in.Query.Get("remote"))
	}
	if code, _ := activeURI(t, fl.Phone("alice"), "key=D2"); code == 200 {
		t.Error("an unprogrammed DSS key answered 200")
	}
}

// SIP over TCP (config `transport: tcp`): both phones register over TCP to
// the embedded registrar, which proxies the call; RTP flows both ways, the
// caller's BLF key on the callee (a SUBSCRIBE over TCP) follows the call,
// and the caller's X ends it at both ends.
func TestTwoPhonesCallOverTCP(t *testing.T) {
	aCTI, bCTI := newCTIServer(t), newCTIServer(t)
	reg := embeddedRegistrar(t, map[string]string{"1001": "secret1", "1002": "secret2"})
	alice := phoneConfig(t, "alice", aCTI, config.Line{User: "1001", Password: "secret1", Server: reg.Addr(), Transport: "tcp"})
	blfOnBob(&alice)
	bob := phoneConfig(t, "bob", bCTI, config.Line{User: "1002", Password: "secret2", Server: reg.Addr(), Transport: "tcp"})
	fl := startFleet(t, &config.File{Phones: []config.Phone{alice, bob}})
	a, b := fl.Phone("alice"), fl.Phone("bob")
	aCTI.wait(t, "registered", 5*time.Second)
	bCTI.wait(t, "registered", 5*time.Second)
	ips := map[string]string{"1001": alice.IP, "1002": bob.IP}
	for _, bd := range reg.Bindings() {
		if bd.Transport != "TCP" {
			t.Errorf("binding of %s came over %s (Contact %s), want TCP", bd.User, bd.Transport, bd.Contact)
		}
		if host, _, _ := net.SplitHostPort(bd.Source); host != ips[bd.User] {
			t.Errorf("%s registered from %s, want its phone's IP %s", bd.User, bd.Source, ips[bd.User])
		}
	}

	lamp := func() string { return blfLamp(a) }
	waitForPhone(t, a, "the BLF lamp idle", 5*time.Second, func() bool { return lamp() == "idle" })

	mustActiveURI(t, a, "number=1002")
	bCTI.wait(t, "incoming_call", 5*time.Second)
	mustActiveURI(t, b, "key=OK")
	aCTI.wait(t, "established", 5*time.Second)
	bCTI.wait(t, "established", 5*time.Second)
	waitRTPBothWays(t, a, b)
	waitForPhone(t, a, "the BLF lamp busy", 5*time.Second, func() bool { return lamp() == "busy" })
	mustActiveURI(t, a, "key=X")
	aCTI.wait(t, "terminated", 5*time.Second)
	bCTI.wait(t, "terminated", 5*time.Second)
	waitForPhone(t, a, "the BLF lamp idle again", 5*time.Second, func() bool { return lamp() == "idle" })
}

// waitRTPBothWays waits until a and b, one call each, have each sent and
// received more than 10 RTP packets.
func waitRTPBothWays(t *testing.T, a, b *fleet.Member) {
	t.Helper()
	waitFor(t, "RTP both ways", 5*time.Second, func() bool {
		sa, sb := a.Phone.Snapshot(), b.Phone.Snapshot()
		return len(sa.Calls) == 1 && len(sb.Calls) == 1 &&
			sa.Calls[0].RTPIn > 10 && sa.Calls[0].RTPOut > 10 && sb.Calls[0].RTPIn > 10 && sb.Calls[0].RTPOut > 10
	})
}
