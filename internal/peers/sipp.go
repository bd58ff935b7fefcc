package peers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIPpOptions configures one SIPp run. Zero values mean the defaults noted.
type SIPpOptions struct {
	// BuiltIn names one of SIPp's own scenarios (-sn), "uac" or "uas".
	// Exactly one of BuiltIn and Scenario must be set.
	BuiltIn string
	// Scenario is scenario XML text: one of the Scenario* variables of this
	// package or a test's own. Its placeholders are filled from Params
	// (ExpandScenario); RTP_FILE, when the scenario has it and Params does
	// not, becomes a 1 kHz PCMU tone written by the harness.
	Scenario string
	Params   map[string]string

	// Target is the host:port a caller sends to; empty for a UAS.
	Target string
	// IP is the local SIP and media address (-i, -mi). Default: a fresh
	// LoopbackIP.
	IP string
	// Port is the local SIP port (-p). Default: 5060 when free on IP,
	// else a free port.
	Port int
	// MediaPort is the local RTP port (-mp; rtp_stream sends from it).
	// Default: a free UDP port.
	MediaPort int
	// Service is the user part of the Request-URI (-s): the callee for a
	// caller, the user to register for ScenarioRegister.
	Service string
	// AuthUser and AuthPass answer digest challenges (-au, -ap).
	AuthUser, AuthPass string
	// Calls is the number of calls before SIPp exits (-m). Default 1.
	Calls int
	// Rate is calls per second (-r). Default: SIPp's own (10).
	Rate float64
	// MaxDuration bounds the whole run (-timeout, in whole seconds, with
	// -timeout_error so that reaching it is a failure). Default 30 s.
	MaxDuration time.Duration
	// Args are appended to the command line as they are.
	Args []string
}

// SIPpProc is a running SIPp.
type SIPpProc struct {
	IP        string
	Port      int
	MediaPort int
	// Dir holds the scenario file and SIPp's logs: messages.log (every
	// message sent and received), errors.log (unexpected messages),
	// screen.log (final statistics) and sipp.log (stdout and stderr).
	Dir string

	p *process
}

// SIPp starts SIPp with opts and returns once its SIP socket is bound (or
// it has already finished). The test's cleanup stops it if it still runs.
func SIPp(t testing.TB, opts SIPpOptions) *SIPpProc {
	t.Helper()
	bin := Require(t, "sipp")
	if (opts.BuiltIn == "") == (opts.Scenario == "") {
		t.Fatalf("peers.SIPp: set exactly one of BuiltIn and Scenario")
	}
	s := &SIPpProc{IP: opts.IP, Port: opts.Port, MediaPort: opts.MediaPort, Dir: t.TempDir()}
	if s.IP == "" {
		s.IP = LoopbackIP(t)
	} else if err := checkLoopback(s.IP); err != nil {
		t.Fatalf("peers.SIPp: %v", err)
	}
	if s.Port == 0 {
		s.Port = sipPort(t, s.IP, false, false)
	}
	if s.MediaPort == 0 {
		s.MediaPort = FreePort(t, "udp", s.IP)
	}

	args := []string{}
	if opts.Target != "" {
		args = append(args, opts.Target)
	}
	if opts.BuiltIn != "" {
		args = append(args, "-sn", opts.BuiltIn)
	} else {
		xml, err := s.scenarioText(opts)
		if err != nil {
			t.Fatalf("peers.SIPp: %v", err)
		}
		path := filepath.Join(s.Dir, "scenario.xml")
		if err := os.WriteFile(path, []byte(xml), 0o644); err != nil {
			t.Fatalf("peers.SIPp: %v", err)
		}
		args = append(args, "-sf", path)
	}
	calls := opts.Calls
	if calls == 0 {
		calls = 1
	}
	maxDur := opts.MaxDuration
	if maxDur == 0 {
		maxDur = 30 * time.Second
	}
	maxDur = max(maxDur, time.Second) // SIPp counts whole seconds; 0 would mean "no limit"
	args = append(args,
		"-i", s.IP, "-p", strconv.Itoa(s.Port),
		"-mi", s.IP, "-mp", strconv.Itoa(s.MediaPort),
		"-m", strconv.Itoa(calls),
		"-timeout", strconv.Itoa(int(maxDur.Round(time.Second)/time.Second))+"s", "-timeout_error",
		"-nostdin",
		"-trace_msg", "-message_file", filepath.Join(s.Dir, "messages.log"),
		"-trace_err", "-error_file", filepath.Join(s.Dir, "errors.log"),
		"-trace_screen", "-screen_file", filepath.Join(s.Dir, "screen.log"),
	)
	if opts.Service != "" {
		args = append(args, "-s", opts.Service)
	}
	if opts.AuthUser != "" {
		args = append(args, "-au", opts.AuthUser)
	}
	if opts.AuthPass != "" {
		args = append(args, "-ap", opts.AuthPass)
	}
	if opts.Rate > 0 {
		args = append(args, "-r", strconv.FormatFloat(opts.Rate, 'f', -1, 64))
	}
	args = append(args, opts.Args...)

	s.p = startProcess(t, processSpec{
		name: "sipp", bin: bin, args: args, dir: s.Dir,
		// SIPp ends its calls and exits on SIGUSR1; SIGTERM, then
		// SIGKILL if that was not enough.
		stopSignals: []syscall.Signal{syscall.SIGUSR1, syscall.SIGTERM},
		grace:       time.Second,
		logFiles:    []string{"errors.log", "messages.log"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := waitBound(ctx, "udp", s.IP, s.Port, s.p.done); err != nil && !s.p.exited() {
		t.Fatalf("peers.SIPp: %v\n%s", err, s.p.logTail(20))
	}
	return s
}

// scenarioText expands the scenario, writing the tone file RTP_FILE needs.
func (s *SIPpProc) scenarioText(opts SIPpOptions) (string, error) {
	params := opts.Params
	if slices.Contains(ScenarioParams(opts.Scenario), "RTP_FILE") && params["RTP_FILE"] == "" {
		path := filepath.Join(s.Dir, "tone-1khz-pcmu.wav")
		if err := os.WriteFile(path, ToneFile(1000, 5), 0o644); err != nil {
			return "", err
		}
		params = map[string]string{"RTP_FILE": path}
		for k, v := range opts.Params {
			params[k] = v
		}
	}
	return ExpandScenario(opts.Scenario, params)
}

// Addr is the SIPp's SIP address, "ip:port".
func (s *SIPpProc) Addr() string { return s.IP + ":" + strconv.Itoa(s.Port) }

// Wait waits up to timeout for SIPp to finish and returns nil when every
// call succeeded (exit status 0). Otherwise the error holds the exit status
// explained and the tails of SIPp's error and message logs. On timeout it
// stops SIPp and says so.
func (s *SIPpProc) Wait(timeout time.Duration) error {
	if err := s.p.wait(timeout); err != nil {
		s.p.stop()
		return fmt.Errorf("%w; stopped it\n%s", err, s.report())
	}
	code := s.p.exitCode()
	if code == 0 {
		return nil
	}
	return fmt.Errorf("sipp exited with status %d (%s)\n%s", code, sippExitMeaning(code), s.report())
}

// Stop ends SIPp now (a UAS that would wait for more calls).
func (s *SIPpProc) Stop() { s.p.stop() }

// Messages returns SIPp's message log: every SIP message it sent and
// received, in order.
func (s *SIPpProc) Messages() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "messages.log"))
	return string(b)
}

func (s *SIPpProc) report() string {
	var b strings.Builder
	for _, f := range []struct {
		name  string
		lines int
	}{{"errors.log", 20}, {"messages.log", 60}, {"sipp.log", 10}} {
		if tail := tailFile(filepath.Join(s.Dir, f.name), f.lines); tail != "" {
			fmt.Fprintf(&b, "--- tail of sipp %s ---\n%s\n", f.name, tail)
		}
	}
	if b.Len() == 0 {
		return "(sipp wrote no logs)"
	}
	return b.String()
}

// sippExitMeaning explains SIPp's exit statuses (sipp(1), "Exit codes").
func sippExitMeaning(code int) string {
	switch code {
	case 1:
		return "at least one call failed"
	case 97:
		return "exit on internal command, calls may have been processed"
	case 99:
		return "normal exit without calls processed"
	case 255:
		return "fatal error"
	case 254:
		return "fatal error binding a socket"
	case -1:
		return "killed by a signal"
	}
	return "unknown status"
}
