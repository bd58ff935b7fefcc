package integration

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/fleet"
)

// A phone's console (fleet.Member.Console, what the GUI draws beside the
// phone) lists the Active URI requests it received and the Action URLs it
// sent, with status and latency, as they happen.
func TestConsoleListsActiveURIAndActionURLs(t *testing.T) {
	tr := startTrio(t)
	var woken atomic.Int32
	before := len(tr.a.Console.Records())
	cancel := tr.a.Console.Watch(func() { woken.Add(1) })
	defer cancel()
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)
	mustActiveURI(t, tr.a, "key=X")
	tr.aCTI.wait(t, "terminated", 5*time.Second)

	find := func(m *fleet.Member, ok func(fleet.ConsoleRecord) bool) bool {
		for _, r := range m.Console.Records() {
			if ok(r) {
				return true
			}
		}
		return false
	}
	waitFor(t, "alice's console to list the dial request and her Action URLs", 5*time.Second, func() bool {
		dial := find(tr.a, func(r fleet.ConsoleRecord) bool {
			q := r.ActiveURI
			return q != nil && q.Command == "number=1002" && q.Status == 200 && q.Client == "127.0.0.1" &&
				strings.HasPrefix(q.Result, "OK: dialing 1002")
		})
		out := find(tr.a, func(r fleet.ConsoleRecord) bool {
			d := r.ActionURL
			return d != nil && d.Event == emulator.EventOutgoingCall && d.Status == 200 && d.Err == "" &&
				strings.Contains(d.URL, "/outgoing_call") && d.Latency > 0
		})
		term := find(tr.a, func(r fleet.ConsoleRecord) bool {
			return r.ActionURL != nil && r.ActionURL.Event == emulator.EventTerminated
		})
		return dial && out && term
	})
	if !find(tr.b, func(r fleet.ConsoleRecord) bool { return r.ActiveURI != nil && r.ActiveURI.Command == "key=OK" }) {
		t.Error("bob's console does not list key=OK")
	}
	if find(tr.c, func(r fleet.ConsoleRecord) bool { return r.ActiveURI != nil }) {
		t.Error("carol's console lists a request she never got")
	}
	recs := tr.a.Console.Records()
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq <= recs[i-1].Seq {
			t.Fatalf("records out of order: %d after %d", recs[i].Seq, recs[i-1].Seq)
		}
	}
	if int(woken.Load()) < len(recs)-before {
		t.Errorf("Watch ran %d times for %d new records", woken.Load(), len(recs)-before)
	}
}
