package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/phonesim/phonesim/internal/cli"
	"github.com/phonesim/phonesim/scenarios"
)

// runScenario is `phonesim scenario [flags] FILE...`: it checks every file
// first (any problem: exit 2, "file:line: message" each, nothing run), then
// runs them; exit 1 if a step failed, 0 if all passed.
func runScenario(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, sf := cli.NewScenarioFlagSet("phonesim", stderr)
	junit := fs.String("junit", "", "write JUnit XML to `file`")
	asJSON := fs.Bool("json", false, "print the results as JSON on stdout (progress goes to stderr)")
	pace, step, fixed := &sf.Pace, &sf.Step, &sf.FixedPorts
	parallel := fs.Int("parallel", 1, "run up to `n` scenarios at once (each on its own free ports)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	switch {
	case fs.NArg() == 0:
		fs.Usage()
		return exitUsage
	case *parallel < 1:
		fmt.Fprintln(stderr, "phonesim scenario: --parallel wants 1 or more")
		return exitUsage
	case *parallel > 1 && (*fixed || *step || *pace > 0):
		fmt.Fprintln(stderr, "phonesim scenario: --parallel runs with free ports, without --step or --pace")
		return exitUsage
	case *pace < 0:
		fmt.Fprintln(stderr, "phonesim scenario: --pace wants a positive duration")
		return exitUsage
	}
	logger, err := sf.Logger("phonesim scenario", stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}

	list, err := scenarios.Load(fs.Args()...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}

	progress := stdout
	if *asJSON {
		progress = stderr
	}
	opts := scenarios.Options{Out: progress, Live: isTerminal(progress) && *parallel == 1, Pace: *pace, FixedPorts: *fixed, Logger: logger}
	if *step {
		opts.StepIn = stdin
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	started := time.Now()
	results := runAll(ctx, list, opts, *parallel)

	if *junit != "" {
		var buf bytes.Buffer
		if err := scenarios.WriteJUnit(&buf, results, started); err == nil {
			err = os.WriteFile(*junit, buf.Bytes(), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "phonesim scenario: --junit: %v\n", err)
			return exitFailed
		}
	}
	if *asJSON {
		if err := scenarios.WriteJSON(stdout, results); err != nil {
			fmt.Fprintf(stderr, "phonesim scenario: %v\n", err)
			return exitFailed
		}
	}
	failed := 0
	for _, r := range results {
		if !r.Passed {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "\n%d of %d scenarios failed:\n", failed, len(results))
		for _, r := range results {
			if !r.Passed {
				fmt.Fprintln(stderr, r.Message())
			}
		}
		// The plain tally CI systems read as a test run's result.
		fmt.Fprintf(stderr, "scenarios: %d passed, %d failed\n", len(results)-failed, failed)
		return exitFailed
	}
	fmt.Fprintf(progress, "\nall %d scenarios passed (%s)\n", len(results), time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(progress, "scenarios: %d passed, 0 failed\n", len(results))
	return exitOK
}

// runAll runs the scenarios, n at a time; with n > 1 each one's progress is
// printed whole when it ends, so that lines do not interleave.
func runAll(ctx context.Context, list []*scenarios.Scenario, opts scenarios.Options, n int) []*scenarios.Result {
	results := make([]*scenarios.Result, len(list))
	if n == 1 {
		for i, sc := range list {
			results[i] = scenarios.Run(ctx, sc, opts)
		}
		return results
	}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		sem = make(chan struct{}, n)
	)
	for i, sc := range list {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var buf bytes.Buffer
			o := opts
			o.Out = &buf
			results[i] = scenarios.Run(ctx, sc, o)
			mu.Lock()
			_, _ = opts.Out.Write(buf.Bytes())
			mu.Unlock()
		}()
	}
	wg.Wait()
	return results
}

// isTerminal: w is a character device (live progress), not a pipe or file.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
