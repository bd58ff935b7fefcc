package peers

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BaresipOptions configures one headless baresip user agent. Zero values
// mean the defaults noted.
type BaresipOptions struct {
	// IP for SIP and the control socket. Default: a fresh LoopbackIP.
	IP string
	// SIPPort for SIP over UDP and TCP; baresip 1.0.0 also listens for TLS
	// on SIPPort+1. Default: 5060 when all three are free on IP, else free
	// ports.
	SIPPort int
	// CtrlPort for ctrl_tcp. Default: a free TCP port.
	CtrlPort int
	// User is the SIP user (required); Password its digest password.
	User, Password string
	// Registrar is the host:port to register with; the account is then
	// sip:User@Registrar. Empty: no registration, the account is
	// sip:User@IP:SIPPort and peers call it directly.
	Registrar string
	// AutoAnswer makes baresip answer incoming calls at once
	// (answermode=auto); otherwise they ring until Accept.
	AutoAnswer bool
	// AudioFile is what baresip sends in calls: an 8 kHz mono 16-bit WAV.
	// Default: a 1 kHz tone of AudioSeconds written by the harness.
	AudioFile string
	// AudioSeconds is the length of the default tone. baresip 1.0.0 hangs
	// up when its audio source ends, so this bounds every call. Default
	// 120.
	AudioSeconds int
}

// BaresipProc is a running baresip with its ctrl_tcp connection open.
type BaresipProc struct {
	IP       string
	SIPPort  int
	CtrlPort int
	User     string
	// AOR is the account's address of record: sip:User@Registrar, or
	// sip:User@IP:SIPPort without a registrar.
	AOR string
	// Dir holds config, baresip.log and recordings/ (sndfile's dump-*.wav:
	// -enc what baresip sent, -dec what it received, one pair per call).
	Dir string

	p    *process
	ctrl *ctrlConn
}

// commandTimeout bounds one ctrl_tcp command.
const commandTimeout = 5 * time.Second

// Baresip writes a config for opts into a temporary directory, starts
// `baresip -f DIR`, connects to its ctrl_tcp socket and creates the account
// (command uanew), which starts registration when Registrar is set. It does
// not wait for the registration: see WaitRegistered. The test's cleanup
// closes the connection and stops baresip.
//
// baresip 1.0.0 binds its RTP sockets and its DNS client socket to the
// wildcard address (0.0.0.0, ephemeral ports) whatever net_interface says;
// SIP and ctrl_tcp stay on IP. With IP-only URIs it never sends DNS queries
// and its media goes over loopback.
func Baresip(t testing.TB, opts BaresipOptions) *BaresipProc {
	t.Helper()
	bin := Require(t, "baresip")
	if opts.User == "" {
		t.Fatalf("peers.Baresip: User is required")
	}
	if err := checkAccountValue(opts.User, opts.Password, opts.Registrar); err != nil {
		t.Fatalf("peers.Baresip: %v", err)
	}
	b := &BaresipProc{IP: opts.IP, SIPPort: opts.SIPPort, CtrlPort: opts.CtrlPort, User: opts.User, Dir: t.TempDir()}
	if b.IP == "" {
		b.IP = LoopbackIP(t)
	} else if err := checkLoopback(b.IP); err != nil {
		t.Fatalf("peers.Baresip: %v", err)
	}
	if b.SIPPort == 0 {
		b.SIPPort = sipPort(t, b.IP, true, true)
	}
	if b.CtrlPort == 0 {
		for b.CtrlPort == 0 || b.CtrlPort == b.SIPPort || b.CtrlPort == b.SIPPort+1 {
			b.CtrlPort = FreePort(t, "tcp", b.IP)
		}
	}
	modules, err := BaresipModulePath()
	if err != nil {
		t.Fatalf("peers.Baresip: %v", err)
	}
	audio := opts.AudioFile
	if audio == "" {
		secs := opts.AudioSeconds
		if secs == 0 {
			secs = 120
		}
		audio = filepath.Join(b.Dir, "tone-1khz.wav")
		if err := os.WriteFile(audio, ToneWAV(1000, float64(secs)), 0o644); err != nil {
			t.Fatalf("peers.Baresip: %v", err)
		}
	}
	record := fileExists(filepath.Join(modules, "sndfile.so"))
	if record {
		if err := os.Mkdir(filepath.Join(b.Dir, "recordings"), 0o755); err != nil {
			t.Fatalf("peers.Baresip: %v", err)
		}
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "config"), []byte(b.config(modules, audio, record)), 0o644); err != nil {
		t.Fatalf("peers.Baresip: %v", err)
	}
	// An empty accounts file: the account is created over ctrl_tcp once we
	// listen to events, so no registration event can be missed.
	if err := os.WriteFile(filepath.Join(b.Dir, "accounts"), nil, 0o644); err != nil {
		t.Fatalf("peers.Baresip: %v", err)
	}

	b.p = startProcess(t, processSpec{
		name: "baresip", bin: bin, args: []string{"-f", b.Dir}, dir: b.Dir,
		// The first SIGTERM unregisters and quits; a second one quits
		// at once.
		stopSignals: []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM},
		grace:       time.Second,
	})
	ctrl, err := dialCtrl(b.IP+":"+strconv.Itoa(b.CtrlPort), 10*time.Second)
	if err != nil {
		if b.p.exited() {
			t.Fatalf("peers.Baresip: %v", b.p.errExited("starting"))
		}
		t.Fatalf("peers.Baresip: ctrl_tcp: %v\n%s", err, b.p.logTail(30))
	}
	b.ctrl = ctrl
	t.Cleanup(ctrl.close) // runs before the process is stopped

	answer := "manual"
	if opts.AutoAnswer {
		answer = "auto"
	}
	var account string
	if opts.Registrar != "" {
		b.AOR = "sip:" + opts.User + "@" + opts.Registrar
		account = "<" + b.AOR + ";transport=udp>;regint=3600"
	} else {
		b.AOR = "sip:" + opts.User + "@" + b.IP + ":" + strconv.Itoa(b.SIPPort)
		account = "<" + b.AOR + ";transport=udp>;regint=0"
	}
	if opts.Password != "" {
		account += ";auth_pass=" + opts.Password
	}
	account += ";answermode=" + answer + ";audio_codecs=pcmu"
	if _, err := b.Command("uanew", account); err != nil {
		t.Fatalf("peers.Baresip: %v\n%s", err, b.p.logTail(30))
	}
	return b
}

// config is baresip's config file: UDP SIP on IP only, no sound card
// (aubridge plays into nothing, aufile is the microphone), g711, ctrl_tcp
// and menu for the commands, sndfile to record each call.
func (b *BaresipProc) config(modules, audio string, record bool) string {
	lines := append([]string{"# Written by internal/peers for one test."},
		HeadlessBaresipConfig(b.IP, b.SIPPort, modules, audio)...)
	lines = append(lines, "call_local_timeout 120", "call_max_calls 4")
	if record {
		lines = append(lines, "module sndfile.so", "snd_path "+filepath.Join(b.Dir, "recordings"))
	}
	lines = append(lines,
		"module_app menu.so",
		"module_app ctrl_tcp.so",
		"ctrl_tcp_listen "+b.IP+":"+strconv.Itoa(b.CtrlPort),
	)
	return strings.Join(lines, "\n") + "\n"
}

// HeadlessBaresipConfig is the part of a baresip config file that makes it
// a headless G.711 UA: UDP SIP on ip:port only, IP-only URIs (the DNS server
// is never asked), no sound card (aubridge plays into nothing) and the WAV
// file audio as its microphone. Callers add the modules they drive it with.
func HeadlessBaresipConfig(ip string, port int, modules, audio string) []string {
	return []string{
		"poll_method epoll",
		"sip_listen " + net.JoinHostPort(ip, strconv.Itoa(port)),
		"net_interface " + ip,
		"dns_server " + ip + ":53",
		"audio_player aubridge,nil",
		"audio_alert aubridge,nil",
		"audio_source aufile," + audio,
		"module_path " + modules,
		"module g711.so",
		"module aubridge.so",
		"module aufile.so",
	}
}

// checkAccountValue refuses characters that would break the account line
// ("<sip:...>;param=value;...").
func checkAccountValue(vals ...string) error {
	for _, v := range vals {
		if strings.ContainsAny(v, "<>;\"\\ \t\r\n") {
			return fmt.Errorf("%q: no spaces, quotes, backslashes, < > or ; allowed", v)
		}
	}
	return nil
}

// BaresipModulePath finds the directory of baresip's modules, checking
// that the ones peers and the benchmark load are there.
func BaresipModulePath() (string, error) {
	dirs := []string{"/usr/lib/baresip/modules", "/usr/local/lib/baresip/modules"}
	if m, _ := filepath.Glob("/usr/lib/*-linux-gnu*/baresip/modules"); m != nil {
		dirs = append(dirs, m...)
	}
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "g711.so")) {
			for _, m := range []string{"aubridge.so", "aufile.so", "menu.so", "ctrl_tcp.so"} {
				if !fileExists(filepath.Join(d, m)) {
					return "", fmt.Errorf("baresip module %s missing in %s", m, d)
				}
			}
			return d, nil
		}
	}
	return "", fmt.Errorf("baresip modules not found in %s", strings.Join(dirs, ", "))
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Addr is baresip's SIP address, "ip:port".
func (b *BaresipProc) Addr() string { return b.IP + ":" + strconv.Itoa(b.SIPPort) }

// ContactURI is the URI that reaches this baresip directly, without the
// registrar: sip:User@IP:SIPPort.
func (b *BaresipProc) ContactURI() string { return "sip:" + b.User + "@" + b.Addr() }

// Command runs one ctrl_tcp command (as the menu module knows them: dial,
// accept, hangup, reginfo, listcalls, …) and returns its text response.
func (b *BaresipProc) Command(cmd, params string) (string, error) {
	return b.ctrl.command(cmd, params, commandTimeout)
}

// Dial calls uri (a sip: URI, or a user of the account's domain).
func (b *BaresipProc) Dial(uri string) error {
	_, err := b.Command("dial", uri)
	return err
}

// Accept answers the ringing incoming call.
func (b *BaresipProc) Accept() error {
	_, err := b.Command("accept", "")
	return err
}

// Hangup ends the current call: BYE when established, CANCEL when dialling,
// a rejection when ringing.
func (b *BaresipProc) Hangup() error {
	_, err := b.Command("hangup", "")
	return err
}

// WaitEvent waits for the next event of type typ (REGISTER_OK,
// CALL_INCOMING, CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED, …). "Next"
// counts from the last event of that type WaitEvent returned, so an event
// that came before the call is still found, and the second call finds the
// second event.
func (b *BaresipProc) WaitEvent(typ string, timeout time.Duration) (BaresipEvent, error) {
	return b.ctrl.waitEvent(timeout, typ)
}

// Events returns every event received so far, in order.
func (b *BaresipProc) Events() []BaresipEvent { return b.ctrl.snapshot() }

// WaitRegistered waits for the account's registration to succeed, and
// fails early when it fails (REGISTER_FAIL, with the reason).
func (b *BaresipProc) WaitRegistered(timeout time.Duration) error {
	ev, err := b.ctrl.waitEvent(timeout, "REGISTER_OK", "REGISTER_FAIL")
	if err != nil {
		return err
	}
	if ev.Type == "REGISTER_FAIL" {
		return fmt.Errorf("baresip %s: registration failed: %s", b.AOR, ev.Param)
	}
	return nil
}

// LastRecording measures the audio baresip received in its most recent
// call (sndfile's newest dump-*-dec.wav). Call it after CALL_CLOSED: the
// file is complete once the call's audio stream is closed. sndfile names
// files by the second, so two calls within one second share a file.
func (b *BaresipProc) LastRecording() (WAVInfo, error) {
	files, _ := filepath.Glob(filepath.Join(b.Dir, "recordings", "dump-*-dec.wav"))
	if len(files) == 0 {
		if !fileExists(filepath.Join(b.Dir, "recordings")) {
			return WAVInfo{}, errors.New("baresip records nothing: sndfile module not installed")
		}
		return WAVInfo{}, errors.New("baresip recorded no call")
	}
	slices.Sort(files) // names hold the time, so the last sorts last
	return AnalyzeWAV(files[len(files)-1])
}
