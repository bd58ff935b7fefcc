package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/internal/lockedbuf"
	"github.com/phonesim/phonesim/internal/peers"
	"github.com/phonesim/phonesim/registrar"
)

// blockBase is a free 127.X.Y.0/24 for a block of phones (X in 200..249;
// peers.LoopbackIP hands out 127.100-199), as "127.X.Y.".
func blockBase(t *testing.T) string {
	t.Helper()
	for range 32 {
		prefix := fmt.Sprintf("127.%d.%d.", 200+rand.IntN(50), rand.IntN(256))
		if c, err := net.ListenPacket("udp4", prefix+"1:0"); err == nil {
			c.Close()
			return prefix
		}
	}
	t.Fatal("no free loopback block")
	return ""
}

func writeConfig(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startProcess runs the binary with args until the test ends (SIGTERM,
// then wait, so that its phones unregister).
func startProcess(t *testing.T, bin string, args ...string) *lockedbuf.Buffer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out := &lockedbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return out
}

// Issue 10, item 8: two processes with --shard 1/2 and --shard 2/2 of the
// same file together register every phone of the block exactly once,
// each from its own address, with the registrar both share.
func TestShardsRegisterEveryPhoneOnce(t *testing.T) {
	const count = 11 // odd: the slices are 6 and 5
	base := blockBase(t)
	regIP := base + "250"
	reg, err := registrar.New(registrar.Config{Listen: regIP + ":0", Users: map[string]string{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	path := writeConfig(t, fmt.Sprintf(`fleet:
  - count: %d
    ip: %s1
    sip_port: 5060
    http_port: %d
    user: 5000
    password: "pw$user"
    server: "%s"
    expires: 60
`, count, base, peers.FreePort(t, "tcp", base+"1"), reg.Addr()))
	bin := buildBinary(t)

	// --check says what each shard runs.
	for _, c := range []struct{ shard, want string }{{"1/2", "(6 phones)"}, {"2/2", "(5 phones)"}} {
		out, err := exec.Command(bin, "--config", path, "--shard", c.shard, "--check").CombinedOutput()
		if err != nil || !strings.Contains(string(out), c.want) {
			t.Errorf("--shard %s --check: %v %s, want %s", c.shard, err, out, c.want)
		}
	}
	if out, err := exec.Command(bin, "--config", path, "--shard", "3/2").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), `--shard "3/2" is not K/N with 1 <= K <= N`) {
		t.Errorf("--shard 3/2: %v %s", err, out)
	}

	out1 := startProcess(t, bin, "--config", path, "--shard", "1/2", "--log-level", "warn")
	out2 := startProcess(t, bin, "--config", path, "--shard", "2/2", "--log-level", "warn")

	deadline := time.Now().Add(20 * time.Second)
	for len(reg.Bindings()) < count && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a duplicate would show up now
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	bindings := map[string][]string{}
	for _, b := range reg.Bindings() {
		bindings[b.User] = append(bindings[b.User], b.Contact)
	}
	for _, p := range f.Phones {
		user := p.Lines[0].User
		got := bindings[user]
		if len(got) != 1 || !strings.Contains(got[0], "@"+p.IP+":5060") {
			t.Errorf("%s: bindings %v, want one contact at %s:5060", user, got, p.IP)
		}
		delete(bindings, user)
	}
	if len(bindings) != 0 {
		t.Errorf("bindings of users outside the block: %v", bindings)
	}
	// Each process says when its share is up.
	for _, c := range []struct {
		out  *lockedbuf.Buffer
		want string
	}{{out1, "all 6 phones up, 6 lines registered in"}, {out2, "all 5 phones up, 5 lines registered in"}} {
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(c.out.String(), c.want) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(c.out.String(), c.want) {
			t.Errorf("output lacks %q:\n%s", c.want, c.out.String())
		}
	}
}

// Issue 10, item 7: a file with a registrar and no phones runs the
// registrar alone; phones of another process register with it using the
// accounts it generates, and a wrong password is refused.
func TestRegistrarOnlyProcess(t *testing.T) {
	base := blockBase(t)
	regAddr := fmt.Sprintf("%s250:%d", base, peers.FreePort(t, "udp", base+"250"))
	path := writeConfig(t, fmt.Sprintf(`registrar:
  listen: "%s"
  accounts:
    - {count: 10, user: 6000, password: "pw$user"}
`, regAddr))
	out := startProcess(t, buildBinary(t), "--config", path, "--log-level", "warn")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "registrar  sip:") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "registrar  sip:"+regAddr) {
		t.Fatalf("no registrar banner:\n%s", out.String())
	}

	f, err := config.Parse("phones.yaml", []byte(fmt.Sprintf(`fleet:
  - {count: 2, ip: %[1]s1, sip_port: 5060, http_port: %[2]d, user: 6008, password: "pw$user", server: "%[3]s", expires: 60}
phones:
  - {name: wrong, ip: %[1]s3, sip_port: 5060, http_port: %[2]d, lines: [{user: "6001", password: nope, server: "%[3]s"}]}
`, base, peers.FreePort(t, "tcp", base+"1"), regAddr)))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := fleet.Start(context.Background(), f, fleet.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = fl.Close(ctx)
	}()
	want := map[string]string{"wrong": "failed", "6008": "registered", "6009": "registered"}
	deadline = time.Now().Add(15 * time.Second)
	for {
		got := map[string]string{}
		for _, m := range fl.Phones {
			got[m.Config.Name] = m.Phone.Snapshot().Lines[0].Registration.String()
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("registration states %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Issue 10, item 2: with an open-file limit too low for the fleet,
// phonesim says how many phones fit and how to raise the limit, before
// binding anything; with only the soft limit low, it raises it and runs.
func TestOpenFileLimit(t *testing.T) {
	base := blockBase(t)
	httpPort := peers.FreePort(t, "tcp", base+"1")
	path := writeConfig(t, fmt.Sprintf(`fleet:
  - {count: 300, ip: %s1, sip_port: 5060, http_port: %d, user: 7000, server: "127.0.0.1:9"}
`, base, httpPort))
	bin := buildBinary(t)
	cmd := exec.Command("bash", "-c", `ulimit -n 400 && exec "$0" --config "$1"`, bin, path)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1:\n%s", err, out)
	}
	for _, want := range []string{"needs about 557 open files", "the limit is 400", "about 143 phones fit", "ulimit -n 557", "--shard"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Nothing started: the refusal is all it printed (a bound phone or
	// registrar logs and prints its banner). Probing the port afterwards
	// proves nothing, as the process has exited, and races other tests
	// for ephemeral ports.
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 1 {
		t.Errorf("refused with %d lines, want the one refusal:\n%s", len(lines), out)
	}

	// Soft limit low, hard limit high enough: the fleet runs (Go itself
	// raises the soft limit to the hard one at start, as phonesim would).
	small := writeConfig(t, fmt.Sprintf(`fleet:
  - {count: 25, ip: %s1, sip_port: 5060, http_port: %d, user: 7000, server: "127.0.0.1:9"}
`, base, httpPort))
	run := exec.Command("bash", "-c", `ulimit -S -n 100 && exec "$0" --config "$1" --log-level error`, bin, small)
	buf := &lockedbuf.Buffer{}
	run.Stdout, run.Stderr = buf, buf
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = run.Process.Kill(); _ = run.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "Ctrl-C") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(buf.String(), "Ctrl-C") || strings.Contains(buf.String(), "open files") {
		t.Errorf("with a low soft limit:\n%s", buf.String())
	}
	// More than 20 phones: the banner is the range and one example, not
	// three lines a phone.
	if !strings.Contains(buf.String(), fmt.Sprintf("25 phones, 7000 (sip:%s1:5060) to 7024 (sip:%s25:5060)", base, base)) ||
		!strings.Contains(buf.String(), "active uri of 7000  http://admin:admin@"+base+"1:") ||
		strings.Contains(buf.String(), "phone 7001") {
		t.Errorf("banner of 25 phones:\n%s", buf.String())
	}
}

// Issue 10, item 5: --metrics serves the process's metrics.
func TestMetricsFlag(t *testing.T) {
	base := blockBase(t)
	regAddr := fmt.Sprintf("%s250:%d", base, peers.FreePort(t, "udp", base+"250"))
	metrics := fmt.Sprintf("%s251:%d", base, peers.FreePort(t, "tcp", base+"251"))
	path := writeConfig(t, fmt.Sprintf(`registrar: {listen: "%[1]s"}
fleet:
  - {count: 3, ip: %[2]s1, sip_port: 5060, http_port: %[3]d, user: 8000, password: "pw$user", server: "%[1]s"}
`, regAddr, base, peers.FreePort(t, "tcp", base+"1")))
	out := startProcess(t, buildBinary(t), "--config", path, "--metrics", metrics, "--log-level", "warn")
	deadline := time.Now().Add(15 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + metrics + "/metrics"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			// GOGC is back to 100 once the start-up summary is out, a
			// moment after the registrations (gcstart.go).
			if strings.Contains(body, `phonesim_lines{state="registered"} 3`) && strings.Contains(body, "go_gc_gogc_percent 100\n") {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{`phonesim_lines{state="registered"} 3`, `phonesim_phones 3`,
		`phonesim_action_urls_total{result="dropped"} 0`, `go_goroutines`,
		// Start-up's lower GOGC is back to Go's default once the fleet is up (gcstart.go).
		"go_gc_gogc_percent 100\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s\noutput:\n%s", want, body, out.String())
		}
	}
	if out, err := exec.Command(buildBinary(t), "--metrics", "nonsense", "--check").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "--metrics") {
		t.Errorf("--metrics nonsense: %v %s", err, out)
	}
}
