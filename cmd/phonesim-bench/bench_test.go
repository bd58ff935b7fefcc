package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// Blocks of their own (127.50-99.x.1 upwards, where no other test
	// puts phones: peers.LoopbackIP takes 127.100-199, the fleet tests
	// 127.200-249), not make bench's 127.1.0.1 and 127.5.0.1: a bench run
	// on the same machine would otherwise hold the tests' ports (bind:
	// address already in use).
	second := 50 + rand.IntN(25)
	fleetBase = fmt.Sprintf("127.%d.%d.1", second, rand.IntN(200))
	rssBase = fmt.Sprintf("127.%d.%d.1", second+25, rand.IntN(200))
	third := rand.IntN(100)
	rateCallerIP = fmt.Sprintf("127.%d.%d.1", second, 200+third%50)
	rateUASIP = fmt.Sprintf("127.%d.%d.254", second, 200+third%50)
	rateFleetBase = fmt.Sprintf("127.%d.%d.1", second+25, 200+third%50)
	goleak.VerifyTestMain(m)
}

var (
	latencyCell = regexp.MustCompile(`^\d+ µs$|^\d+\.\d\d ms$`)
	sizeCell    = regexp.MustCompile(`^-?\d+\.\d (KiB|MiB)$`)
	ratioCell   = regexp.MustCompile(`^\d+\.\d+×`)
	numberCell  = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
)

// tableRow returns the cells of the table row whose first cell starts
// with label.
func tableRow(t *testing.T, table, label string) []string {
	t.Helper()
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| "+label) {
			continue
		}
		cells := strings.Split(strings.TrimSuffix(strings.TrimPrefix(line, "| "), " |"), " | ")
		if len(cells) != len(columns) {
			t.Fatalf("row %q has %d cells, want %d:\n%s", label, len(cells), len(columns), line)
		}
		return cells
	}
	t.Fatalf("no row %q in:\n%s", label, table)
	return nil
}

// A quick run with tiny sizes prints every row with numbers in it, and
// -out writes the same report. It checks the shape only: no timing is
// asserted.
func TestQuickRunPrintsEveryRowWithNumbers(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.md")
	var stdout, stderr bytes.Buffer
	args := []string{"-quick", "-calls", "20", "-phones", "20", "-idle", "200ms", "-out", out}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
	}
	report := stdout.String()
	if !strings.Contains(report, "Machine: nproc ") || !strings.Contains(report, "Command: `phonesim-bench -quick -calls 20") {
		t.Errorf("header missing:\n%s", report)
	}
	if file, err := os.ReadFile(out); err != nil || string(file) != report {
		t.Errorf("-out file differs from stdout (err %v)", err)
	}

	for _, label := range []string{rowEvent, rowUDPFloor, rowHTTPOneWay, rowEventFloor, rowCommand, rowHTTPRound} {
		cells := tableRow(t, report, label)
		if cells[1] != "20" {
			t.Errorf("%s: n = %q, want 20", label, cells[1])
		}
		for i := 2; i <= 5; i++ { // p50 p90 p99 max
			if !latencyCell.MatchString(cells[i]) {
				t.Errorf("%s: %s = %q, not a latency", label, columns[i], cells[i])
			}
		}
	}
	for _, label := range []string{rowEvent, rowCommand} {
		cells := tableRow(t, report, label)
		if !latencyCell.MatchString(cells[6]) || !latencyCell.MatchString(cells[7]) || !ratioCell.MatchString(cells[8]) {
			t.Errorf("%s: floor columns %q", label, cells[6:9])
		}
		if v := cells[10]; v != verdictMeets && !strings.HasPrefix(v, verdictMisses) {
			t.Errorf("%s: verdict %q", label, v)
		}
	}

	rss := tableRow(t, report, rowRSS)
	if rss[1] != "20" || !sizeCell.MatchString(rss[2]) {
		t.Errorf("RSS row: %q", rss)
	}
	if v := rss[10]; v != verdictMeets && v != verdictMisses {
		t.Errorf("RSS verdict %q", v)
	}
	for _, label := range []string{rowRSSProcess, rowRSSForced} {
		if c := tableRow(t, report, label); c[1] != "20" || !sizeCell.MatchString(c[2]) || c[10] != verdictInfo {
			t.Errorf("%s: %q", label, c)
		}
	}
	if !strings.Contains(report, "- RSS, bin/phonesim: VmRSS ") {
		t.Errorf("no note on the binary's RSS:\n%s", report)
	}
	if g := tableRow(t, report, rowGoroutines); !numberCell.MatchString(g[2]) {
		t.Errorf("goroutines per phone %q", g[2])
	}
	peer := tableRow(t, report, rowBaresip)
	if _, err := exec.LookPath("baresip"); err != nil {
		if peer[2] != "baresip: not installed" {
			t.Errorf("baresip missing, row says %q", peer[2])
		}
	} else if !sizeCell.MatchString(peer[2]) || !sizeCell.MatchString(rss[6]) {
		t.Errorf("baresip installed but not measured: %q (RSS row peer %q)", peer[2], rss[6])
	}
}

func TestBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{{"-calls", "0"}, {"-phones", "-1"}, {"-nosuch"}, {"extra"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if stdout.Len() != 0 || stderr.Len() == 0 {
			t.Errorf("%q: stdout %q, stderr %q", args, stdout.String(), stderr.String())
		}
	}
}

// Nearest-rank percentiles: p50 of 1..100 is 50, p99 is 99, max 100.
func TestSummarizeNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i))
	}
	s := summarize(d)
	if s.N != 100 || s.P50 != 50 || s.P90 != 90 || s.P99 != 99 || s.Max != 100 {
		t.Errorf("summarize = %+v", s)
	}
	if s := summarize([]time.Duration{7}); s.P50 != 7 || s.P99 != 7 {
		t.Errorf("one sample: %+v", s)
	}
	if got := pairSum([]time.Duration{1, 2, 3}, []time.Duration{10, 20}); len(got) != 2 || got[1] != 22 {
		t.Errorf("pairSum = %v", got)
	}
}
