package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/phonesim/phonesim/fleet"
)

// startup follows a fleet coming up (issue 10, item 4): phones up (their
// SIP and HTTP bound), lines registered and failed. On a terminal it
// redraws one progress bar; otherwise it writes a plain line a second
// while something changes. Once every line has settled (registered or
// failed) it writes the summary with the time it took.
type startup struct {
	out   io.Writer
	tty   bool
	total int // phones the fleet will have
	start time.Time

	mu      sync.Mutex
	members []*fleet.Member
}

func newStartup(out io.Writer, total int) *startup {
	return &startup{out: out, tty: isTerminal(out), total: total, start: time.Now()}
}

// started is fleet.Options.OnStarted.
func (s *startup) started(m *fleet.Member) {
	s.mu.Lock()
	s.members = append(s.members, m)
	s.mu.Unlock()
}

// tally counts phones up and lines by registration state.
type tally struct {
	up, lines, registered, failed int
}

func (s *startup) tally() tally {
	s.mu.Lock()
	members := s.members
	s.mu.Unlock()
	t := tally{up: len(members)}
	for _, m := range members {
		for _, l := range m.Phone.Snapshot().Lines {
			t.lines++
			switch l.Registration {
			case "registered":
				t.registered++
			case "failed":
				t.failed++
			}
		}
	}
	return t
}

func (t tally) settled(total int) bool {
	return t.up == total && t.registered+t.failed == t.lines
}

// follow reports progress from now on, while the fleet starts, on its own
// goroutine; the returned func stops it early (cancel) or waits for it
// to end by itself (see watch).
func (s *startup) follow(ctx context.Context, quiet time.Duration) (wait func(cancel bool)) {
	ctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.watch(ctx, quiet)
	}()
	return func(cancel bool) {
		if cancel {
			stop()
		}
		<-done
		stop()
	}
}

// watch reports progress until every line has settled, ctx ends, or
// nothing has changed for quiet (a line retrying a registrar that does
// not answer stays "registering"). It returns the last tally.
func (s *startup) watch(ctx context.Context, quiet time.Duration) tally {
	// Each tick reads every phone's snapshot: a large fleet is read less
	// often, so that counting does not slow its start.
	tick := 100 * time.Millisecond
	if s.total > 1000 {
		tick = 500 * time.Millisecond
	}
	every := time.Second // plain lines
	if s.tty {
		every = 0
	}
	var last tally
	lastChange, lastPrint := time.Now(), time.Time{}
	for {
		t := s.tally()
		if t != last {
			last, lastChange = t, time.Now()
			if s.total > 1 && time.Since(lastPrint) >= every {
				s.progress(t)
				lastPrint = time.Now()
			}
		}
		if t.settled(s.total) {
			if s.total > 0 {
				s.summary(t)
			}
			return t
		}
		if ctx.Err() != nil || time.Since(lastChange) >= quiet {
			if s.tty && s.total > 1 {
				fmt.Fprintln(s.out)
			}
			return t
		}
		select {
		case <-ctx.Done():
		case <-time.After(tick):
		}
	}
}

func (s *startup) progress(t tally) {
	line := fmt.Sprintf("phones up %d/%d, lines registered %d, failed %d", t.up, s.total, t.registered, t.failed)
	if !s.tty {
		fmt.Fprintf(s.out, "phonesim: %s (%.1fs)\n", line, time.Since(s.start).Seconds())
		return
	}
	const width = 30
	done := 0
	if t.lines > 0 {
		// Settled lines, scaled by the share of phones up.
		done = width * (t.registered + t.failed) * t.up / (t.lines * max(s.total, 1))
	}
	fmt.Fprintf(s.out, "\r[%s%s] %s", strings.Repeat("#", done), strings.Repeat(".", width-done), line)
}

func (s *startup) summary(t tally) {
	if s.tty && s.total > 1 {
		s.progress(t)
		fmt.Fprintln(s.out)
	}
	took := time.Since(s.start).Round(10 * time.Millisecond)
	if t.failed == 0 {
		fmt.Fprintf(s.out, "phonesim: all %d phones up, %d lines registered in %v\n", t.up, t.registered, took)
		return
	}
	fmt.Fprintf(s.out, "phonesim: %d phones up in %v: %d lines registered, %d failed (they retry)\n", t.up, took, t.registered, t.failed)
}

// releaseStartup returns to the kernel, once, the memory start-up used
// and no longer needs (parsing the file, building the phones): the Go
// runtime would keep much of it resident for minutes (issue 10, item 3:
// "start-up may return memory to the OS itself once the fleet is up").
func releaseStartup() { debug.FreeOSMemory() }
