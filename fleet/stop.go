package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// Stopping a fleet (docs/fleet.md, "Stopping"). Each phone hangs up and
// unregisters (REGISTER with Expires: 0, RFC 3261 §10.2.2) before the
// embedded registrar stops.
//
// StopBudget is how long the phones get, together, to hang up and
// unregister; with the Action URL grace running beside it (1 s,
// actionurl.ShutdownGrace) the process exits within 2 s of SIGTERM
// (docs/robustness.md, "Shutdown"). A line whose un-REGISTER is not
// answered by then is reported, not waited for: the registrar drops the
// binding when it expires anyway (§10.2.1.1).
var StopBudget = 1500 * time.Millisecond

// unregisterAtOnce bounds the phones stopping (and so un-REGISTERs on the
// wire) at the same moment. With every phone at once, the registrar's UDP
// socket overflowed (Linux's default receive buffer, 208 KB, holds about a
// hundred datagrams): of 2,000 phones, 10 to 372 un-REGISTERs were lost
// and not answered within their 4 s, and 10,000 phones took 4 s to stop.
// A fleet of desk phones switched off by hand does not unregister in one
// burst either. 10,000 phones stopping against the embedded registrar
// (2 cores, load 2.5-4), phones unregistered within 1.5 s by this bound:
// 128: 7,849; 256: 8,473; 384: 9,977; 512: 9,863-9,929; 1,024: 9,628
// (docs/fleet.md, "Stopping").
var unregisterAtOnce = 384

// StopReport says what happened to the phones when the fleet stopped.
type StopReport struct {
	Phones int // phones in the fleet
	// Registered is the phones with at least one line registered when
	// the stop began; Unregistered those of them whose every un-REGISTER
	// was answered with 200 OK.
	Registered, Unregistered int
	Failed                   []StopFailure // by cause, most phones first
	Budget                   time.Duration
	Took                     time.Duration // from the start of Close until every phone stopped
	Registrar                error         // from stopping the embedded registrar
}

// StopFailure is the phones whose stop ended with one cause.
type StopFailure struct {
	Cause  string   // "context deadline exceeded", "SIP/2.0 403 Forbidden", ...
	Phones []string // names, in fleet order
}

// phoneStop is one phone's outcome.
type phoneStop struct {
	name       string
	registered bool
	err        error
}

// cause is the innermost error's text: what the lines of a failure group
// have in common ("context deadline exceeded"), without the phone, line
// and request that made each line's message unique.
func cause(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return context.DeadlineExceeded.Error()
	}
	for {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			if es := j.Unwrap(); len(es) > 0 {
				err = es[0]
				continue
			}
		}
		inner := errors.Unwrap(err)
		if inner == nil {
			return err.Error()
		}
		err = inner
	}
}

func summarise(outcomes []phoneStop, budget, took time.Duration) StopReport {
	r := StopReport{Phones: len(outcomes), Budget: budget, Took: took}
	groups := map[string]*StopFailure{}
	for _, o := range outcomes {
		if o.registered {
			r.Registered++
		}
		if o.err == nil {
			if o.registered {
				r.Unregistered++
			}
			continue
		}
		c := cause(o.err)
		g := groups[c]
		if g == nil {
			g = &StopFailure{Cause: c}
			groups[c] = g
		}
		g.Phones = append(g.Phones, o.name)
	}
	for _, g := range groups {
		r.Failed = append(r.Failed, *g)
	}
	sort.Slice(r.Failed, func(i, j int) bool {
		if len(r.Failed[i].Phones) != len(r.Failed[j].Phones) {
			return len(r.Failed[i].Phones) > len(r.Failed[j].Phones)
		}
		return r.Failed[i].Cause < r.Failed[j].Cause
	})
	return r
}

// namesShown is how many phones a summary line names.
const namesShown = 3

// Lines are the summary: one line for the phones unregistered and one per
// cause of failure, with counts; a line names its phones when there are
// at most namesShown ("1 not confirmed within 1.5s (alice): ...").
func (r StopReport) Lines() []string {
	lines := []string{fmt.Sprintf("unregistered %d of %d phones in %v", r.Unregistered, r.Phones, r.Took.Round(10*time.Millisecond))}
	if n := r.Phones - r.Registered; n > 0 {
		lines[0] += fmt.Sprintf(" (%d had no line registered)", n)
	}
	for _, f := range r.Failed {
		what := "failed"
		if f.Cause == context.DeadlineExceeded.Error() {
			what = fmt.Sprintf("not confirmed within %v", r.Budget)
		}
		lines = append(lines, fmt.Sprintf("%d %s%s: %s", len(f.Phones), what, names(f.Phones), f.Cause))
	}
	return lines
}

func names(phones []string) string {
	if len(phones) > namesShown {
		return ""
	}
	return " (" + strings.Join(phones, ", ") + ")"
}

// Log writes the summary: the first line at info when every registered
// phone unregistered, each failure line at warn.
func (r StopReport) Log(log *slog.Logger) {
	for i, l := range r.Lines() {
		if i == 0 {
			log.Info("stopped: " + l)
		} else {
			log.Warn("stopped: " + l)
		}
	}
	if r.Registrar != nil {
		log.Warn("stopped: registrar", "error", r.Registrar)
	}
}

// stopPhone hangs the phone up and unregisters it within budget, holding
// one of slots while it does; the phone's every error goes to the debug
// log.
func (m *Member) stopPhone(budget context.Context, slots chan struct{}, log *slog.Logger) phoneStop {
	o := phoneStop{name: m.Config.Name}
	for _, l := range m.Phone.Snapshot().Lines {
		if l.Registration == emulator.RegRegistered {
			o.registered = true
		}
	}
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-budget.Done():
		// No slot before the budget ran out: Close still hangs up,
		// reports the lines Unregistered and frees the sockets, and
		// the un-REGISTERs end at once as not confirmed.
	}
	o.err = m.Phone.Close(budget) // delivers every event, Unregistered included
	if o.err != nil {
		log.Debug("phone stop", "phone", o.name, "error", o.err)
	}
	return o
}
