package cli

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// ScenarioFlags are the flags `phonesim scenario` and `phonesim-gui
// scenario` share.
type ScenarioFlags struct {
	Pace       time.Duration
	Step       bool
	FixedPorts bool
	LogLevel   string
}

// NewScenarioFlagSet is the flag set of `PROG scenario [flags] FILE...`,
// with the shared scenario flags registered; each command adds its own.
func NewScenarioFlagSet(prog string, stderr io.Writer) (*flag.FlagSet, *ScenarioFlags) {
	fs := flag.NewFlagSet(prog+" scenario", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s scenario [flags] FILE...\n", prog)
		fs.PrintDefaults()
	}
	return fs, registerScenario(fs)
}

func registerScenario(fs *flag.FlagSet) *ScenarioFlags {
	f := &ScenarioFlags{}
	fs.DurationVar(&f.Pace, "pace", 0, "pause this long after each step and say what happened (trainer mode)")
	fs.BoolVar(&f.Step, "step", false, "wait for Enter (on the terminal) before each step")
	fs.BoolVar(&f.FixedPorts, "fixed-ports", false, "use the ports as written (the demo's 5060/8081/8082) instead of free ones")
	fs.StringVar(&f.LogLevel, "log-level", "", "show the phones' logs at this level (debug, info, warn, error) on stderr")
	return f
}

// Logger is the phones' logger for a scenario run: silent unless
// --log-level asks, so that the steps are what the terminal shows. It is
// also made the default logger, through which the SIP libraries log. prog
// names the command in the error.
func (f *ScenarioFlags) Logger(prog string, stderr io.Writer) (*slog.Logger, error) {
	logger := slog.New(slog.DiscardHandler)
	if f.LogLevel != "" {
		var level slog.Level
		if err := level.UnmarshalText([]byte(f.LogLevel)); err != nil {
			return nil, fmt.Errorf("%s: --log-level %q: want debug, info, warn or error", prog, f.LogLevel)
		}
		logger = slog.New(libraryNoise{slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})})
	}
	slog.SetDefault(logger)
	return logger, nil
}
