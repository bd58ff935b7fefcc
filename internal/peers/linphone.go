package peers

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// LinphoneOptions configures a headless linphone (linphone-cli 5.x,
// belle-sip). Zero values mean the defaults noted.
type LinphoneOptions struct {
	// User and Password of the account; Registrar is the Kamailio
	// "ip:port" it registers with (and sends every request to).
	User, Password, Registrar string
	// IP to bind SIP and RTP to. Default: a fresh LoopbackIP.
	IP string
	// AutoAnswer answers incoming calls at once (linphonec -a).
	AutoAnswer bool
	// ToneHz is the tone linphone plays into its calls. Default 1000.
	ToneHz float64
}

// LinphoneProc is a running linphonec, driven over its standard input (the
// command line interface) rather than linphonecsh: that one's control socket
// is /tmp/linphonec-<uid>, so only one linphonec per user could run.
type LinphoneProc struct {
	IP   string
	Port int
	User string
	// Dir holds linphonerc, HOME and linphone.log (its output, where
	// the command answers are read).
	Dir string

	p     *process
	mu    sync.Mutex // one command at a time
	stdin io.WriteCloser
}

// linphoneUser is what may go into the rc file and SIP URIs unescaped.
var linphoneUser = regexp.MustCompile(`^[A-Za-z0-9._~+-]+$`)

// Linphone starts linphonec with an rc file for opts and returns once it is
// registered with opts.Registrar. The test's cleanup ends its calls and
// stops it.
//
// Headless it needs (see linphone-cli's field notes): a HOME holding
// .local/share/linphone (else it opens no SIP socket), fixed bind addresses
// and ports for SIP and RTP (else it also listens on TCP 5060), and WAV
// files instead of a sound card ("soundcard use files" and "play"): with
// no sound card linphone sends no RTP at all, since it clocks media from
// the card.
func Linphone(t testing.TB, opts LinphoneOptions) *LinphoneProc {
	t.Helper()
	bin := Require(t, "linphonec")
	if !linphoneUser.MatchString(opts.User) || opts.Password == "" || strings.ContainsAny(opts.Password, "\r\n") {
		t.Fatalf("peers.Linphone: user %q / password: letters, digits and . _ ~ + - only, password non-empty", opts.User)
	}
	regIP, regPort, err := splitHostPort(opts.Registrar)
	if err != nil {
		t.Fatalf("peers.Linphone: registrar %q: %v", opts.Registrar, err)
	}
	l := &LinphoneProc{IP: opts.IP, User: opts.User, Dir: t.TempDir()}
	if l.IP == "" {
		l.IP = LoopbackIP(t)
	} else if err := checkLoopback(l.IP); err != nil {
		t.Fatalf("peers.Linphone: %v", err)
	}
	l.Port = FreePort(t, "udp", l.IP)
	// RTP: a range for several calls at once (a transfer places a second
	// call while the first is held); the address is linphone's alone.
	rtp := 40000
	hz := opts.ToneHz
	if hz == 0 {
		hz = 1000
	}
	home := filepath.Join(l.Dir, "home")
	tone := filepath.Join(l.Dir, "tone.wav")
	if err := os.MkdirAll(filepath.Join(home, ".local", "share", "linphone"), 0o755); err != nil {
		t.Fatalf("peers.Linphone: %v", err)
	}
	if err := os.WriteFile(tone, ToneWAV(hz, 60), 0o644); err != nil {
		t.Fatalf("peers.Linphone: %v", err)
	}
	rc := filepath.Join(l.Dir, "linphonerc")
	if err := os.WriteFile(rc, []byte(linphoneRC(l.IP, l.Port, rtp, regIP, regPort, opts.User, opts.Password)), 0o644); err != nil {
		t.Fatalf("peers.Linphone: %v", err)
	}
	args := []string{"-c", rc, "-d", "0"}
	if opts.AutoAnswer {
		args = append(args, "-a")
	}
	env := "HOME=" + home
	l.p = startProcess(t, processSpec{
		name: "linphone", bin: "/usr/bin/env", args: append([]string{env, bin}, args...),
		dir: l.Dir, stdin: &l.stdin, grace: 2 * time.Second,
		stopSignals: []syscall.Signal{syscall.SIGTERM},
	})
	t.Cleanup(func() {
		// Hang up and quit: BYEs go out before the process ends.
		_ = l.send("terminate all")
		_ = l.send("quit")
		_ = l.p.wait(3 * time.Second)
		_ = l.stdin.Close()
	})
	for _, cmd := range []string{"soundcard use files", "play " + tone} {
		if err := l.send(cmd); err != nil {
			t.Fatalf("peers.Linphone: %v", err)
		}
	}
	if err := l.waitRegistered(10 * time.Second); err != nil {
		t.Fatalf("peers.Linphone: %v", err)
	}
	return l
}

// waitRegistered asks "status register" until linphone says it is
// registered.
func (l *LinphoneProc) waitRegistered(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := l.send("status register"); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
		if strings.Contains(l.Output(), "registered, identity=") {
			return nil
		}
	}
	return fmt.Errorf("linphone not registered within %v; output:\n%s", timeout, tail(l.Output(), 20))
}

// linphoneRC is the configuration: SIP on UDP ip:port only, RTP and
// RTCP in rtp to rtp+39, one account registered with the
// registrar, which is also its outbound proxy.
func linphoneRC(ip string, port, rtp int, regIP string, regPort int, user, pw string) string {
	reg := regIP + ":" + strconv.Itoa(regPort)
	return fmt.Sprintf(`[sip]
bind_address=%[1]s
sip_port=%[2]d
sip_tcp_port=0
sip_tls_port=0
default_proxy=0
register_only_when_network_is_up=0
guess_hostname=0
use_ipv6=0
inc_timeout=60

[rtp]
bind_address=%[1]s
audio_rtp_port=%[3]d-%[4]d
audio_jitt_comp=60

[sound]
echocancellation=0

[video]
enabled=0
capture=0
display=0

[proxy_0]
reg_proxy=<sip:%[5]s;transport=udp>
reg_route=<sip:%[5]s;transport=udp;lr>
reg_identity=<sip:%[6]s@%[7]s>
reg_expires=300
reg_sendregister=1
publish=0
dial_escape_plus=0
quality_reporting_enabled=0
avpf=0
nat_policy_ref=

[auth_info_0]
username=%[6]s
userid=%[6]s
passwd=%[8]s
realm=%[7]s
domain=%[7]s
`, ip, port, rtp, rtp+39, reg, user, regIP, pw)
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("want ip:port")
	}
	p, err := strconv.Atoi(addr[i+1:])
	if err != nil {
		return "", 0, err
	}
	return addr[:i], p, nil
}

// Addr is linphone's SIP address, "ip:port".
func (l *LinphoneProc) Addr() string { return l.IP + ":" + strconv.Itoa(l.Port) }

func (l *LinphoneProc) send(cmd string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.p.exited() {
		return l.p.errExited("command " + cmd)
	}
	_, err := io.WriteString(l.stdin, cmd+"\n")
	return err
}

// Command sends one linphonec command line ("call sip:...", "pause 1",
// "transfer 1 sip:...", "transfer --to-call 1 2", "terminate", ...).
func (l *LinphoneProc) Command(cmd string) error {
	if strings.ContainsAny(cmd, "\r\n") {
		return fmt.Errorf("linphone command %q: one line only", cmd)
	}
	return l.send(cmd)
}

// Output is what linphonec printed so far.
func (l *LinphoneProc) Output() string {
	b, _ := os.ReadFile(l.p.logPath)
	return string(b)
}

// WaitOutput waits until linphonec's output matches re.
func (l *LinphoneProc) WaitOutput(re *regexp.Regexp, timeout time.Duration) error {
	_, err := l.waitMatches(re, 1, timeout)
	return err
}

// WaitCount waits until re matches n times in linphonec's output, and
// returns the last match.
func (l *LinphoneProc) WaitCount(re *regexp.Regexp, n int, timeout time.Duration) (string, error) {
	return l.waitMatches(re, n, timeout)
}

func (l *LinphoneProc) waitMatches(re *regexp.Regexp, n int, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		out := l.Output()
		if m := re.FindAllString(out, -1); len(m) >= n {
			return m[n-1], nil
		}
		if l.p.exited() {
			return "", l.p.errExited("waiting for " + re.String())
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("linphone: %d× %q not seen within %v; output:\n%s", n, re, timeout, tail(out, 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
