// Package cli holds what bin/phonesim and bin/phonesim-gui share on the
// command line: the flags that name and shape a configuration (--config,
// --log-level, --check, --version, --state-dir, --shard, --metrics), how
// they are read, and the fleet options they give. Both front ends take the
// same configuration and flags (issue 8: "bin/phonesim-gui --config FILE
// takes the same configuration and flags as bin/phonesim").
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/fleet"
)

// Exit codes of both commands.
const (
	ExitOK     = 0
	ExitFailed = 1 // could not start (port in use...), or a scenario failed
	ExitUsage  = 2 // bad flags or configuration
)

// Flags are the shared flags; Register adds them to a FlagSet.
type Flags struct {
	Config   string
	LogLevel string
	Check    bool
	Version  bool
	StateDir string
	// Fleets at scale (issue 10).
	Shard   string
	Metrics string
}

// Register adds the shared flags to fs.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.StringVar(&f.Config, "config", "", "YAML configuration `file` (default: the built-in demo)")
	fs.StringVar(&f.LogLevel, "log-level", "", "log level: debug, info, warn or error (default: the file's log_level, else info)")
	fs.BoolVar(&f.Check, "check", false, "validate the configuration and exit")
	fs.BoolVar(&f.Version, "version", false, "print the version and exit")
	fs.StringVar(&f.StateDir, "state-dir", "", "`dir` for each phone's state file (what its web pages changed; default: beside --config, none for the demo)")
	fs.StringVar(&f.Shard, "shard", "", "run only the K-th of N equal slices of every fleet block, `K/N` (e.g. 1/2); the registrar and the listed phones run in shard 1")
	fs.StringVar(&f.Metrics, "metrics", "", "serve Prometheus metrics of the whole process at http://`ADDR`/metrics (e.g. 127.0.0.1:9100)")
	return f
}

// Load does what the flags ask once parsed: --version and --check answer
// and return their exit code; otherwise it reads the configuration (the
// demo without --config), narrows it to --shard, and builds the logger
// (--log-level over the file's log_level), returning exit -1. prog names
// the command in its messages.
func (f *Flags) Load(prog string, stdout, stderr io.Writer) (*config.File, *slog.Logger, int) {
	if f.Version {
		fmt.Fprintln(stdout, prog, fleet.Version)
		return nil, nil, ExitOK
	}
	if f.Metrics != "" {
		if _, _, err := net.SplitHostPort(f.Metrics); err != nil {
			fmt.Fprintf(stderr, "%s: --metrics %q: want host:port (e.g. 127.0.0.1:9100)\n", prog, f.Metrics)
			return nil, nil, ExitUsage
		}
	}
	var file *config.File
	var err error
	if f.Config == "" {
		file = config.Demo()
	} else if file, err = config.Load(f.Config); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return nil, nil, ExitUsage
	}
	if f.Shard != "" {
		k, n, err := config.ParseShard(f.Shard)
		if err == nil {
			file, err = file.ShardOf(k, n)
		} else {
			err = fmt.Errorf("--shard %v", err)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return nil, nil, ExitUsage
		}
	}
	if f.Check {
		name := f.Config
		if name == "" {
			name = "demo"
		}
		fmt.Fprintf(stdout, "%s: ok (%d phones)\n", name, len(file.Phones))
		return nil, nil, ExitOK
	}
	level := file.SlogLevel()
	if f.LogLevel != "" {
		if err := level.UnmarshalText([]byte(f.LogLevel)); err != nil {
			fmt.Fprintf(stderr, "%s: --log-level %q: want debug, info, warn or error\n", prog, f.LogLevel)
			return nil, nil, ExitUsage
		}
	}
	log := slog.New(libraryNoise{slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})})
	return file, log, -1
}

// Options completes opts for file: the state directory (--state-dir, else
// beside --config, none for the demo) and, checked before anything binds,
// whether the process may open the descriptors the fleet needs (the soft
// limit is raised if it must be; phones share an HTTP listener per port
// when one each would not fit). w gets what was raised.
func (f *Flags) Options(prog string, file *config.File, w io.Writer, opts fleet.Options) (fleet.Options, error) {
	opts.StateDir = f.StateDir
	if opts.StateDir == "" && f.Config != "" {
		opts.StateDir = filepath.Dir(f.Config)
	}
	share, raised, err := fleet.EnsureOpenFiles(file)
	if raised != "" {
		fmt.Fprintf(w, "%s: %s\n", prog, raised)
	}
	opts.ShareHTTP = share
	return opts, err
}

// ServeMetrics starts the --metrics server, if asked; the returned func
// stops it.
func (f *Flags) ServeMetrics(fl *fleet.Fleet, log *slog.Logger) (stop func()) {
	if f.Metrics == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", f.Metrics)
	if err != nil {
		log.Error("metrics: cannot listen", "addr", f.Metrics, "error", err)
		return func() {}
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", fl.MetricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "error", err)
		}
	}()
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}
