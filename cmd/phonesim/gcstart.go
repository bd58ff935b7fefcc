package main

import (
	"os"
	"runtime/debug"
)

// startupGCPercent is the Go garbage collector's GOGC while the fleet
// starts (issue 10, item 3: "resident memory of the process itself ...
// ≤ 64 KiB per registered idle phone at 10,000 phones, 30 s after
// start").
//
// Start-up allocates each phone's long-lived objects (its state, SIP
// stack, web server) between the garbage of parsing the file and of
// registering (REGISTER, 401, digest, 200). The collector does not move
// objects: garbage that dies between long-lived neighbours leaves a hole
// in a page that stays resident, and the runtime can return only wholly
// free pages to the kernel. The holes left when start-up ends are the
// garbage of the last GC cycle, and with the default GOGC=100 a cycle
// lets the heap grow by as much as is live, which for a fleet counts
// each phone's 64 KiB UDP read buffer (emulator/sipua/udpsize.go),
// mapped but hardly touched. Measured at 10,000 phones (docs/benchmarks.md,
// fleet scale): holes of about 14 KiB a phone at GOGC=100, 7 KiB at 25,
// for about 3 s more CPU time over the whole start-up.
const startupGCPercent = 25

// defaultGCPercent is Go's GOGC when the environment sets none.
const defaultGCPercent = 100

// lowerStartupGC sets GOGC to startupGCPercent until the returned func
// is called (once the fleet is up), which sets Go's default back: the
// phones' calls then run at the collector's usual pace. A user who set
// GOGC in the environment keeps it throughout: the runtime applied it
// before main, and phonesim leaves it alone.
func lowerStartupGC() (restore func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	debug.SetGCPercent(startupGCPercent)
	return func() { debug.SetGCPercent(defaultGCPercent) }
}
