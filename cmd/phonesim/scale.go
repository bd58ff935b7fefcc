package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/fleet"
)

// maxBanner is how many phones the banner lists one by one; a larger
// fleet gets one summary line.
const maxBanner = 20

// printFleetBanner is the banner of a fleet of more than maxBanner
// phones: the range, and the first phone's URLs as an example.
func printFleetBanner(w io.Writer, fl *fleet.Fleet) {
	first, last := fl.Phones[0], fl.Phones[len(fl.Phones)-1]
	fmt.Fprintf(w, "%d phones, %s (sip:%s) to %s (sip:%s)\n", len(fl.Phones),
		first.Config.Name, first.UA.Addr(), last.Config.Name, last.UA.Addr())
	fmt.Fprintf(w, "  active uri of %s  %s?key=OK\n", first.Config.Name, first.ActiveURI())
	fmt.Fprintf(w, "  status of %s      %s\n", first.Config.Name, first.StatusURL())
}

// scaleFlags are the flags for fleets at scale (issue 10): --shard and
// --metrics.
type scaleFlags struct {
	shard   string
	metrics string
	share   bool // phones on one HTTP port share a listener (prepare)
}

func addScaleFlags(fs *flag.FlagSet) *scaleFlags {
	s := &scaleFlags{}
	fs.StringVar(&s.shard, "shard", "", "run only the K-th of N equal slices of every fleet block, `K/N` (e.g. 1/2); the registrar and the listed phones run in shard 1")
	fs.StringVar(&s.metrics, "metrics", "", "serve Prometheus metrics of the whole process at http://`ADDR`/metrics (e.g. 127.0.0.1:9100)")
	return s
}

// apply narrows f to its shard.
func (s *scaleFlags) apply(f *config.File) (*config.File, error) {
	if s.metrics != "" {
		if _, _, err := net.SplitHostPort(s.metrics); err != nil {
			return nil, fmt.Errorf("--metrics %q: want host:port (e.g. 127.0.0.1:9100)", s.metrics)
		}
	}
	if s.shard == "" {
		return f, nil
	}
	k, n, err := config.ParseShard(s.shard)
	if err != nil {
		return nil, fmt.Errorf("--shard %v", err)
	}
	return f.ShardOf(k, n)
}

// prepare checks, before anything binds, that the process may open the
// descriptors the fleet needs, raising the soft limit if it must, and
// returns the fleet's options.
func (s *scaleFlags) prepare(f *config.File, w io.Writer, opts fleet.Options) (fleet.Options, error) {
	share, raised, err := fleet.EnsureOpenFiles(f)
	if raised != "" {
		fmt.Fprintf(w, "phonesim: %s\n", raised)
	}
	opts.ShareHTTP = share
	return opts, err
}

// serve starts the --metrics server, if asked; the returned func stops it.
func (s *scaleFlags) serve(fl *fleet.Fleet, log *slog.Logger) (stop func()) {
	if s.metrics == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", s.metrics)
	if err != nil {
		log.Error("metrics: cannot listen", "addr", s.metrics, "error", err)
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
