package peers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// process is one peer process running in its own process group, with
// stdout and stderr in a log file of its directory.
type process struct {
	name    string
	cmd     *exec.Cmd
	dir     string
	logPath string
	// stop lists the signals sent to the group, one per grace period,
	// before SIGKILL.
	stopSignals []syscall.Signal
	grace       time.Duration

	done     chan struct{} // closed when the process has been reaped
	stopOnce sync.Once
}

type processSpec struct {
	name        string // for messages: "sipp", "kamailio", "baresip"
	bin         string // absolute path from Require
	args        []string
	dir         string // working directory; the log goes here too
	stopSignals []syscall.Signal
	grace       time.Duration
	// deathSignal is sent to the process when the test binary dies
	// without running its cleanups (a -timeout panic, a SIGKILL).
	// Default SIGKILL.
	deathSignal syscall.Signal
	// logFiles are extra files (relative to dir) whose tails are shown
	// when the test fails.
	logFiles []string
	// stdin, when set, receives a pipe to the process's standard input
	// (linphonec reads its commands there); else stdin is /dev/null.
	stdin *io.WriteCloser
}

// groupGuard runs a command that forks workers (kamailio) under /bin/sh, so
// that the workers die with the test binary too. Pdeathsig only reaches the
// direct child: when the test binary dies, the kernel sends SIGTERM to this
// shell, which stops the command and then SIGKILLs its whole process group.
// Usage: sh -c groupGuard guard CMD ARGS...
const groupGuard = `trap 'kill -TERM "$k" 2>/dev/null; wait "$k"; kill -KILL 0' TERM INT HUP
"$@" &
k=$!
wait "$k"
`

// startProcess starts the peer and registers its cleanup: stop the group,
// and on failure log the tails of its logs.
func startProcess(t testing.TB, spec processSpec) *process {
	t.Helper()
	logPath := filepath.Join(spec.dir, spec.name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("peers: %s log: %v", spec.name, err)
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(spec.bin, spec.args...)
	cmd.Dir = spec.dir
	cmd.Stdin = nil // /dev/null
	if spec.stdin != nil {
		w, err := cmd.StdinPipe()
		if err != nil {
			t.Fatalf("peers: %s stdin: %v", spec.name, err)
		}
		*spec.stdin = w
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if spec.deathSignal == 0 {
		spec.deathSignal = syscall.SIGKILL
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// If the test binary dies without running its cleanups, the
		// kernel signals the peer.
		Pdeathsig: spec.deathSignal,
	}
	if len(spec.stopSignals) == 0 {
		spec.stopSignals = []syscall.Signal{syscall.SIGTERM}
	}
	if spec.grace == 0 {
		spec.grace = 2 * time.Second
	}
	p := &process{
		name:        spec.name,
		cmd:         cmd,
		dir:         spec.dir,
		logPath:     logPath,
		stopSignals: spec.stopSignals,
		grace:       spec.grace,
		done:        make(chan struct{}),
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("peers: start %s: %v", spec.name, err)
	}
	go func() {
		_ = cmd.Wait() // the outcome is in cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s: %s", spec.name, strings.Join(strings.Fields(cmd.String()), " "))
			for _, f := range append([]string{filepath.Base(logPath)}, spec.logFiles...) {
				if tail := tailFile(filepath.Join(spec.dir, f), 40); tail != "" {
					t.Logf("--- tail of %s %s ---\n%s", spec.name, f, tail)
				}
			}
		}
	})
	return p
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitCode is the exit status once exited; -1 if killed by a signal.
func (p *process) exitCode() int {
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// signalGroup sends sig to the whole process group.
func (p *process) signalGroup(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

// stop ends the group: each stop signal, then SIGKILL, waiting a grace
// period between them, and finally SIGKILL to whatever is left in the group
// (children that outlived their parent). Safe to call more than once.
func (p *process) stop() {
	p.stopOnce.Do(func() {
		if !p.exited() {
			for _, sig := range p.stopSignals {
				p.signalGroup(sig)
				select {
				case <-p.done:
				case <-time.After(p.grace):
				}
				if p.exited() {
					break
				}
			}
		}
		if !p.exited() {
			p.signalGroup(syscall.SIGKILL)
			<-p.done
		}
		p.signalGroup(syscall.SIGKILL)
	})
}

// wait waits up to timeout for the process to end by itself.
func (p *process) wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %v", p.name, timeout)
	}
}

// logTail is the end of the process's stdout/stderr log.
func (p *process) logTail(lines int) string { return tailFile(p.logPath, lines) }

// tailFile returns the last n lines of a file ("" when it cannot be read).
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	b = bytes.TrimRight(b, "\r\n")
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// errExited wraps a process that ended early, with its log tail.
func (p *process) errExited(what string) error {
	return errors.New(p.name + " exited while " + what + " (" + p.cmd.ProcessState.String() + "):\n" + p.logTail(30))
}
