package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phonesim/phonesim/internal/peers"
)

// hits records the Action URL GETs a CTI server received, by path.
type hits struct {
	mu  sync.Mutex
	got map[string]time.Time // first arrival of each path
}

func (h *hits) ServeHTTP(_ http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.got[r.URL.Path]; !ok {
		h.got[r.URL.Path] = time.Now()
	}
}

func (h *hits) at(path string) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.got[path]
	return t, ok
}

func (h *hits) wait(t *testing.T, path string, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if at, ok := h.at(path); ok {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("CTI server did not get %s within %v", path, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SIGTERM with a held call: the phones hang up and unregister while the
// embedded registrar still serves them, and it stops last. Terminated and
// Unregistered reach the CTI server at once, the process exits within 2 s,
// and the log has no warning (no BYE or un-REGISTER timing out).
func TestSIGTERMWithAHeldCallHangsUpBeforeTheRegistrarStops(t *testing.T) {
	h := &hits{got: map[string]time.Time{}}
	cti := httptest.NewServer(h)
	defer cti.Close()

	ip := peers.LoopbackIP(t)
	regPort := peers.FreePort(t, "udp", ip)
	phone := func(name, user, pw string) string {
		return fmt.Sprintf(`  - name: %[1]s
    ip: %[2]s
    sip_port: %[3]d
    http_port: %[4]d
    admin: {user: admin, password: admin}
    lines:
      - {user: "%[5]s", password: %[6]s, server: "%[2]s:%[7]d", expires: 60}
    action_url:
      hold: %[8]s/%[1]s/hold
      terminated: %[8]s/%[1]s/terminated
      unregistered: %[8]s/%[1]s/unregistered
`, name, ip, peers.FreePort(t, "udp", ip), peers.FreePort(t, "tcp", ip), user, pw, regPort, cti.URL)
	}
	cfg := fmt.Sprintf("registrar:\n  listen: %s:%d\n  users: {\"1001\": s1, \"1002\": s2}\nphones:\n", ip, regPort) +
		phone("alice", "1001", "s1") + phone("bob", "1002", "s2")
	path := filepath.Join(t.TempDir(), "phones.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(buildBinary(t), "--config", path, "--log-level", "info")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	uris := readBanner(t, stdout, &stderr)
	if len(uris) != 2 {
		t.Fatalf("banner names %d Active URIs, want 2", len(uris))
	}
	get := func(uri, query string) {
		t.Helper()
		resp, err := http.Get(strings.Replace(uri, "?key=OK", "?"+query, 1))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", query, resp.StatusCode, b)
		}
	}
	get(uris[0], "number=1002")
	waitCallState(t, uris[1], "ringing")
	get(uris[1], "key=OK")
	waitCallState(t, uris[0], "talking")
	get(uris[0], "key=F_HOLD")
	h.wait(t, "/alice/hold", 5*time.Second)

	sent := time.Now()
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
	exited := time.Since(sent)
	for _, p := range []string{"/alice/terminated", "/bob/terminated", "/alice/unregistered", "/bob/unregistered"} {
		at, ok := h.at(p)
		if !ok {
			t.Errorf("CTI server never got %s", p)
			continue
		}
		if d := at.Sub(sent); d > time.Second {
			t.Errorf("%s came %v after SIGTERM", p, d)
		}
	}
	if exited > 2*time.Second {
		t.Errorf("exited %v after SIGTERM, want under 2s", exited)
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") || strings.Contains(line, "deadline exceeded") {
			t.Errorf("shutdown logged: %s", line)
		}
	}
}

// readBanner reads the banner up to "Ctrl-C" and returns the Active URI of
// each phone, in order.
func readBanner(t *testing.T, stdout io.Reader, stderr *syncBuffer) []string {
	t.Helper()
	banner := make(chan []string, 1)
	go func() {
		var uris []string
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if u, ok := strings.CutPrefix(line, "active uri"); ok {
				uris = append(uris, strings.TrimSpace(u))
			}
			if strings.Contains(line, "Ctrl-C") && !sent {
				banner <- uris
				sent = true
			}
		}
	}()
	select {
	case u := <-banner:
		return u
	case <-time.After(10 * time.Second):
		t.Fatalf("no banner; stderr: %s", stderr.String())
		return nil
	}
}

// waitCallState polls the phone's status API (next to its Active URI)
// until its first call is in state.
func waitCallState(t *testing.T, activeURI, state string) {
	t.Helper()
	status := strings.Replace(activeURI, "/cgi-bin/ConfigManApp.com?key=OK", "/api/status", 1)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(status); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(bytes.ReplaceAll(b, []byte(" "), nil), []byte(`"state":"`+state+`"`)) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no call %s at %s", state, status)
}

// syncBuffer is a bytes.Buffer safe for the process's writer and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
