package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phonesim/phonesim/internal/lockedbuf"
	"github.com/phonesim/phonesim/internal/peers"
	"github.com/phonesim/phonesim/registrar"
)

// startLogged runs the binary on the file at info level, its output in
// one buffer.
func startLogged(t *testing.T, path string) (*exec.Cmd, *lockedbuf.Buffer) {
	t.Helper()
	cmd := exec.Command(buildBinary(t), "--config", path, "--log-level", "info")
	out := &lockedbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, out
}

// stopProcess sends SIGTERM and waits for exit 0; it returns how long the
// exit took and what the process printed from "shutting down" on.
func stopProcess(t *testing.T, cmd *exec.Cmd, out *lockedbuf.Buffer) (time.Duration, []string) {
	t.Helper()
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("no exit within 20s of SIGTERM")
	}
	took := time.Since(sent)
	t.Logf("exit %v after SIGTERM", took)
	_, after, ok := strings.Cut(out.String(), "shutting down")
	if !ok {
		t.Fatalf("no shutting-down line:\n%s", out.String())
	}
	lines := strings.Split(strings.TrimSpace(after), "\n")[1:]
	t.Logf("the stop printed:\n%s", strings.Join(lines, "\n"))
	return took, lines
}

var (
	unregisteredRE = regexp.MustCompile(`stopped: unregistered (\d+) of (\d+) phones`)
	failedRE       = regexp.MustCompile(`stopped: (\d+) (not confirmed within|failed)`)
)

// Issue 10: stopping a fleet of 1,000 phones on its embedded registrar
// prints a summary of a few lines, not a line per phone; the counts add
// up to the fleet; the phones unregister, and the process exits within
// 2 s of SIGTERM (docs/robustness.md, "Shutdown").
func TestStoppingAFleetPrintsASummary(t *testing.T) {
	const count = 1000
	base := blockBase(t)
	reg := peers.LoopbackIP(t)
	regPort := peers.FreePort(t, "udp", reg)
	path := writeConfig(t, fmt.Sprintf(`registrar: {listen: "%[1]s:%[2]d"}
fleet:
  - count: %[3]d
    ip: %[4]s1
    sip_port: 5060
    http_port: %[5]d
    user: 6000
    password: "pw$user"
    server: "%[1]s:%[2]d"
`, reg, regPort, count, base, peers.FreePort(t, "tcp", base+"1")))
	cmd, out := startLogged(t, path)
	want := fmt.Sprintf("all %d phones up, %d lines registered in", count, count)
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("not all registered within 60s:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	took, lines := stopProcess(t, cmd, out)
	if took > 2*time.Second {
		t.Errorf("exited %v after SIGTERM, want within 2s", took)
	}
	// The registrar's own line, the summary, at most a line per cause.
	if len(lines) > 4 {
		t.Errorf("the stop printed %d lines, want a summary:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	unregistered, failed := -1, 0
	for _, l := range lines {
		if strings.Contains(l, "unregister line") {
			t.Errorf("a phone's own error at info level: %s", l)
		}
		if m := unregisteredRE.FindStringSubmatch(l); m != nil {
			unregistered, _ = strconv.Atoi(m[1])
			if m[2] != strconv.Itoa(count) {
				t.Errorf("summary counts %s phones, want %d: %s", m[2], count, l)
			}
		}
		if m := failedRE.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			failed += n
		}
	}
	if unregistered+failed != count {
		t.Errorf("unregistered %d + not unregistered %d != %d phones:\n%s", unregistered, failed, count, strings.Join(lines, "\n"))
	}
	// On a quiet machine every phone unregisters (docs/fleet.md); how many
	// make it within the 1.5 s budget depends on the CPU left, and a CI
	// machine running other suites (two suites at once, -race: 972) is
	// not quiet. Without the bound on phones stopping at once, 842 made
	// it on a quiet machine: the lost un-REGISTERs (the registrar's
	// receive buffer overflowing) are what this asserts against.
	if unregistered < count*9/10 {
		t.Errorf("%d of %d phones unregistered, want at least 90 %%:\n%s", unregistered, count, strings.Join(lines, "\n"))
	}
}

// A one-phone file still says what happened to its phone: its registrar
// gone, the un-REGISTER goes unanswered and the summary names the phone
// and the cause, within the 2 s.
func TestStoppingOnePhoneNamesIt(t *testing.T) {
	ip := peers.LoopbackIP(t)
	r, err := registrar.New(registrar.Config{Listen: ip + ":0", Users: map[string]string{"7001": "pw"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, fmt.Sprintf(`phones:
  - name: alice
    ip: %s
    sip_port: %d
    http_port: %d
    lines: [{user: "7001", password: pw, server: "%s"}]
`, ip, peers.FreePort(t, "udp", ip), peers.FreePort(t, "tcp", ip), r.Addr()))
	cmd, out := startLogged(t, path)
	deadline := time.Now().Add(10 * time.Second)
	for len(r.Bindings()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("alice did not register:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Close() // the registrar goes away before the phone stops

	took, lines := stopProcess(t, cmd, out)
	if took > 2*time.Second {
		t.Errorf("exited %v after SIGTERM, want within 2s", took)
	}
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "stopped: unregistered 0 of 1 phones") ||
		!regexp.MustCompile(`stopped: 1 (not confirmed within 1.5s|failed) \(alice\): \S`).MatchString(text) {
		t.Errorf("the stop does not say what happened to alice:\n%s", text)
	}
}
