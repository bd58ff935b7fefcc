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
// same block of phones, started in this process (fleet.Start, shared HTTP
// listener) with the registrar, idle for idle, then two GCs with memory
// returned to the kernel (settle) before VmRSS is read: what the phones
// add per phone once all garbage is gone.
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
	httpAddr, err := freeAddr("tcp", "0.0.0.0") // the shared listener binds the wildcard address
	if err != nil {
		return 0, err
	}
	_, port, _ := net.SplitHostPort(httpAddr)
	f, err := config.Parse("gc.yaml", []byte(fmt.Sprintf(`fleet:
  - {count: %d, ip: %s, sip_port: 5060, http_port: %s, user: 100000, password: "pw$user", server: "%s"}
`, phones, gcBase, port, reg.Addr())))
	if err != nil {
		return 0, err
	}
	want := make(map[string]bool, phones)
	for i := range f.Phones {
		want[f.Phones[i].Lines[0].User] = true
	}
	fl, err := fleet.Start(ctx, f, fleet.Options{Logger: log, ShareHTTP: true})
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
