package main

import (
	"os"
	"runtime/debug"
	"sync"
)

// startupGCPercent is the Go garbage collector's GOGC for the last part
// of a fleet's start-up (issue 10, item 3: "resident memory of the
// process itself ... ≤ 64 KiB per registered idle phone at 10,000
// phones, 30 s after start").
//
// Start-up allocates each phone's long-lived objects (its state, SIP
// stack, web server) between the garbage of registering (REGISTER, 401,
// digest, 200). The collector does not move objects: garbage that dies
// between long-lived neighbours leaves a hole in a page that stays
// resident, and the runtime returns only wholly free pages to the kernel.
// Holes of earlier GC cycles are filled by the allocations that follow;
// those of the last cycle stay. With the default GOGC=100 a cycle lets
// the heap grow by as much as is live, and for a fleet that counts each
// phone's 64 KiB UDP read buffer (emulator/sipua/udpsize.go), mapped but
// hardly touched. Measured at 10,000 phones (docs/benchmarks.md, fleet
// scale): holes (the runtime's heap "unused" class) of about 14 KiB a
// phone at GOGC=100, 7 KiB at 25.
const startupGCPercent = 25

// startupGCFrom is the share of the fleet's phones up from which
// start-up runs at startupGCPercent. The holes of the cycles before are
// mostly filled by the phones that follow, and each cycle costs CPU in
// proportion to the heap. Measured at 10,000 phones (means of 2 to 4
// runs, load 1.6 to 2.4), VmRSS per phone 30 s after start and CPU time:
// from the first phone 61.3 KiB and 9.8 s, from half the fleet 62.2 KiB
// and 8.2 s, from three quarters 63.6 KiB and 7.4 s; GOGC=100 throughout
// 70 KiB and 6.7 s.
const startupGCFrom = 0.5

// defaultGCPercent is Go's GOGC when the environment sets none.
const defaultGCPercent = 100

// startupGC lowers GOGC for the end of start-up and sets Go's default
// back once the fleet is up: the phones' calls then run at the
// collector's usual pace. A user who set GOGC in the environment keeps
// it throughout: the runtime applied it before main, and phonesim leaves
// it alone.
type startupGC struct {
	from int // phones up from which GOGC is low; 0: never (the user's GOGC)

	mu      sync.Mutex
	up      int
	lowered bool
}

func newStartupGC(phones int) *startupGC {
	if _, set := os.LookupEnv("GOGC"); set || phones == 0 {
		return &startupGC{}
	}
	return &startupGC{from: max(1, int(float64(phones)*startupGCFrom))}
}

// phoneUp counts a phone up (fleet.Options.OnStarted).
func (g *startupGC) phoneUp() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.up++
	if g.from > 0 && g.up == g.from {
		debug.SetGCPercent(startupGCPercent)
		g.lowered = true
	}
}

// done ends start-up: Go's default GOGC again, if it was lowered.
func (g *startupGC) done() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lowered {
		debug.SetGCPercent(defaultGCPercent)
		g.lowered = false
	}
}
