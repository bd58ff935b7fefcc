package scenarios

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/phonesimtest"
)

// Options tune a run.
type Options struct {
	// Out receives the progress, one line per step; nil discards it.
	Out io.Writer
	// Live rewrites the line of the running step (Out is a terminal).
	Live bool
	// Pace pauses this long after each step and says in words what
	// happens (a trainer's demonstration).
	Pace time.Duration
	// StepIn, if set, is read for an Enter before each step.
	StepIn io.Reader
	// FixedPorts keeps the ports as written (the demo's 5060/8081/8082);
	// by default every set of phones gets free ports on its addresses.
	FixedPorts bool
	// Logger receives the phones' logs; nil discards them.
	Logger *slog.Logger

	// OnStart, if set, is called once the phones are up, before the
	// first step; the steps wait until it returns (the GUI shows these
	// phones, the ones the steps drive, before the flow starts).
	OnStart func(ctx context.Context, ps *phonesimtest.Phones)
	// OnStep, if set, is called before each step and after it (see
	// Progress), on the runner's goroutine.
	OnStep func(Progress)
	// OnEnd, if set, is called with the result after the last step and
	// before the phones close (the GUI holds the final picture).
	OnEnd func(ctx context.Context, res *Result)
}

// Result is the outcome of one scenario.
type Result struct {
	Name     string        `json:"name"`
	File     string        `json:"file"`
	Passed   bool          `json:"passed"`
	Duration time.Duration `json:"duration_ns"`
	// Error is set when the phones could not start (nothing ran).
	Error string       `json:"error,omitempty"`
	Steps []StepResult `json:"steps"`
}

// StepResult is the outcome of one step.
type StepResult struct {
	Line     int           `json:"line"`
	Step     string        `json:"step"`   // in words
	Status   string        `json:"status"` // passed, failed, skipped
	Duration time.Duration `json:"duration_ns"`
	Failure  *Failure      `json:"failure,omitempty"`
}

// Failure says what a failed step expected and what happened.
type Failure struct {
	Expected string `json:"expected"`
	Got      string `json:"got"`
	// Phones is, for each phone of the step, its last events and its LCD.
	Phones []PhoneView `json:"phones,omitempty"`
}

// PhoneView is what a phone had done and showed when a step failed.
type PhoneView struct {
	Phone      string   `json:"phone"`
	LastEvents []string `json:"last_events"`
	LCD        string   `json:"lcd"`
}

// Failed returns the first failed step, or nil.
func (r *Result) Failed() *StepResult {
	for i := range r.Steps {
		if r.Steps[i].Status == "failed" {
			return &r.Steps[i]
		}
	}
	return nil
}

// Message is "file:line: step: expected ...; got ..." for a failed
// result, with each phone's last events and LCD on the following lines.
func (r *Result) Message() string {
	if r.Error != "" {
		return fmt.Sprintf("%s: %s", r.File, r.Error)
	}
	st := r.Failed()
	if st == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: %s: expected %s; got %s", r.File, st.Line, st.Step, st.Failure.Expected, st.Failure.Got)
	for _, v := range st.Failure.Phones {
		fmt.Fprintf(&b, "\n  %s last events: %s\n  %s LCD: %s", v.Phone, strings.Join(v.LastEvents, ", "), v.Phone, v.LCD)
	}
	return b.String()
}

// Run starts the scenario's phones, runs its steps until one fails, and
// closes the phones.
func Run(ctx context.Context, sc *Scenario, opts Options) *Result {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	start := time.Now()
	res := &Result{Name: sc.Name, File: sc.Path}
	defer func() { res.Duration = time.Since(start) }()
	fmt.Fprintf(opts.Out, "=== %s (%s)\n", sc.Name, sc.Path)

	ps, stop, err := startPhones(ctx, sc, opts)
	if err != nil {
		res.Error = "could not start the phones: " + err.Error()
		fmt.Fprintf(opts.Out, "--- FAIL %s: %s\n", sc.Name, res.Error)
		return res
	}
	defer stop()
	if opts.OnStart != nil {
		opts.OnStart(ctx, ps)
	}
	r := &runner{ps: ps, sc: sc, opts: opts, cursor: map[*phonesimtest.Phone]int{}}
	var stepIn *bufio.Reader
	if opts.StepIn != nil {
		stepIn = bufio.NewReader(opts.StepIn)
	}
	failed := false
	passed := 0
	progress := func(i int, st Step, words, status string) {
		if opts.OnStep == nil {
			return
		}
		p := Progress{Scenario: sc.Name, File: sc.Path, Line: st.Line, Index: i + 1, Total: len(sc.Steps),
			Step: words, Status: status, Passed: passed}
		if failed {
			p.Failed = 1
		}
		opts.OnStep(p)
	}
	for i, st := range sc.Steps {
		sr := StepResult{Line: st.Line, Step: st.Words(r.who(st.Phones))}
		if failed {
			sr.Status = "skipped"
			res.Steps = append(res.Steps, sr)
			continue
		}
		prefix := fmt.Sprintf("%s:%d", sc.Path, st.Line)
		if stepIn != nil {
			progress(i, st, sr.Step, "waiting")
			fmt.Fprintf(opts.Out, "    step %d/%d: %s — press Enter", i+1, len(sc.Steps), sr.Step)
			if _, err := stepIn.ReadString('\n'); err != nil {
				stepIn = nil // no more input: run on
			}
		}
		progress(i, st, sr.Step, "running")
		if opts.Live {
			fmt.Fprintf(opts.Out, "  … %s %s", prefix, sr.Step)
		}
		t0 := time.Now()
		f := r.step(ctx, st)
		sr.Duration = time.Since(t0)
		if opts.Live {
			fmt.Fprint(opts.Out, "\r\033[K")
		}
		if f != nil {
			failed = true
			sr.Status, sr.Failure = "failed", f
			fmt.Fprintf(opts.Out, "  FAIL %s %s (%s)\n       expected %s\n       got %s\n", prefix, sr.Step, round(sr.Duration), f.Expected, f.Got)
			for _, v := range f.Phones {
				fmt.Fprintf(opts.Out, "       %s last events: %s\n       %s LCD: %s\n", v.Phone, strings.Join(v.LastEvents, ", "), v.Phone, v.LCD)
			}
		} else {
			sr.Status = "passed"
			passed++
			fmt.Fprintf(opts.Out, "  ok   %s %s (%s)\n", prefix, sr.Step, round(sr.Duration))
		}
		res.Steps = append(res.Steps, sr)
		progress(i, st, sr.Step, sr.Status)
		if opts.Pace > 0 && !failed && i < len(sc.Steps)-1 {
			r.narrate(st)
			sleep(ctx, opts.Pace)
		}
	}
	res.Passed = !failed
	verdict := "PASS"
	if failed {
		verdict = "FAIL"
	}
	fmt.Fprintf(opts.Out, "--- %s %s (%s)\n", verdict, sc.Name, round(time.Since(start)))
	if opts.OnEnd != nil {
		res.Duration = time.Since(start)
		opts.OnEnd(ctx, res)
	}
	return res
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// startPhones starts the demo or the config, with the provisioning
// directory served over HTTP when the scenario has one.
func startPhones(ctx context.Context, sc *Scenario, opts Options) (*phonesimtest.Phones, func(), error) {
	var f *config.File
	if sc.Demo {
		f = config.Demo()
	} else {
		var err error
		if f, err = config.Load(sc.Config); err != nil {
			return nil, nil, err
		}
	}
	var prov *http.Server
	if sc.Provisioning != "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		prov = &http.Server{Handler: http.FileServer(http.Dir(sc.Provisioning)), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = prov.Serve(ln) }()
		for i := range f.Phones {
			f.Phones[i].ProvisioningURL = "http://" + ln.Addr().String() + "/"
		}
	}
	closeProv := func() {
		if prov != nil {
			_ = prov.Close()
		}
	}
	ps, err := phonesimtest.Start(ctx, f, phonesimtest.Options{FixedPorts: opts.FixedPorts, Logger: opts.Logger})
	if err != nil {
		closeProv()
		return nil, nil, err
	}
	return ps, func() { _ = ps.Close(); closeProv() }, nil
}

type runner struct {
	ps   *phonesimtest.Phones
	sc   *Scenario
	opts Options
	// cursor is, per phone, the index of the first event an expect_event
	// may match: events are consumed in order.
	cursor map[*phonesimtest.Phone]int
}

// who is "bob (1002)", or "alice (1001) and bob (1002)".
func (r *runner) who(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n
		if p := r.ps.Phone(n); p != nil {
			parts[i] = p.Name()
			if ext := p.Extension(); ext != "" && ext != p.Name() {
				parts[i] += " (" + ext + ")"
			}
		}
	}
	return strings.Join(parts, " and ")
}

func (r *runner) narrate(st Step) {
	fmt.Fprintf(r.opts.Out, "       … %s; pausing %s\n", strings.ToUpper(st.Words(r.who(st.Phones))[:1])+st.Words(r.who(st.Phones))[1:], r.opts.Pace)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// view is what phone p did and shows, for a failure report.
func view(p *phonesimtest.Phone) PhoneView {
	ev := p.Events()
	if len(ev) > 10 {
		ev = ev[len(ev)-10:]
	}
	last := make([]string, len(ev))
	for i, e := range ev {
		last[i] = e.Key()
	}
	return PhoneView{Phone: p.Name(), LastEvents: last, LCD: lcdText(p.Snapshot().LCD)}
}

// lcdText is `"Talking" | "Alice" "1001@127.0.0.1" | [Hold Transfer  End]`.
func lcdText(l emulator.LCD) string {
	lines := make([]string, len(l.Lines))
	for i, s := range l.Lines {
		lines[i] = fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q | %s | [%s]", l.Title, strings.Join(lines, " "), strings.Join(l.SoftKeys[:], "|"))
}

func escapeKey(k string) string { return url.PathEscape(k) }
