package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// phonesimProc is the phonesim binary running a configuration, as the
// fleet-scale and call-rate benchmarks run it.
type phonesimProc struct {
	cmd    *exec.Cmd
	start  time.Time
	wg     sync.WaitGroup
	found  chan string
	ended  chan struct{} // closed when its output ends: the process exited
	exited chan struct{} // closed once the process has exited and been waited for
	last   []string      // its last lines, for the error when it exits early
}

// startPhonesim runs bin --config cfg (logs at warn, no event lines) plus
// args; its "phonesim:" lines are copied to log, and the first line
// holding ready is reported by waitReady.
func startPhonesim(bin, cfg, ready string, log io.Writer, args ...string) (*phonesimProc, error) {
	p := &phonesimProc{found: make(chan string, 1), ended: make(chan struct{}), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"--config", cfg, "--log-level", "warn", "--events", "off"}, args...)...)
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	p.wg.Add(2)
	go func() {
		// The pipe ends with the process, so the reader below sees its
		// end (ended) even before stop.
		defer p.wg.Done()
		_ = p.cmd.Wait()
		pw.Close()
		close(p.exited)
	}()
	go func() {
		defer p.wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		defer close(p.ended)
		sent := false
		for sc.Scan() {
			text := sc.Text()
			if !sent {
				p.last = append(p.last, text)
				if len(p.last) > 5 {
					p.last = p.last[1:]
				}
			}
			if strings.HasPrefix(text, "phonesim:") {
				fmt.Fprintln(log, "  "+text)
			}
			if !sent && strings.Contains(text, ready) {
				sent = true
				p.found <- text
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	return p, nil
}

// waitReady returns the ready line and how long after exec it came.
func (p *phonesimProc) waitReady(ctx context.Context, timeout time.Duration) (string, time.Duration, error) {
	select {
	case line := <-p.found:
		return line, time.Since(p.start), nil
	case <-p.ended:
		// The output ended before a ready line: the process exited (a port
		// taken, a bad configuration); say what it said last.
		select {
		case line := <-p.found:
			return line, time.Since(p.start), nil
		default:
		}
		return "", 0, fmt.Errorf("phonesim exited before it was ready: %s", strings.Join(p.last, " / "))
	case <-time.After(timeout):
		return "", 0, fmt.Errorf("phonesim: no ready line within %v", timeout)
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
}

// stop sends SIGTERM (the phones hang up and unregister) and waits, at
// most a minute before it kills the process.
func (p *phonesimProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.wg.Wait()
}

// buildPhonesim builds the phonesim binary into dir.
func buildPhonesim(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "phonesim")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/phonesim/phonesim/cmd/phonesim").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// report prints text and, with -out, writes it to out too; it returns the
// exit code.
func report(text, out string, stdout, stderr io.Writer) int {
	fmt.Fprint(stdout, text)
	if out != "" {
		if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
			fmt.Fprintf(stderr, "phonesim-bench: %v\n", err)
			return 1
		}
	}
	return 0
}
