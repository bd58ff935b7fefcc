package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// The fleet-scale benchmark (issue 10, items 3 and 9): the phonesim
// binary, as a user runs it, with one fleet block of N phones registered
// to its embedded registrar. It reports the time until every phone is
// registered and the resident memory of the process itself (VmRSS of
// /proc/PID/status, nothing forced) per phone, 30 s after start, beside
// the same binary running the registrar alone.
//
//	phonesim-bench -fleet 10000

// fleetBase is the first phone's address: the block spans 127.1.0.1
// upwards (all of 127.0.0.0/8 is loopback on Linux).
const fleetBase = "127.1.0.1"

type fleetResult struct {
	Phones     int
	Registered time.Duration // exec until the summary line says all are registered
	Summary    string        // that line
	RSS        int64         // VmRSS of the fleet process at Idle after start
	BaseRSS    int64         // VmRSS of the registrar-only process
	FDs        int           // open descriptors of the fleet process
	Limit      string        // ulimit -n as the process had it
	Idle       time.Duration
	GCPerPhone float64 // the same phones in this process after forced GCs (fleetgc.go)
}

func (r fleetResult) perPhone() float64    { return float64(r.RSS) / float64(r.Phones) }
func (r fleetResult) addedPer() float64    { return float64(r.RSS-r.BaseRSS) / float64(r.Phones) }
func (r fleetResult) fdsPerPhone() float64 { return float64(r.FDs) / float64(r.Phones) }

// runFleetBench builds phonesim, runs it and prints the table.
func runFleetBench(ctx context.Context, phones int, idle time.Duration, out string, stdout, stderr io.Writer) int {
	res, err := measureFleet(ctx, phones, idle, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "phonesim-bench: fleet: %v\n", err)
		return 1
	}
	return report(res.markdown(describeMachine()), out, stdout, stderr)
}

func measureFleet(ctx context.Context, phones int, idle time.Duration, log io.Writer) (*fleetResult, error) {
	dir, err := os.MkdirTemp("", "phonesim-fleet-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := buildPhonesim(ctx, dir)
	if err != nil {
		return nil, err
	}
	regAddr, err := freeAddr("udp", "127.0.0.1")
	if err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr("tcp", "0.0.0.0")
	if err != nil {
		return nil, err
	}
	_, httpPort, _ := net.SplitHostPort(httpAddr)
	fleetCfg := fmt.Sprintf(`registrar: {listen: "%s"}
fleet:
  - count: %d
    ip: %s
    sip_port: 5060
    http_port: %s
    user: 100000
    password: "pw$user"
    server: "%s"
`, regAddr, phones, fleetBase, httpPort, regAddr)
	regCfg := fmt.Sprintf("registrar:\n  listen: %q\n  accounts: [{count: %d, user: 100000, password: \"pw$user\"}]\n", regAddr, phones)
	res := &fleetResult{Phones: phones, Idle: idle}

	// The registrar alone, for the baseline.
	if res.BaseRSS, _, _, _, err = runMeasured(ctx, bin, write(dir, "reg.yaml", regCfg), "registrar  sip:", 5*time.Second, log); err != nil {
		return nil, fmt.Errorf("registrar alone: %w", err)
	}
	fmt.Fprintf(log, "phonesim-bench: starting %d phones (this takes a while)\n", phones)
	var summary string
	var took time.Duration
	var fds int
	res.RSS, summary, took, fds, err = runMeasured(ctx, bin, write(dir, "fleet.yaml", fleetCfg), "lines registered in", idle, log)
	if err != nil {
		return nil, err
	}
	res.Summary, res.Registered, res.FDs = summary, took, fds
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		res.Limit = fmt.Sprintf("%d (hard %d)", lim.Cur, lim.Max)
	}
	fmt.Fprintf(log, "phonesim-bench: the same %d phones in this process, forced GC\n", phones)
	if res.GCPerPhone, err = measureFleetGC(ctx, phones, idle); err != nil {
		return nil, fmt.Errorf("forced-GC figure: %w", err)
	}
	return res, nil
}

func write(dir, name, text string) string {
	p := filepath.Join(dir, name)
	_ = os.WriteFile(p, []byte(text), 0o644)
	return p
}

// runMeasured runs bin --config cfg until its output has a line holding
// ready, then until at after start, reads its VmRSS and descriptors, and
// stops it with SIGTERM. line is the ready line, took when it came.
func runMeasured(ctx context.Context, bin, cfg, ready string, at time.Duration, log io.Writer) (rss int64, line string, took time.Duration, fds int, err error) {
	p, err := startPhonesim(bin, cfg, ready, log)
	if err != nil {
		return 0, "", 0, 0, err
	}
	defer p.stop()
	if line, took, err = p.waitReady(ctx, 5*time.Minute); err != nil {
		return 0, "", 0, 0, err
	}
	if wait := time.Until(p.start.Add(at)); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return 0, "", 0, 0, ctx.Err()
		}
	}
	pid := p.cmd.Process.Pid
	if rss, err = vmRSS(fmt.Sprintf("/proc/%d/status", pid)); err != nil {
		return 0, "", 0, 0, err
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		fds = len(ents)
	}
	return rss, line, took, fds, nil
}

// freeAddr is a free port on ip, as "ip:port".
func freeAddr(network, ip string) (string, error) {
	if network == "udp" {
		c, err := net.ListenPacket("udp4", ip+":0")
		if err != nil {
			return "", err
		}
		defer c.Close()
		return c.LocalAddr().String(), nil
	}
	l, err := net.Listen("tcp4", ip+":0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

var inDuration = regexp.MustCompile(`registered in ([0-9.]+(ms|s|m[0-9.]*s))`)

func (r fleetResult) markdown(m machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", m)
	inside := "?"
	if sub := inDuration.FindStringSubmatch(r.Summary); sub != nil {
		inside = sub[1]
	}
	verdict := func(ok bool) string {
		if ok {
			return "meets"
		}
		return "misses"
	}
	fmt.Fprintln(&b, "| measure | value | goal | verdict |")
	fmt.Fprintln(&b, "|---|---|---|---|")
	fmt.Fprintf(&b, "| %d phones, one fleet block: exec → all registered | %.2f s (phonesim's own summary: %s) | ≤ 10 s | %s |\n",
		r.Phones, r.Registered.Seconds(), inside, verdict(r.Registered <= 10*time.Second))
	fmt.Fprintf(&b, "| VmRSS of the process %v after start, per phone (no forced GC) | %.1f KiB (%.1f MiB in all) | ≤ 64 KiB | %s |\n",
		r.Idle, r.perPhone()/1024, float64(r.RSS)/(1<<20), verdict(r.perPhone() <= 64*1024))
	fmt.Fprintf(&b, "| ↳ above the registrar alone (%.1f MiB), per phone | %.1f KiB | — | info |\n",
		float64(r.BaseRSS)/(1<<20), r.addedPer()/1024)
	fmt.Fprintf(&b, "| ↳ the same phones in the benchmark process, %v idle, then GC and FreeOSMemory, per phone | %.1f KiB | — | info |\n",
		r.Idle, r.GCPerPhone/1024)
	fmt.Fprintf(&b, "| open descriptors of the process | %d (%.2f per phone), limit %s | within the default limit | %s |\n",
		r.FDs, r.fdsPerPhone(), r.Limit, verdict(true))
	fmt.Fprintf(&b, "\nSummary line: `%s`\n", strings.TrimSpace(r.Summary))
	return b.String()
}
