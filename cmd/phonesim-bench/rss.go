package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/phonesim/phonesim/registrar"
)

// rssResult is figure 3: what N registered idle phones add to the process.
type rssResult struct {
	Phones                            int
	Before, After                     int64 // VmRSS of this process, bytes
	GoroutinesBefore, GoroutinesAfter int
	MemBefore, MemAfter               memSnapshot   // the runtime's memory classes
	StartTook                         time.Duration // fleet.Start until every phone registered
	Idle                              time.Duration // how long the fleet sat idle before the measure
	Baresip                           baresipResult
	// Binary is the phonesim binary running the same block (and the
	// registrar alone), read Idle after start with nothing forced.
	Binary *fleetResult
}

// perPhone is what each phone adds in this process, after forced GCs.
func (r rssResult) perPhone() float64 {
	return float64(r.After-r.Before) / float64(r.Phones)
}

func (r rssResult) goroutinesPerPhone() float64 {
	return float64(r.GoroutinesAfter-r.GoroutinesBefore) / float64(r.Phones)
}

// The RSS fleet: phone i at rssBase + i, account 10000 + i.
const rssFirstUser = 10000

// rssBase is the RSS fleet's first address; the tests move it (and
// fleetBase) to a block of their own, so that a bench run beside them
// does not take their ports.
var rssBase = "127.5.0.1"

// rssUser is the account of phone i of the RSS fleet.
func rssUser(i int) string { return strconv.Itoa(rssFirstUser + i) }

// settle lets the process reach a steady state: two GCs with the heap's
// free pages returned to the kernel (debug.FreeOSMemory), a pause between.
func settle(pause time.Duration) {
	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(pause)
	runtime.GC()
	debug.FreeOSMemory()
}

// measureRSS starts phones registered idle phones in this process, one
// fleet block as bin/phonesim starts it (startAsBinary: each phone its own
// address, one line, no Action URLs), next to the running registrar,
// measures after forced GCs, then starts one baresip registered to the
// same registrar and measures it. The headline figure is the binary's
// (measureBinary), beside this one.
func measureRSS(ctx context.Context, reg *registrar.Registrar, phones int, baresipUser, memProfile string, idle time.Duration, log *slog.Logger) (*rssResult, error) {
	res := &rssResult{Phones: phones, Idle: idle}
	settle(500 * time.Millisecond)
	var err error
	if res.Before, err = vmRSS("/proc/self/status"); err != nil {
		return nil, err
	}
	res.GoroutinesBefore = runtime.NumGoroutine()
	res.MemBefore = readMemClasses()

	start := time.Now()
	fl, want, err := startAsBinary(ctx, rssBase, phones, rssFirstUser, "pw-$user", reg.Addr()) // benchPassword
	if err != nil {
		return nil, err
	}
	defer closeFleet(fl)
	if err := waitBindings(ctx, reg, want, 30*time.Second+time.Duration(phones)*20*time.Millisecond); err != nil {
		return nil, err
	}
	res.StartTook = time.Since(start)
	settle(idle)
	if res.After, err = vmRSS("/proc/self/status"); err != nil {
		return nil, err
	}
	res.GoroutinesAfter = runtime.NumGoroutine()
	res.MemAfter = readMemClasses()
	if memProfile != "" {
		if err := writeHeapProfile(memProfile); err != nil {
			return nil, err
		}
	}

	res.Baresip = measureBaresip(ctx, reg, baresipUser)
	return res, nil
}

// vmRSS reads the VmRSS line of a /proc/PID/status file, in bytes.
func vmRSS(statusFile string) (int64, error) {
	f, err := os.Open(statusFile)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(v) // "7412 kB"
			if len(fields) != 2 || fields[1] != "kB" {
				return 0, fmt.Errorf("%s: odd VmRSS line %q", statusFile, sc.Text())
			}
			kb, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", statusFile, err)
			}
			return kb * 1024, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no VmRSS line", statusFile)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// The goroutines of the idle fleet, grouped by stack, beside it.
	g, err := os.Create(path + ".goroutines.txt")
	if err != nil {
		return err
	}
	if err := pprof.Lookup("goroutine").WriteTo(g, 1); err != nil {
		g.Close()
		return err
	}
	return g.Close()
}
