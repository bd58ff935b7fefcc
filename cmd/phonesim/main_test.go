package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phonesim/phonesim/internal/peers"
)

// buildBinary builds bin/phonesim into a temp dir, as `make build` does.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "phonesim")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestBadConfigExits2WithFileLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "phones.yaml")
	if err := os.WriteFile(path, []byte("phones:\n  - name: a\n    ip: 127.0.0.1\n    sip_port: 70000\n    http_port: 8081\n    lines: [{user: \"1\", server: 127.0.0.1:5060}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"--config", path}, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "phones.yaml:4") || !strings.Contains(stderr.String(), "sip_port") {
		t.Fatalf("error should name phones.yaml:4 and sip_port: %s", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Fatalf("a bad config must start nothing, printed: %s", stdout.String())
	}
	if code := run([]string{"--config", filepath.Join(dir, "missing.yaml")}, io.Discard, io.Discard); code != 2 {
		t.Fatalf("missing file: exit %d, want 2", code)
	}
	if code := run([]string{"stray"}, io.Discard, io.Discard); code != 2 {
		t.Fatalf("stray argument: exit %d, want 2", code)
	}
	if code := run([]string{"--log-level", "loud", "--check"}, io.Discard, io.Discard); code != 0 {
		// --check returns before the log level is read
		t.Fatalf("--check of the demo: exit %d", code)
	}
}

// The real binary runs a config until SIGTERM, then unregisters (the CTI
// server receives Unregistered) and exits 0.
func TestSIGTERMUnregistersAndExits0(t *testing.T) {
	h := newHits()
	cti := httptest.NewServer(h)
	defer cti.Close()

	ip := peers.LoopbackIP(t)
	regPort := peers.FreePort(t, "udp", ip)
	cfg := fmt.Sprintf(`registrar:
  listen: %[1]s:%[2]d
  users: {"1001": secret1}
phones:
  - name: alice
    ip: %[1]s
    sip_port: %[3]d
    http_port: %[4]d
    lines:
      - {user: "1001", password: secret1, server: "%[1]s:%[2]d", expires: 60}
    action_url:
      setup_completed: %[5]s/setup_completed?mac=$mac
      registered: %[5]s/registered
      unregistered: %[5]s/unregistered
`, ip, regPort, peers.FreePort(t, "udp", ip), peers.FreePort(t, "tcp", ip), cti.URL)
	path := filepath.Join(t.TempDir(), "phones.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(buildBinary(t), "--config", path, "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	banner := make(chan string, 1)
	go func() {
		var b strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "Ctrl-C") {
				banner <- b.String()
			}
		}
	}()
	select {
	case b := <-banner:
		if !strings.Contains(b, "L1 1001@"+ip) || !strings.Contains(b, " registered") {
			t.Errorf("banner does not show line 1 registered:\n%s", b)
		}
		if !strings.Contains(b, "/cgi-bin/ConfigManApp.com") || !strings.Contains(b, "/api/status") {
			t.Errorf("banner lacks the Active URI and status URLs:\n%s", b)
		}
		if !regexp.MustCompile(`web pages +http://` + regexp.QuoteMeta(ip) + `:\d+/ \(log in as admin\)`).MatchString(b) {
			t.Errorf("banner lacks the web pages' address:\n%s", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no banner; stderr: %s", stderr.String())
	}
	has := func(p string) bool { _, ok := h.at(p); return ok }
	h.wait(t, "/registered", 10*time.Second)
	if !has("/setup_completed") {
		t.Fatalf("before SIGTERM the CTI server got %v", h.paths())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr: %s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("phonesim did not exit within 20s of SIGTERM")
	}
	if !has("/unregistered") {
		t.Fatalf("Unregistered was not sent before exit; CTI got %v", h.paths())
	}
}
