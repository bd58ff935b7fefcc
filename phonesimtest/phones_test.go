package phonesimtest

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
)

// Two demos run side by side: each got free ports, not 5060/8081/8082.
func TestTwoDemosOnFreePorts(t *testing.T) {
	a, b := NewDemo(t), NewDemo(t)
	if a.Fleet.Registrar.Addr() == b.Fleet.Registrar.Addr() {
		t.Fatalf("both registrars on %s", a.Fleet.Registrar.Addr())
	}
	for _, ps := range []*Phones{a, b} {
		if addr := ps.Phone("1001").Member.HTTPAddr(); strings.HasSuffix(addr, ":8081") {
			t.Errorf("alice on the demo's fixed port %s", addr)
		}
		for _, p := range ps.List() {
			if got := p.Snapshot().Lines[0].Registration; got != emulator.RegRegistered {
				t.Errorf("%s: line 1 %s", p.Name(), got)
			}
		}
	}
}

// A call placed through Active URI reaches the sink as a CTI server would
// see it: Incoming Call on bob with alice's URI in $remote, from bob's IP.
func TestCallEventsReachTheSink(t *testing.T) {
	ps := NewDemo(t)
	alice, bob := ps.Phone("1001"), ps.Phone("bob")
	if alice == nil || bob == nil || ps.Phone("nobody") != nil {
		t.Fatal("lookup by extension or name failed")
	}
	// Setup Completed and the first Registered were sent before any step.
	if got := Keys(bob.Events()); !strings.HasPrefix(got, "setup_completed, registered") {
		t.Fatalf("bob's first events: %s", got)
	}
	alice.MustURI(t, "number=1002&outgoing_uri=1001@127.0.0.1")
	in := bob.MustWaitEvent(t, Event("incoming_call"))
	if !strings.Contains(in.Vars["remote"], "1001") || in.Vars["call_id"] == "" || in.From != "127.0.0.1" {
		t.Errorf("incoming_call vars %v from %s", in.Vars, in.From)
	}
	bob.MustURI(t, "key=OK")
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	s, err := alice.WaitSnapshot(ctx, func(s emulator.Snapshot) bool {
		return len(s.Calls) == 1 && s.Calls[0].State == emulator.CallTalking
	})
	if err != nil {
		t.Fatalf("alice never talking: %v (calls %+v)", err, s.Calls)
	}
	if r, err := alice.Press(ctx, "X"); err != nil || r.Status != http.StatusOK {
		t.Fatalf("X: %v %+v", err, r)
	}
	if _, _, err := bob.WaitEvent(ctx, 0, Event("terminated")); err != nil {
		t.Fatal(err)
	}
}

// A wait that cannot be met ends with the context and says what came.
func TestWaitEventTimesOutWithWhatCame(t *testing.T) {
	ps := NewDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err := ps.Phone("1001").WaitEvent(ctx, 0, Event("missed_call"))
	if err == nil || !strings.Contains(err.Error(), "setup_completed") {
		t.Fatalf("err = %v, want a deadline naming the events seen", err)
	}
}

// A port in use is a clear error, not a panic, and leaves nothing running.
func TestStartOnABusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f := config.Demo()
	f.Registrar.Listen = "127.0.0.1:0"
	f.Phones = f.Phones[:1]
	f.Phones[0].SIPPort = 0
	f.Phones[0].HTTPPort = ln.Addr().(*net.TCPAddr).Port
	_, err = Start(context.Background(), f, Options{FixedPorts: true})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("err = %v, want address already in use", err)
	}
}
