package registrar

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/diago"
)

// Interop with SIPp (Debian package sip-tester): a SIP stack we did not
// write registers with digest auth, answers a call routed by the registrar,
// and places one.

// sippRegister registers [service] with digest auth (-au/-ap).
const sippRegister = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="register with digest">
  <send retrans="500"><![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Expires: 300
      Content-Length: 0

  ]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>
      [authentication]
      Max-Forwards: 70
      Expires: 300
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
`

// sippAnswer answers one call, echoing Record-Route so that ACK and BYE
// come back through the registrar; unlike SIPp's built-in uas it does not
// linger for 4 s after the BYE.
const sippAnswer = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="answer one call">
  <recv request="INVITE"/>
  <send><![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

  ]]></send>
  <send retrans="500"><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

  ]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

  ]]></send>
</scenario>
`

type sippRun struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan error
}

// startSIPp runs sipp with args in a temporary directory (SIPp may write
// files there) and kills it at the end of the test if still running.
func startSIPp(t *testing.T, args ...string) *sippRun {
	t.Helper()
	path, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not on PATH (Debian package sip-tester): skipping the SIPp interop test")
	}
	run := &sippRun{out: &bytes.Buffer{}, done: make(chan error, 1)}
	run.cmd = exec.Command(path, args...)
	run.cmd.Dir = t.TempDir()
	run.cmd.Stdout = run.out
	run.cmd.Stderr = run.out
	if err := run.cmd.Start(); err != nil {
		t.Fatalf("start sipp: %v", err)
	}
	go func() { run.done <- run.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-run.done:
		default:
			_ = run.cmd.Process.Kill()
			<-run.done
		}
	})
	return run
}

// wait waits for sipp to exit and fails the test unless it succeeded (exit
// status 0: every call passed).
func (s *sippRun) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err // for Cleanup
		if err != nil {
			out := s.out.String()
			if len(out) > 3000 {
				out = out[len(out)-3000:]
			}
			t.Fatalf("%s: sipp %v\n%s", what, err, out)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: sipp still running after 30s", what)
	}
}

func writeScenario(t *testing.T, name, xml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// freePort returns a UDP port of 127.0.0.1 free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// freeMediaPort returns the first of four consecutive free UDP ports:
// SIPp binds its media port and the ones above it (RTP, RTCP, video).
func freeMediaPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		base := freePort(t) &^ 3 // multiple of 4
		if base < 1024 || base+3 > 65535 {
			continue
		}
		ok := true
		for p := base; p < base+4 && ok; p++ {
			c, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no block of 4 free UDP ports")
	return 0
}

// sippPorts returns a SIP port and a media port block that do not overlap.
func sippPorts(t *testing.T) (sipPort, mediaPort int) {
	t.Helper()
	mediaPort = freeMediaPort(t)
	for {
		sipPort = freePort(t)
		if sipPort < mediaPort || sipPort > mediaPort+3 {
			return sipPort, mediaPort
		}
	}
}

// waitBound waits until something listens on UDP port.
func waitBound(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return // taken: sipp is up
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listening on udp %d", port)
}

// SIPp registers 1003 with its own digest code, then answers a call from a
// diago phone routed to 1003 by the registrar; ACK and BYE follow the
// Record-Route through the registrar.
func TestSIPpRegistersAndAnswers(t *testing.T) {
	r := startRegistrar(t, Config{})
	port, mport := sippPorts(t)
	common := []string{"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mp", strconv.Itoa(mport), "-m", "1", "-timeout", "20s", "-nostdin"}

	reg := startSIPp(t, append([]string{r.Addr(), "-sf", writeScenario(t, "register.xml", sippRegister),
		"-s", "1003", "-au", "1003", "-ap", testUsers["1003"]}, common...)...)
	reg.wait(t, "SIPp REGISTER")
	bs := r.Bindings()
	if len(bs) != 1 || bs[0].User != "1003" || !strings.Contains(bs[0].Contact, "127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("bindings after SIPp REGISTER = %+v", bs)
	}

	uas := startSIPp(t, append([]string{"-sf", writeScenario(t, "answer.xml", sippAnswer)}, common...)...)
	waitBound(t, port)

	caller := newPhone(t, "1001", nil)
	caller.register(r, testUsers["1001"])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, _, err := caller.dg.Invite(ctx, userURI(t, r, "1003"), diago.InviteOptions{Username: "1001", Password: testUsers["1001"]})
	if err != nil {
		t.Fatalf("INVITE to SIPp through the registrar: %v", err)
	}
	defer d.Close()
	if rr := d.InviteResponse.RecordRoute(); rr == nil || rr.Address.HostPort() != r.Addr() {
		t.Errorf("200 from SIPp lacks our Record-Route: %v", rr)
	}
	// Talk a little before hanging up: sipgo handles every message on a
	// goroutine of its own, so an ACK and a BYE sent back to back can
	// leave the proxy in the other order, and SIPp's scenario insists on
	// ACK first.
	time.Sleep(100 * time.Millisecond)
	if err := d.Hangup(ctx); err != nil {
		t.Fatalf("BYE to SIPp: %v", err)
	}
	uas.wait(t, "SIPp UAS")
}

// SIPp's built-in uac calls a diago phone: its ACK and BYE carry no Route
// (the default scenario ignores Record-Route) and reach the phone through
// the location service.
func TestSIPpCallsPhone(t *testing.T) {
	r := startRegistrar(t, Config{DisableInviteChallenge: true})
	var callee *phone
	hangup := make(chan struct{})
	answered := make(chan error, 2)
	callee = newPhone(t, "1002", answering(&callee, hangup, answered))
	callee.register(r, testUsers["1002"])

	port, mport := sippPorts(t)
	uac := startSIPp(t, r.Addr(), "-sn", "uac", "-s", "1002", "-d", "100",
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mp", strconv.Itoa(mport), "-m", "1", "-timeout", "20s", "-nostdin")
	uac.wait(t, "SIPp uac")
	select {
	case err := <-answered:
		if err != nil {
			t.Fatalf("phone answering SIPp: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("phone never answered")
	}
	in := callee.waitCall(time.Second)
	waitDone(t, in.Context(), "phone's call after SIPp's BYE")
	if errors.Is(context.Cause(in.Context()), context.DeadlineExceeded) {
		t.Fatal("call timed out instead of ending with BYE")
	}
}
