package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phonesim/phonesim/internal/lockedbuf"
	"github.com/phonesim/phonesim/internal/peers"
)

// hits records the Action URL GETs a CTI server received, by path.
type hits struct {
	mu   sync.Mutex
	got  map[string]time.Time // first arrival of each path
	more chan struct{}        // closed and replaced on each new path
}

func newHits() *hits { return &hits{got: map[string]time.Time{}, more: make(chan struct{})} }

func (h *hits) ServeHTTP(_ http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.got[r.URL.Path]; !ok {
		h.got[r.URL.Path] = time.Now()
		close(h.more)
		h.more = make(chan struct{})
	}
}

func (h *hits) at(path string) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.got[path]
	return t, ok
}

// paths lists the paths received so far.
func (h *hits) paths() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ps []string
	for p := range h.got {
		ps = append(ps, p)
	}
	return ps
}

// wait returns when path first arrived, waiting up to timeout; it wakes on
// each new path the CTI server gets.
func (h *hits) wait(t *testing.T, path string, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.After(timeout)
	for {
		h.mu.Lock()
		at, ok := h.got[path]
		more := h.more
		h.mu.Unlock()
		if ok {
			return at
		}
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("CTI server did not get %s within %v", path, timeout)
		}
	}
}

// demo is the binary running two phones (alice 1001, bob 1002) on its
// embedded registrar, as the demo does, on loopback ports of their own.
type demo struct {
	cmd            *exec.Cmd
	alice, bob     string // Active URIs (…?key=OK) from the banner
	cti            *hits  // the Action URLs both phones send
	stdout, stderr *lockedbuf.Buffer
}

func startDemo(t *testing.T, args ...string) *demo {
	t.Helper()
	h := newHits()
	cti := httptest.NewServer(h)
	t.Cleanup(cti.Close)

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
      incoming_call: %[8]s/%[1]s/incoming_call
      established: %[8]s/%[1]s/established
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
	d := &demo{cti: h, stdout: &lockedbuf.Buffer{}, stderr: &lockedbuf.Buffer{}}
	d.cmd = exec.Command(buildBinary(t), append([]string{"--config", path, "--log-level", "info"}, args...)...)
	// exec copies the output; Wait returns once all of it is in.
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.cmd.Process.Kill() })
	uris := readBanner(t, d.stdout, d.stderr)
	if len(uris) != 2 {
		t.Fatalf("banner names %d Active URIs, want 2", len(uris))
	}
	d.alice, d.bob = uris[0], uris[1]
	return d
}

// get sends an Active URI command to the phone whose Active URI is uri.
func (d *demo) get(t *testing.T, uri, query string) {
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

// heldCall has alice call bob, bob answer, and alice hold the call.
func (d *demo) heldCall(t *testing.T) {
	t.Helper()
	d.get(t, d.alice, "number=1002")
	d.cti.wait(t, "/bob/incoming_call", 5*time.Second)
	d.get(t, d.bob, "key=OK")
	d.cti.wait(t, "/alice/established", 5*time.Second)
	d.get(t, d.alice, "key=F_HOLD")
	d.cti.wait(t, "/alice/hold", 5*time.Second)
}

// terminate sends SIGTERM and waits for a clean exit; it returns when the
// signal was sent and how long the exit took.
func (d *demo) terminate(t *testing.T) (time.Time, time.Duration) {
	t.Helper()
	sent := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr: %s", err, d.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("phonesim did not exit within 20s of SIGTERM")
	}
	return sent, time.Since(sent)
}

// SIGTERM with a held call: the phones hang up and unregister while the
// embedded registrar still serves them, and it stops last. Terminated and
// Unregistered reach the CTI server at once, the process exits within 2 s,
// and the log has no warning (no BYE or un-REGISTER timing out).
func TestSIGTERMWithAHeldCallHangsUpBeforeTheRegistrarStops(t *testing.T) {
	d := startDemo(t)
	d.heldCall(t)
	sent, exited := d.terminate(t)
	for _, p := range []string{"/alice/terminated", "/bob/terminated", "/alice/unregistered", "/bob/unregistered"} {
		at, ok := d.cti.at(p)
		if !ok {
			t.Errorf("CTI server never got %s", p)
			continue
		}
		if dt := at.Sub(sent); dt > time.Second {
			t.Errorf("%s came %v after SIGTERM", p, dt)
		}
	}
	if exited > 2*time.Second {
		t.Errorf("exited %v after SIGTERM, want under 2s", exited)
	}
	for _, line := range strings.Split(d.stderr.String(), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") || strings.Contains(line, "deadline exceeded") {
			t.Errorf("shutdown logged: %s", line)
		}
	}
}

// --events (on for the demo) prints each phone's events as they happen,
// with the variables a CTI server would get.
func TestEventsArePrintedAsTheyHappen(t *testing.T) {
	d := startDemo(t, "--events", "on")
	d.heldCall(t)
	d.terminate(t)
	out := d.stdout.String()
	for _, re := range []string{
		`(?m)^alice  outgoing_call +active_user=1001 local=sip:1002@[0-9.]+ call_id=\S+$`,
		`(?m)^bob    incoming_call +active_user=1002 local=sip:1002@[0-9.]+ remote=sip:1001@[0-9.]+ call_id=\S+$`,
		`(?m)^alice  hold `,
		`(?m)^bob    terminated `,
		`(?m)^alice  unregistered +active_user=1001$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("stdout has no line matching %s:\n%s", re, out)
		}
	}
}

// readBanner waits for the banner (up to "Ctrl-C") in what the process
// printed and returns the Active URI of each phone, in order.
func readBanner(t *testing.T, stdout, stderr *lockedbuf.Buffer) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("no banner; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var uris []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "active uri"); ok {
			uris = append(uris, strings.TrimSpace(u))
		}
	}
	return uris
}
