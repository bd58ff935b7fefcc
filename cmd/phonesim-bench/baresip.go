package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/phonesim/phonesim/internal/peers"
	"github.com/phonesim/phonesim/registrar"
)

// baresipResult is the peer of figure 3: one headless baresip registered
// to the same registrar, idle.
type baresipResult struct {
	Installed bool
	RSS       int64 // VmRSS, bytes
	Err       error // set when it is installed but could not be measured
}

// measureBaresip starts baresip with a temporary configuration (the same
// headless recipe as internal/peers: UDP SIP on loopback, no sound card,
// g711), waits until the registrar holds its binding, lets it settle and
// reads its VmRSS, then stops it.
func measureBaresip(ctx context.Context, reg *registrar.Registrar, user string) baresipResult {
	bin, err := exec.LookPath("baresip")
	if err != nil {
		return baresipResult{}
	}
	res := baresipResult{Installed: true}
	p, err := startBaresip(bin, "127.0.0.1", user, benchPassword(user), reg.Addr())
	if err != nil {
		res.Err = err
		return res
	}
	defer p.stop()
	if err := p.waitRegistered(ctx, reg, 15*time.Second); err != nil {
		res.Err = err
		return res
	}
	time.Sleep(time.Second) // let it finish what follows the registration
	res.RSS, res.Err = vmRSS("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	return res
}

type baresipProc struct {
	cmd  *exec.Cmd
	dir  string
	user string
	done chan struct{}
}

func startBaresip(bin, ip, user, password, registrarAddr string) (*baresipProc, error) {
	modules, err := peers.BaresipModulePath()
	if err != nil {
		return nil, err
	}
	// baresip 1.0.0 also listens for SIP over TCP, and TLS on port+1.
	port, err := peers.SIPPort(ip, true, true)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "phonesim-bench-baresip-")
	if err != nil {
		return nil, err
	}
	audio := filepath.Join(dir, "tone.wav")
	// The headless recipe of internal/peers, with the account module.
	config := strings.Join(append(peers.HeadlessBaresipConfig(ip, port, modules, audio),
		"module_app account.so", "module_app menu.so", ""), "\n")
	// RFC 3261 §10.2: register sip:user@registrar for an hour, as the
	// phones do.
	account := "<sip:" + user + "@" + registrarAddr + ";transport=udp>;auth_pass=" + password + ";regint=3600\n"
	for name, data := range map[string][]byte{"config": []byte(config), "accounts": []byte(account), "tone.wav": peers.ToneWAV(440, 1)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	logFile, err := os.Create(filepath.Join(dir, "baresip.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "-f", dir)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := &baresipProc{cmd: cmd, dir: dir, user: user, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *baresipProc) waitRegistered(ctx context.Context, reg *registrar.Registrar, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		for _, b := range reg.Bindings() {
			if b.User == p.user {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("baresip exited before registering:\n%s", p.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("baresip not registered after %s:\n%s", timeout, p.logTail())
		}
	}
}

func (p *baresipProc) logTail() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "baresip.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-10):], "\n")
}

// stop sends SIGTERM to baresip's process group (it unregisters and
// quits), SIGKILL after two seconds, and removes its directory.
func (p *baresipProc) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	os.RemoveAll(p.dir)
}
