package main

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The call-rate benchmark (issue 10, items 6 and 9): SIPp calls a fleet
// of N auto-answering phones (the phonesim binary, one fleet block) at a
// fixed rate, each call producing Incoming Call, Established and
// Terminated GETs to a local sink; beside it, the same SIPp caller calls
// SIPp's own uas in the same run. Sinks: "instant" answers at once,
// "slow" after 2 s, "dead" never (each GET then runs into the 5 s
// action_url_timeout).
//
//	phonesim-bench -callrate 200 -callsecs 60 -fleet-phones 1000 -sinks instant,slow,dead

//go:embed callrate_scenario.xml
var callScenario string

const callHoldMS = 1000

// The call-rate run's addresses: SIPp's caller and its uas in 127.2/16,
// the fleet from 127.3.0.1 up. The tests move them to a block of their
// own (bench_test.go).
var (
	rateCallerIP  = "127.2.0.1"
	rateUASIP     = "127.2.255.254"
	rateFleetBase = "127.3.0.1"
)

type rateRun struct {
	Target       string // "phonesim (sink: instant)" or "sipp uas"
	Rate         float64
	Secs         int
	Calls        int // attempted
	OK, Failed   int
	Invite, Bye  []float64 // response times, ms
	GETs, Want   int64     // Action URLs received by the sink, expected
	Dropped      int64     // from phonesim's metrics
	SinkMode     string
	ExitNote     string
	MetricsLines []string
}

func runCallRate(ctx context.Context, rate float64, secs, phones int, sinks []string, out string, stdout, stderr io.Writer) int {
	runs, err := measureCallRate(ctx, rate, secs, phones, sinks, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "phonesim-bench: call rate: %v\n", err)
		return 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", describeMachine())
	fmt.Fprintf(&b, "%d phones with auto-answer, calls from SIPp at %.0f/s for %d s, each held %d ms.\n\n", phones, rate, secs, callHoldMS)
	fmt.Fprintln(&b, "| answered by | calls | ok | failed | INVITE→200 p50 | p99 | BYE→200 p50 | p99 | Action URLs received / expected | dropped |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range runs {
		gets := "—"
		dropped := "—"
		if r.Want > 0 {
			gets = fmt.Sprintf("%d / %d", r.GETs, r.Want)
			dropped = strconv.FormatInt(r.Dropped, 10)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s | %s | %s | %s | %s |\n", r.Target, r.Calls, r.OK, r.Failed,
			ms(pct(r.Invite, 50)), ms(pct(r.Invite, 99)), ms(pct(r.Bye, 50)), ms(pct(r.Bye, 99)), gets, dropped)
	}
	for _, r := range runs {
		if r.ExitNote != "" {
			fmt.Fprintf(&b, "\n- %s: %s", r.Target, r.ExitNote)
		}
	}
	fmt.Fprintln(&b)
	return report(b.String(), out, stdout, stderr)
}

func ms(v float64) string {
	if v < 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f ms", v)
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// sink is the CTI server of the benchmark.
type sink struct {
	srv  *http.Server
	addr string
	mode string
	gets atomic.Int64
}

func startSink(mode string) (*sink, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{addr: ln.Addr().String(), mode: mode}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode {
		case "slow":
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
				return
			}
		case "dead":
			<-r.Context().Done() // never answers; the phone gives up
			return
		}
		s.gets.Add(1)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *sink) close() { _ = s.srv.Close() }

func measureCallRate(ctx context.Context, rate float64, secs, phones int, sinks []string, log io.Writer) ([]rateRun, error) {
	if _, err := exec.LookPath("sipp"); err != nil {
		return nil, errors.New("sipp is not installed (make deps)")
	}
	dir, err := os.MkdirTemp("", "phonesim-callrate")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := buildPhonesim(ctx, dir)
	if err != nil {
		return nil, err
	}
	scenario := write(dir, "call.xml", strings.ReplaceAll(callScenario, "HOLD_MS", strconv.Itoa(callHoldMS)))
	var runs []rateRun

	// SIPp's own uas, answering the same caller.
	uas := exec.Command("sipp", "-sn", "uas", "-i", rateUASIP, "-p", "5060", "-nostdin")
	uas.Dir = dir
	if err := uas.Start(); err != nil {
		return nil, fmt.Errorf("sipp uas: %v", err)
	}
	defer func() {
		_ = uas.Process.Kill() // the uas this run started, by its pid
		_ = uas.Wait()
	}()
	time.Sleep(300 * time.Millisecond) // let it bind
	inf := "SEQUENTIAL\n" + fmt.Sprintf("uas;%s;\n", rateUASIP)
	r, err := runSIPp(ctx, dir, scenario, write(dir, "uas.csv", inf), rate, secs)
	if err != nil {
		return nil, err
	}
	r.Target = "SIPp uas"
	runs = append(runs, r)
	fmt.Fprintf(log, "phonesim-bench: SIPp uas: %d ok, %d failed\n", r.OK, r.Failed)

	for _, mode := range sinks {
		s, err := startSink(mode)
		if err != nil {
			return nil, err
		}
		r, err := callFleet(ctx, bin, dir, scenario, s, rate, secs, phones, log)
		s.close()
		if err != nil {
			return nil, fmt.Errorf("sink %s: %w", mode, err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// callFleet runs phonesim with the fleet, calls it, and counts.
func callFleet(ctx context.Context, bin, dir, scenario string, s *sink, rate float64, secs, phones int, log io.Writer) (rateRun, error) {
	regAddr, err := freeAddr("udp", "127.0.0.1")
	if err != nil {
		return rateRun{}, err
	}
	metricsAddr, err := freeAddr("tcp", "127.0.0.1")
	if err != nil {
		return rateRun{}, err
	}
	httpAddr, err := freeAddr("tcp", "0.0.0.0")
	if err != nil {
		return rateRun{}, err
	}
	_, httpPort, _ := net.SplitHostPort(httpAddr)
	first := rateFleetBase
	cfg := fmt.Sprintf(`registrar: {listen: "%[1]s"}
fleet:
  - count: %[2]d
    ip: %[3]s
    sip_port: 5060
    http_port: %[4]s
    user: 300000
    password: "pw$user"
    server: "%[1]s"
    auto_answer: 0s
    action_url:
      incoming_call: "http://%[5]s/in?mac=$mac&from=$remote"
      established: "http://%[5]s/up?id=$call_id"
      terminated: "http://%[5]s/down?id=$call_id"
`, regAddr, phones, first, httpPort, s.addr)
	p, err := startPhonesim(bin, write(dir, "fleet.yaml", cfg), "lines registered in", io.Discard, "--log-level", "error", "--metrics", metricsAddr)
	if err != nil {
		return rateRun{}, err
	}
	defer p.stop()
	if _, _, err := p.waitReady(ctx, 2*time.Minute); err != nil {
		return rateRun{}, err
	}
	var inf strings.Builder
	inf.WriteString("SEQUENTIAL\n")
	for i := range phones {
		fmt.Fprintf(&inf, "%d;%s;\n", 300000+i, addAddrString(first, i))
	}
	r, err := runSIPp(ctx, dir, scenario, write(dir, "fleet.csv", inf.String()), rate, secs)
	if err != nil {
		return rateRun{}, err
	}
	// The Action URLs of the last calls: wait for the queues to drain
	// (instant: at once; slow: up to 64 × 2 s queued per phone).
	want := int64(3 * r.OK)
	deadline := time.Now().Add(20 * time.Second)
	for s.gets.Load() < want && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	r.GETs, r.Want, r.SinkMode = s.gets.Load(), want, s.mode
	r.Dropped = scrapeDropped("http://" + metricsAddr + "/metrics")
	r.Target = "phonesim (sink: " + s.mode + ")"
	fmt.Fprintf(log, "phonesim-bench: sink %s: %d ok, %d failed, %d/%d GETs, %d dropped\n", s.mode, r.OK, r.Failed, r.GETs, r.Want, r.Dropped)
	return r, nil
}

func addAddrString(first string, i int) string {
	ip := net.ParseIP(first).To4()
	n := uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])
	n += uint32(i)
	return fmt.Sprintf("%d.%d.%d.%d", n>>24, byte(n>>16), byte(n>>8), byte(n))
}

func scrapeDropped(url string) int64 {
	resp, err := http.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), `phonesim_action_urls_total{result="dropped"} `); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int64(n)
		}
	}
	return -1
}

// runSIPp calls at rate for secs and reads SIPp's counts and response
// times.
func runSIPp(ctx context.Context, dir, scenario, inf string, rate float64, secs int) (rateRun, error) {
	calls := int(rate * float64(secs))
	callerIP := rateCallerIP
	args := []string{"-sf", scenario, "-inf", inf, "-i", callerIP, "-p", "0", "-mi", callerIP,
		"-r", strconv.FormatFloat(rate, 'f', -1, 64), "-m", strconv.Itoa(calls), "-l", strconv.Itoa(int(rate * 10)),
		"-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-fd", "1", "-nostdin", "-recv_timeout", "10000",
		"127.0.0.1:5060"} // the remote is replaced per call (setdest)
	cmd := exec.CommandContext(ctx, "sipp", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	r := rateRun{Rate: rate, Secs: secs, Calls: calls}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return r, fmt.Errorf("sipp: %v %s", err, out)
	}
	if ee != nil {
		r.ExitNote = fmt.Sprintf("sipp exited %d", ee.ExitCode())
	}
	// Counts from the last line of the statistics file.
	stats, _ := filepath.Glob(filepath.Join(dir, "call_*_.csv"))
	if len(stats) == 0 {
		return r, fmt.Errorf("sipp wrote no statistics: %s", out)
	}
	r.OK, r.Failed = readSIPpCounts(stats[len(stats)-1])
	rtts, _ := filepath.Glob(filepath.Join(dir, "call_*_rtt.csv"))
	for _, f := range rtts {
		inv, bye := readRTT(f)
		r.Invite = append(r.Invite, inv...)
		r.Bye = append(r.Bye, bye...)
	}
	for _, f := range append(stats, rtts...) {
		_ = os.Remove(f)
	}
	return r, nil
}

func readSIPpCounts(path string) (ok, failed int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		return 0, 0
	}
	head := strings.Split(lines[0], ";")
	last := strings.Split(lines[len(lines)-1], ";")
	for i, h := range head {
		if i >= len(last) {
			break
		}
		switch h {
		case "SuccessfulCall(C)":
			ok, _ = strconv.Atoi(last[i])
		case "FailedCall(C)":
			failed, _ = strconv.Atoi(last[i])
		}
	}
	return ok, failed
}

// readRTT reads SIPp's -trace_rtt file: "date_ms;date_sec;rtd_no;rtt_ms"
// or similar; the rtd number and the time are the last two fields.
func readRTT(path string) (invite, bye []float64) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSuffix(sc.Text(), ";"), ";")
		if len(fields) < 2 {
			continue
		}
		v, err1 := strconv.ParseFloat(fields[len(fields)-2], 64)
		name := fields[len(fields)-1]
		if err1 != nil {
			continue
		}
		switch name {
		case "1":
			invite = append(invite, v)
		case "2":
			bye = append(bye, v)
		}
	}
	return invite, bye
}
