package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
var fleetBase = "127.1.0.1"

type fleetResult struct {
	Phones     int
	Registered time.Duration // exec until the summary line says all are registered
	Summary    string        // that line
	RSS        int64         // VmRSS of the fleet process at Idle after start
	BaseRSS    int64         // VmRSS of the registrar-only process
	FDs        int           // open descriptors of the fleet process
	Limit      string        // ulimit -n as the process had it
	Idle       time.Duration
	CPU        time.Duration // CPU time of the fleet process until Idle after start
	Load       string        // the machine's load averages (1, 5, 15 min) when RSS was read
	GCPerPhone float64       // the same phones in this process after forced GCs (fleetgc.go)
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
	res, err := measureBinary(ctx, phones, idle, log)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "phonesim-bench: the same %d phones in this process, forced GC\n", phones)
	if res.GCPerPhone, err = measureFleetGC(ctx, phones, idle); err != nil {
		return nil, fmt.Errorf("forced-GC figure: %w", err)
	}
	return res, nil
}

// measureBinary runs the phonesim binary with one fleet block of phones,
// and with the registrar alone, and reads each process idle after start.
func measureBinary(ctx context.Context, phones int, idle time.Duration, log io.Writer) (*fleetResult, error) {
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
	base, err := runMeasured(ctx, bin, write(dir, "reg.yaml", regCfg), "registrar  sip:", 5*time.Second, log)
	if err != nil {
		return nil, fmt.Errorf("registrar alone: %w", err)
	}
	res.BaseRSS = base.RSS
	fmt.Fprintf(log, "phonesim-bench: starting %d phones (this takes a while)\n", phones)
	m, err := runMeasured(ctx, bin, write(dir, "fleet.yaml", fleetCfg), "lines registered in", idle, log)
	if err != nil {
		return nil, err
	}
	res.RSS, res.Summary, res.Registered, res.FDs, res.CPU, res.Load = m.RSS, m.Line, m.Took, m.FDs, m.CPU, m.Load
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		res.Limit = fmt.Sprintf("%d (hard %d)", lim.Cur, lim.Max)
	}
	return res, nil
}

func write(dir, name, text string) string {
	p := filepath.Join(dir, name)
	_ = os.WriteFile(p, []byte(text), 0o644)
	return p
}

// measured is what runMeasured read of a phonesim process.
type measured struct {
	RSS  int64         // VmRSS
	Line string        // the ready line
	Took time.Duration // exec until the ready line
	FDs  int           // open descriptors
	CPU  time.Duration // user and system CPU time of the process so far
	Load string        // the machine's load averages (/proc/loadavg) then
}

// runMeasured runs bin --config cfg until its output has a line holding
// ready, then until at after start, reads its VmRSS, descriptors and CPU
// time, and stops it with SIGTERM.
func runMeasured(ctx context.Context, bin, cfg, ready string, at time.Duration, log io.Writer) (measured, error) {
	var m measured
	p, err := startPhonesim(bin, cfg, ready, log)
	if err != nil {
		return m, err
	}
	defer p.stop()
	if m.Line, m.Took, err = p.waitReady(ctx, 5*time.Minute); err != nil {
		return m, err
	}
	if wait := time.Until(p.start.Add(at)); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return m, ctx.Err()
		}
	}
	pid := p.cmd.Process.Pid
	if m.RSS, err = vmRSS(fmt.Sprintf("/proc/%d/status", pid)); err != nil {
		return m, err
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		m.FDs = len(ents)
	}
	m.CPU, _ = cpuTime(pid)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	return m, nil
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on
// Linux for every architecture Go runs on; sysconf(_SC_CLK_TCK)).
const clockTicks = 100

// cpuTime is the user and system CPU time process pid has used, from
// fields 14 and 15 of /proc/PID/stat (proc(5)).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("odd /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:])) // from field 3 on
	if len(f) < 13 {
		return 0, fmt.Errorf("odd /proc/%d/stat", pid)
	}
	var ticks int64
	for _, s := range f[11:13] { // utime, stime
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
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
	fmt.Fprintf(&b, "| CPU time of the process until then (user + system) | %.1f s | — | info |\n", r.CPU.Seconds())
	fmt.Fprintf(&b, "| open descriptors of the process | %d (%.2f per phone), limit %s | within the default limit | %s |\n",
		r.FDs, r.fdsPerPhone(), r.Limit, verdict(true))
	fmt.Fprintf(&b, "\nSummary line: `%s`; load average when VmRSS was read: %s (other work on the machine slows start-up).\n",
		strings.TrimSpace(r.Summary), r.Load)
	return b.String()
}
