package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

// gogc is the collector's GOGC as the runtime reports it.
func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// The end of start-up runs the collector at GOGC=25, from the phone that
// makes startupGCFrom of the fleet up; once the fleet is up, Go's default
// of 100 is back (gcstart.go; docs/fleet.md, memory).
func TestStartupGCIsLowAtTheEndOfStartUp(t *testing.T) {
	t.Setenv("GOGC", "") // restored after the test
	os.Unsetenv("GOGC")
	const phones = 8
	from := max(1, int(phones*startupGCFrom))
	g := newStartupGC(phones)
	for i := 1; i <= phones; i++ {
		g.phoneUp()
		want := uint64(100)
		if i >= from {
			want = startupGCPercent
		}
		if got := gogc(); got != want {
			t.Errorf("GOGC with %d of %d phones up = %d, want %d", i, phones, got, want)
		}
	}
	g.done()
	g.done() // run's deferred call after the explicit one
	if got := gogc(); got != 100 {
		t.Errorf("GOGC once the fleet is up = %d, want 100", got)
	}
	// A registrar-only process has no start-up to speak of.
	g = newStartupGC(0)
	g.phoneUp()
	if got := gogc(); got != 100 {
		t.Errorf("GOGC of a process without phones = %d, want 100", got)
	}
}

// A GOGC the user set is left alone, during start-up and after.
func TestStartupGCKeepsTheUsersGOGC(t *testing.T) {
	t.Setenv("GOGC", "80")
	debug.SetGCPercent(80) // what the runtime did with GOGC=80 before main
	t.Cleanup(func() { debug.SetGCPercent(100) })
	g := newStartupGC(4)
	for range 4 {
		g.phoneUp()
	}
	if got := gogc(); got != 80 {
		t.Errorf("GOGC during start-up = %d, want the user's 80", got)
	}
	g.done()
	if got := gogc(); got != 80 {
		t.Errorf("GOGC once the fleet is up = %d, want the user's 80", got)
	}
}
