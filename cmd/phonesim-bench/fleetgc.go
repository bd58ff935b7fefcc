package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/registrar"
)

// gcBase is the first address of the in-process fleet of measureFleetGC.
const gcBase = "127.4.0.1"

// measureFleetGC is the forced-GC figure beside the fleet-scale one: the
// same block of phones, started in this process as bin/phonesim starts
// it (startAsBinary) with the registrar, idle for idle, then two GCs with
// memory returned to the kernel (settle) before VmRSS is read: what the
// phones add per phone once all garbage is gone.
func measureFleetGC(ctx context.Context, phones int, idle time.Duration) (float64, error) {
	log := slog.Default()
	users := make(map[string]string, phones)
	for i := range phones {
		u := fmt.Sprint(100000 + i)
		users[u] = "pw" + u
	}
	reg, err := registrar.New(registrar.Config{Listen: "127.0.0.1:0", Users: users, Logger: log})
	if err != nil {
		return 0, err
	}
	if err := reg.Start(ctx); err != nil {
		return 0, err
	}
	defer reg.Close()
	settle(500 * time.Millisecond)
	before, err := vmRSS("/proc/self/status")
	if err != nil {
		return 0, err
	}
	fl, want, err := startAsBinary(ctx, gcBase, phones, 100000, "pw$user", reg.Addr())
	if err != nil {
		return 0, err
	}
	defer closeFleet(fl)
	if err := waitBindings(ctx, reg, want, time.Minute+time.Duration(phones)*5*time.Millisecond); err != nil {
		return 0, err
	}
	settle(idle)
	after, err := vmRSS("/proc/self/status")
	if err != nil {
		return 0, err
	}
	return float64(after-before) / float64(phones), nil
}

// startAsBinary starts, in this process, one fleet block of phones the
// way bin/phonesim starts it (cmd/phonesim/main.go, internal/cli): phone
// i at first+i, SIP port 5060 and one HTTP port for all, users from
// user, a listener each unless the open-file limit makes the phones
// share one (fleet.EnsureOpenFiles: at 1,000 phones under the default
// limit each has its own), and slog's default logger deferred, since
// sipgo derives three loggers a phone from it (fleet.DeferWith). What it
// does not copy: cmd/phonesim's lower GOGC for the end of start-up
// (cmd/phonesim/gcstart.go, package main). It returns the fleet and the
// users it registers.
func startAsBinary(ctx context.Context, first string, phones, user int, password, server string) (*fleet.Fleet, map[string]bool, error) {
	httpAddr, err := freeAddr("tcp", "0.0.0.0") // free on every address: the shared listener binds the wildcard
	if err != nil {
		return nil, nil, err
	}
	_, port, _ := net.SplitHostPort(httpAddr)
	f, err := config.Parse("block.yaml", []byte(fmt.Sprintf(`fleet:
  - {count: %d, ip: %s, sip_port: 5060, http_port: %s, user: %d, password: %q, server: "%s"}
`, phones, first, port, user, password, server)))
	if err != nil {
		return nil, nil, err
	}
	share, _, err := fleet.EnsureOpenFiles(f)
	if err != nil {
		return nil, nil, err
	}
	want := make(map[string]bool, phones)
	for i := range f.Phones {
		want[f.Phones[i].Lines[0].User] = true
	}
	log := slog.New(fleet.DeferWith(slog.Default().Handler())) // a no-op when it is already
	slog.SetDefault(log)
	fl, err := fleet.Start(ctx, f, fleet.Options{Logger: log, ShareHTTP: share})
	return fl, want, err
}
