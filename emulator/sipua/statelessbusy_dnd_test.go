package sipua_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/emulator/sipua"
	"github.com/phonesim/phonesim/internal/peers"
)

// Floods of 3,000 unauthenticated INVITEs from SIPp against a phone in
// DND with reject_code 603: every one gets 603 with no 18x before it, the
// phone rings for none but counts each as missed, and its live heap after
// each flood is within 10 % of where it was before any (issue 7): the phone
// refuses them as a stateless UAS, as at the call-appearance limit
// (statelessbusy.go).
func TestINVITEFloodUnderDND(t *testing.T) {
	if testing.Short() {
		t.Skip("two floods of 3,000 INVITEs take about 15 s; skipped in -short mode")
	}
	bob := startPhoneConfig(t, "bob", "127.0.0.1", "1001", "127.0.0.1:9", sipua.MediaOptions{}, func(cfg *emulator.Config) {
		cfg.DND, cfg.RejectCode = true, 603
	}, nil)
	waitRefusing(t, bob, 603)
	empty := steadyHeap()
	// The call history keeps the last 100 calls: it is full before the
	// floods, so that what they leave is measured, not the history filling.
	if !t.Run("history filled", func(t *testing.T) { floodRefused(t, bob, 100, 0, 603) }) {
		t.FailNow()
	}
	waitFor(t, "100 missed calls", 3*time.Second, func() bool { return bob.Snapshot().Counters.Missed == 100 })
	start, rss := steadyHeap(), rssKB()
	t.Logf("in DND: live heap %d KB with no call history, %d KB with 100 missed calls in it; RSS %d KB", empty/1024, start/1024, rss)
	for i := 1; i <= 2; i++ {
		if !t.Run("flood "+strconv.Itoa(i), func(t *testing.T) { floodRefused(t, bob, 3000, 0, 603) }) {
			t.FailNow()
		}
		// Each refused call is a missed call (as on a Yealink), counted
		// once; the history keeps the last 100.
		waitFor(t, "the flood's calls counted as missed", 3*time.Second, func() bool {
			return bob.Snapshot().Counters.Missed >= uint64(100+i*3000)
		})
		if s := bob.Snapshot(); s.Counters.Missed != uint64(100+i*3000) || len(s.History) != 100 || s.History[0].Kind != "missed" {
			t.Errorf("after flood %d: %d missed, %d history entries (first %+v); want %d and 100 missed",
				i, s.Counters.Missed, len(s.History), s.History[0], 100+i*3000)
		}
		after := steadyHeap()
		t.Logf("after flood %d: live heap %d KB, RSS %d KB", i, after/1024, rssKB())
		if float64(after) > 1.10*float64(start) {
			t.Errorf("flood %d left the live heap at %d KB, more than 10 %% above the %d KB before it", i, after/1024, start/1024)
		}
	}
}

// waitRefusing waits until the phone has told its SIP side to refuse new
// calls with code.
func waitRefusing(t *testing.T, p *testPhone, code int) {
	t.Helper()
	waitFor(t, "the SIP side to refuse new calls with "+strconv.Itoa(code), expectTimeout, func() bool {
		c, _ := sipua.StatelessRefusal(p.ua)
		return c == code
	})
}

// floodRefused sends n INVITEs (500 a second) with SIPp to a phone that
// refuses new calls with code and waits until the last ACK is in: every one got code
// with no 18x before it (SIPp fails a call that gets anything else), every
// refusal and ACK was the stateless UAS's, and the phone holds the calls it
// held before (calls) and rang for no more.
func floodRefused(t *testing.T, bob *testPhone, flood, calls, code int) {
	t.Helper()
	_, refusedBefore, acksBefore := sipua.StatelessBusy(bob.ua)
	sipp := peers.SIPp(t, peers.SIPpOptions{
		Scenario: busyAtOnce(t), Target: bob.ua.Addr(), IP: "127.0.0.1", Service: "1001",
		Calls: flood, Rate: 500, MaxDuration: 60 * time.Second,
		Params: map[string]string{"BUSY_CODE": strconv.Itoa(code)},
		Args:   []string{"-l", "200"},
	})
	if err := sipp.Wait(90 * time.Second); err != nil {
		t.Fatalf("not every INVITE of the flood got %d: %v", code, err)
	}
	if n := strings.Count(sipp.Messages(), "SIP/2.0 "+strconv.Itoa(code)+" "); n < flood {
		t.Errorf("SIPp saw %d %d responses, want at least %d", n, code, flood)
	}
	wantOnlyCalls(t, bob, calls)
	// Every refusal was the stateless UAS's (retransmissions under load
	// may add more), and every ACK of the flood reached it: nothing of the
	// flood is still in flight when the heap is read.
	want := uint64(flood)
	_, refused, acks := sipua.StatelessBusy(bob.ua)
	for deadline := time.Now().Add(5 * time.Second); acks-acksBefore < want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		_, refused, acks = sipua.StatelessBusy(bob.ua)
	}
	if refused-refusedBefore < want || acks-acksBefore < want {
		t.Errorf("%d INVITEs refused and %d ACKs taken statelessly, want at least %d of each", refused-refusedBefore, acks-acksBefore, flood)
	}
}
