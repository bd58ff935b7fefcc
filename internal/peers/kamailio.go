package peers

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// KamailioOptions configures a Kamailio registrar/proxy. Zero values mean
// the defaults noted.
type KamailioOptions struct {
	// IP to listen on (UDP only). Default: a fresh LoopbackIP.
	IP string
	// Port to listen on. Default: 5060 when free on IP, else a free port.
	Port int
	// Users maps SIP user names to their digest passwords.
	Users map[string]string
	// Realm of the digest challenges. Default: IP.
	Realm string
	// Debug is Kamailio's log level: 1 (the default, also for 0) logs
	// notices, among them one line per request received; 2 adds info, 3
	// debug; -1 leaves only critical errors. The log is kamailio.log.
	Debug int
}

// KamailioProc is a running Kamailio.
type KamailioProc struct {
	IP    string
	Port  int
	Realm string
	// Dir holds kamailio.cfg and kamailio.log.
	Dir string

	p *process
}

// Kamailio writes a kamailio.cfg for opts (see kamailioCfg for what it
// does), starts `kamailio -f CFG -DD -E` and returns once it answers SIP
// OPTIONS. The test's cleanup stops it with SIGTERM.
func Kamailio(t testing.TB, opts KamailioOptions) *KamailioProc {
	t.Helper()
	bin := Require(t, "kamailio")
	k := &KamailioProc{IP: opts.IP, Port: opts.Port, Realm: opts.Realm, Dir: t.TempDir()}
	if k.IP == "" {
		k.IP = LoopbackIP(t)
	} else if err := checkLoopback(k.IP); err != nil {
		t.Fatalf("peers.Kamailio: %v", err)
	}
	if k.Port == 0 {
		k.Port = sipPort(t, k.IP, false, false)
	}
	if k.Realm == "" {
		k.Realm = k.IP
	}
	debug := opts.Debug
	if debug == 0 {
		debug = 1
	}
	cfg, err := kamailioConfig{IP: k.IP, Port: k.Port, Realm: k.Realm, Debug: debug}.render(opts.Users)
	if err != nil {
		t.Fatalf("peers.Kamailio: %v", err)
	}
	cfgPath := filepath.Join(k.Dir, "kamailio.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatalf("peers.Kamailio: %v", err)
	}
	runDir := filepath.Join(k.Dir, "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatalf("peers.Kamailio: %v", err)
	}
	// -DD: stay in the foreground; -E: log to stderr; -m/-M: shared and
	// private memory in MB; -Y: runtime dir (FIFO, pid files); -w: working
	// directory (core dumps).
	// Kamailio forks workers that outlive a killed main process, hence
	// the groupGuard shell.
	k.p = startProcess(t, processSpec{
		name: "kamailio", bin: "/bin/sh",
		args: []string{"-c", groupGuard, "guard", bin,
			"-f", cfgPath, "-DD", "-E", "-m", "64", "-M", "8", "-Y", runDir, "-w", runDir},
		dir:         k.Dir,
		grace:       3 * time.Second,
		deathSignal: syscall.SIGTERM,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		select {
		case <-k.p.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if _, err := optionsPing(ctx, k.IP, k.Addr()); err != nil {
		if k.p.exited() {
			t.Fatalf("peers.Kamailio: %v", k.p.errExited("starting"))
		}
		t.Fatalf("peers.Kamailio: %v\n%s", err, k.p.logTail(30))
	}
	return k
}

// Addr is Kamailio's SIP address, "ip:port".
func (k *KamailioProc) Addr() string { return k.IP + ":" + strconv.Itoa(k.Port) }

// Log returns Kamailio's log so far (one line per request received).
func (k *KamailioProc) Log() string {
	b, _ := os.ReadFile(k.p.logPath)
	return string(b)
}
