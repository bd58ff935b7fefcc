package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// -fleet N runs the phonesim binary with one fleet block and reports the
// time to register, VmRSS per phone and descriptors; this checks the
// shape of a tiny run, not its figures.
func TestFleetRunReportsEveryRow(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-fleet", "20", "-idle", "1s"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
	}
	report := stdout.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\| 20 phones, one fleet block: exec → all registered \| \d+\.\d\d s \(phonesim's own summary: [0-9.]+m?s\) \| ≤ 10 s \| (meets|misses) \|`),
		regexp.MustCompile(`\| VmRSS of the process 1s after start, per phone \(no forced GC\) \| \d+\.\d KiB \(\d+\.\d MiB in all\) \| ≤ 64 KiB \| (meets|misses) \|`),
		regexp.MustCompile(`\| CPU time of the process until then \(user \+ system\) \| \d+\.\d s \|`),
		regexp.MustCompile(`\| open descriptors of the process \| \d+ \(\d+\.\d\d per phone\), limit \d+`),
		regexp.MustCompile("Summary line: `phonesim: all 20 phones up, 20 lines registered in [^`]+`; load average when VmRSS was read: [0-9.]+ [0-9.]+ [0-9.]+ "),
	} {
		if !want.MatchString(report) {
			t.Errorf("report lacks %s:\n%s\nstderr:\n%s", want, report, stderr.String())
		}
	}
}

// cpuTime reads a process's CPU time from /proc: this process's grows
// by the CPU it burns, and a process that is gone is an error.
func TestCPUTimeOfAProcess(t *testing.T) {
	before, err := cpuTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until /proc shows 0.2 s more (a shared machine may give this
	// process less than a core), and no longer than the wall time allows.
	start := time.Now()
	for {
		after, err := cpuTime(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		wall := time.Since(start)
		if d := after - before; d >= 200*time.Millisecond {
			if limit := wall*time.Duration(runtime.NumCPU()) + 2*time.Second/clockTicks; d > limit {
				t.Errorf("%v of CPU time in %v of wall time", d, wall)
			}
			break
		}
		if wall > 20*time.Second {
			t.Fatalf("CPU time grew by %v in %v of spinning", after-before, wall)
		}
	}
	if _, err := cpuTime(1 << 30); err == nil { // above pid_max
		t.Error("cpuTime of no process: no error")
	}
}

// -callrate: SIPp calls a small auto-answering fleet and SIPp's uas; every
// call completes and every Action URL reaches the instant sink.
func TestCallRateRunCountsCallsAndActionURLs(t *testing.T) {
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp is not installed (make deps installs it)")
	}
	var stdout, stderr bytes.Buffer
	args := []string{"-callrate", "10", "-callsecs", "2", "-fleet-phones", "30", "-sinks", "instant"}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
	}
	report := stdout.String()
	for _, want := range []string{"| SIPp uas | 20 | 20 | 0 |", "| phonesim (sink: instant) | 20 | 20 | 0 |", "| 60 / 60 | 0 |"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s\nstderr:\n%s", want, report, stderr.String())
		}
	}
	// A rate the fleet cannot take one call per phone at a time is refused.
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"-callrate", "10", "-fleet-phones", "10"}, &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "give more -fleet-phones") {
		t.Errorf("10 phones at 10 calls/s: exit %d, %s", code, stderr.String())
	}
}
