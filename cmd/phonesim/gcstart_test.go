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

// Start-up runs the collector at GOGC=25 and the fleet, once up, at Go's
// default of 100 (gcstart.go; docs/fleet.md, memory).
func TestStartupGCIsLowUntilTheFleetIsUp(t *testing.T) {
	t.Setenv("GOGC", "") // restored after the test
	os.Unsetenv("GOGC")
	restore := lowerStartupGC()
	if got := gogc(); got != startupGCPercent {
		t.Errorf("GOGC during start-up = %d, want %d", got, startupGCPercent)
	}
	restore()
	restore() // run's deferred call after the explicit one
	if got := gogc(); got != 100 {
		t.Errorf("GOGC once the fleet is up = %d, want 100", got)
	}
}

// A GOGC the user set is left alone, during start-up and after.
func TestStartupGCKeepsTheUsersGOGC(t *testing.T) {
	t.Setenv("GOGC", "80")
	debug.SetGCPercent(80) // what the runtime did with GOGC=80 before main
	t.Cleanup(func() { debug.SetGCPercent(100) })
	restore := lowerStartupGC()
	if got := gogc(); got != 80 {
		t.Errorf("GOGC during start-up = %d, want the user's 80", got)
	}
	restore()
	if got := gogc(); got != 80 {
		t.Errorf("GOGC once the fleet is up = %d, want the user's 80", got)
	}
}
