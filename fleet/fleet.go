// Package fleet runs what a configuration file describes: the embedded
// registrar, and for each phone its core, SIP side, Action URL sender and
// HTTP server (Active URI, status API). cmd/phonesim and the integration
// tests use it.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/diago/media"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/phonesim/phonesim/actionurl"
	"github.com/phonesim/phonesim/activeuri"
	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/emulator/sipua"
	"github.com/phonesim/phonesim/registrar"
	"github.com/phonesim/phonesim/webui"
)

// Version is reported in User-Agent headers.
const Version = "0.1.0"

// Options tune a fleet beyond the file.
type Options struct {
	Logger *slog.Logger
	// SIP timing for tests; zero means sipua's defaults.
	RegisterRetryMin, RegisterRetryMax, RequestTimeout time.Duration
	// BeforeStart, if set, runs for each phone once it is built and
	// before it starts, so that a subscriber (the scenario runner's Action
	// URL sender) sees Setup Completed and the first Registered.
	BeforeStart func(m *Member)
	// StateDir, if set, is where each phone keeps what its web pages
	// changed (<name>.state.json), laid over the file's values at start.
	StateDir string
	// ShareHTTP makes the phones on one HTTP port share one listener
	// (shared.go); EnsureOpenFiles says when a fleet needs it.
	ShareHTTP bool
	// OnStarted, if set, is called with each phone once it is up, from
	// Start's goroutine (start-up progress).
	OnStarted func(*Member)
}

// Fleet is a running set of phones and, optionally, the embedded registrar.
type Fleet struct {
	Registrar *registrar.Registrar
	Phones    []*Member
	log       *slog.Logger
	restore   func() // puts back the process's RTP port range
	shared    []*sharedHTTP
	metricsState
	closeOnce sync.Once
	stopped   StopReport
	closeErr  error
}

// Member is one running phone with its adapters.
type Member struct {
	Config config.Phone
	Phone  *emulator.Phone
	UA     *sipua.UA
	Sender *actionurl.Sender
	Web    *webui.WebServer
	// Console lists the Action URLs sent and Active URI requests received.
	Console *Console
	http    *http.Server // nil when the phone shares a listener
	mu      sync.Mutex   // guards httpLn, httpIP and detach
	httpLn  net.Listener // moves when the phone's IP changes
	detach  func()
	// A phone that shares its port's listener (shared.go) is served there
	// at httpIP.
	shared *sharedHTTP
	httpIP netip.Addr
	stopAA func() // stops delayed auto-answer (autoanswer.go)
}

// HTTPAddr is the phone's bound web address (host:port).
func (m *Member) HTTPAddr() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shared != nil {
		return netip.AddrPortFrom(m.httpIP, uint16(m.shared.port)).String()
	}
	return m.httpLn.Addr().String()
}

// changeIP moves the phone to ip: its HTTP server listens there first, so
// that a CTI server reacting to IP Changed finds it; then the core moves
// SIP and RTP and fires IP Changed. The old HTTP address closes a moment
// later, once the answer to this request has left.
func (m *Member) changeIP(ctx context.Context, ip string) error {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return fmt.Errorf("%w: %q", webui.ErrBadIP, ip)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shared != nil {
		return m.changeSharedIP(ctx, a.Unmap())
	}
	port := m.httpLn.Addr().(*net.TCPAddr).Port
	ln, err := net.Listen("tcp", net.JoinHostPort(a.String(), strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("%w: cannot serve HTTP there: %v", webui.ErrBadIP, err)
	}
	if err := m.Phone.Do(ctx, emulator.ChangeIP{IP: a.String()}); err != nil {
		ln.Close()
		return err
	}
	old := m.httpLn
	m.httpLn = ln
	go m.serve(ln)
	time.AfterFunc(500*time.Millisecond, func() { old.Close() })
	return nil
}

func (m *Member) serve(ln net.Listener) {
	if err := m.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		slog.Error("http server", "phone", m.Config.Name, "error", err)
	}
}

// ActiveURI is the base URL of the phone's Active URI endpoint, with the
// admin credentials in it as CTI software sends them.
func (m *Member) ActiveURI() string {
	return fmt.Sprintf("http://%s:%s@%s%s", m.Config.Admin.User, m.Config.Admin.Password, m.HTTPAddr(), activeuri.PathCommand)
}

// StatusURL is the phone's status API URL.
func (m *Member) StatusURL() string {
	return fmt.Sprintf("http://%s:%s@%s%s", m.Config.Admin.User, m.Config.Admin.Password, m.HTTPAddr(), webui.PathStatus)
}

// Start brings the fleet up: the registrar first, then each phone (HTTP
// server, Action URL sender, SIP), each firing Setup Completed. On error
// whatever started is stopped again.
func Start(ctx context.Context, f *config.File, opts Options) (*Fleet, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	// The phones' loggers build their handlers when they first write
	// (lazylog.go); the fleet's own lines go out as before.
	plog := slog.New(DeferWith(log.Handler()))
	fl := &Fleet{log: log, metricsState: metricsState{activeURI: newActiveURIMetrics()}}
	f.ApplyDefaults() // files from config.Load have them; files built in code may not
	fl.restore = setRTPPorts(f)
	if f.Registrar != nil {
		r, err := registrar.New(registrar.Config{
			Listen: f.Registrar.Listen,
			Users:  f.Registrar.Users,
			Realm:  f.Registrar.Realm,
			Logger: log, // the registrar names itself in its lines
		})
		if err == nil {
			// The registrar stops on Close, after the phones, not when
			// ctx ends: cmd/phonesim's ctx ends on SIGTERM, and phones
			// hanging up and unregistering need their registrar (issue
			// 6: with it gone first, BYEs and un-REGISTERs timed out).
			err = r.Start(context.WithoutCancel(ctx))
		}
		if err != nil {
			fl.restore()
			return nil, err // it says "registrar: ..."
		}
		fl.Registrar = r
	}
	shared := map[int]*sharedHTTP{} // by phone index
	for _, g := range httpGroups(f.Phones) {
		if len(g) < 2 || !opts.ShareHTTP {
			continue
		}
		k, _ := keyOf(&f.Phones[g[0]])
		sh, err := listenShared(k, log)
		if err != nil {
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = fl.Close(cctx)
			cancel()
			return nil, err
		}
		fl.shared = append(fl.shared, sh)
		for _, i := range g {
			shared[i] = sh
		}
	}
	for i := range f.Phones {
		m, err := startPhone(ctx, f, &f.Phones[i], shared[i], fl.activeURI, opts, plog)
		if err != nil {
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = fl.Close(cctx)
			cancel()
			return nil, fmt.Errorf("phone %s: %w", f.Phones[i].Name, err)
		}
		fl.Phones = append(fl.Phones, m)
		if opts.OnStarted != nil {
			opts.OnStarted(m)
		}
	}
	return fl, nil
}

func startPhone(ctx context.Context, f *config.File, pc *config.Phone, sh *sharedHTTP, am *activeURIMetrics, opts Options, log *slog.Logger) (*Member, error) {
	store, fromState, err := loadState(opts.StateDir, pc)
	if err != nil {
		return nil, err
	}
	active, err := activeuri.NewAllowList(pc.ActiveURI.On(), pc.ActiveURI.Allow)
	if err != nil {
		return nil, fmt.Errorf("active_uri: %w", err)
	}
	ecfg := pc.EmulatorConfig()
	ecfg.Logger = log
	bootState(&ecfg, pc)
	delayed := delayAutoAnswer(&ecfg, pc)
	transport := "udp"
	if len(pc.Lines) > 0 && pc.Lines[0].Transport != "" {
		transport = pc.Lines[0].Transport
	}
	ua := sipua.New(sipua.Options{
		IP:             pc.IP,
		Port:           pc.SIPPort,
		Transport:      transport,
		Lines:          ecfg.Lines,
		UserAgent:      fmt.Sprintf("phonesim/%s (%s %s)", Version, pc.Model, pc.Firmware),
		Media:          sipua.MediaOptions{Play: pc.Media.Play, RecordDir: pc.Media.RecordDir},
		RequestTimeout: opts.RequestTimeout,
		RetryMin:       opts.RegisterRetryMin,
		RetryMax:       opts.RegisterRetryMax,
		Logger:         log,

		AcceptCallsFromRegistrar: pc.AcceptCallsFrom == "registrar",
	})
	m := &Member{Config: *pc, UA: ua, Console: &Console{}}
	if pc.ProvisioningURL != "" {
		ecfg.Provision = m.autoProvision
	}
	phone := emulator.New(ecfg, ua)
	m.Phone = phone
	plog := phone.Logger() // with the phone's name

	sender, err := actionurl.NewSender(actionurl.Config{
		URLs:    pc.ActionURL,
		Timeout: f.ActionURLTimeout,
		// Requests leave from the phone's IP, as a desk phone's do.
		FromPhoneIP: true,
		Logger:      log, // the sender names the phone in each line itself
		Version:     Version,
		Observe:     m.Console.addDelivery,
	})
	if err != nil {
		return nil, err
	}
	m.Sender = sender
	if len(pc.ActionURL) > 0 {
		// No URLs, no subscriber: a fleet of 1000 plain phones saves a
		// goroutine and about 7 KiB each (docs/benchmarks.md).
		m.attachSender()
	}

	m.Web = webui.NewWebServer(phone, webui.WebOptions{
		User:     pc.Admin.User,
		Password: pc.Admin.Password,
		Logger:   plog,
		Metrics:  metricsHandler(sender),
		ChangeIP: m.changeIP,
		Observe:  m.Console.addRequest,
		Answered: am.answered,
		Active:   active,
		Pages:    m.webPages(active, store, fromState),
	})
	if sh != nil {
		ip, _ := netip.ParseAddr(pc.IP)
		m.shared, m.httpIP = sh, ip.Unmap()
		sh.add(m.httpIP, m.Web)
	} else {
		ln, err := net.Listen("tcp", pc.HTTPAddr())
		if err != nil {
			sender.Close()
			return nil, fmt.Errorf("http: %w", err)
		}
		m.httpLn = ln
		m.http = &http.Server{Handler: m.Web, ReadHeaderTimeout: 5 * time.Second, Protocols: http1Only}
		go m.serve(ln)
	}
	if len(delayed) > 0 {
		m.stopAA = autoAnswer(phone, delayed)
	}
	if opts.BeforeStart != nil {
		opts.BeforeStart(m)
	}
	if err := phone.Start(ctx); err != nil {
		m.stopHTTP()
		if m.stopAA != nil {
			m.stopAA()
		}
		m.Web.Close()
		sender.Close()
		return nil, err
	}
	return m, nil
}

// bootState gives the phone the DND and forwarding of its configuration as
// the state it boots in: no events for them (a desk phone comes up with
// its saved settings), always, busy, no-answer in that order.
func bootState(ecfg *emulator.Config, pc *config.Phone) {
	ecfg.DND = pc.DND
	for _, f := range []struct {
		kind   emulator.ForwardKind
		target string
	}{
		{emulator.ForwardAlways, pc.Forward.Always},
		{emulator.ForwardBusy, pc.Forward.Busy},
		{emulator.ForwardNoAnswer, pc.Forward.NoAnswer},
	} {
		if f.target != "" {
			ecfg.Forward = append(ecfg.Forward, emulator.SetForward{Kind: f.kind, On: true, Target: f.target,
				RingTimeout: time.Duration(pc.Forward.NoAnswerSeconds) * time.Second})
		}
	}
}

// Close stops every phone (hang up, unregister: Unregistered fires and is
// sent), waits for their Action URLs, then stops the registrar. The phones
// get StopBudget together, at most unregisterAtOnce at a time (stop.go);
// Stopped says what happened to them.
func (fl *Fleet) Close(ctx context.Context) error {
	fl.closeOnce.Do(func() {
		start := time.Now()
		budget, cancel := context.WithTimeout(ctx, StopBudget)
		defer cancel()
		slots := make(chan struct{}, unregisterAtOnce)
		outcomes := make([]phoneStop, len(fl.Phones))
		errs := make([]error, len(fl.Phones))
		var wg sync.WaitGroup
		for i, m := range fl.Phones {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outcomes[i] = m.close(ctx, budget, slots, fl.log)
				errs[i] = outcomes[i].err
			}()
		}
		wg.Wait()
		fl.stopped = summarise(outcomes, StopBudget, time.Since(start))
		for _, sh := range fl.shared {
			sh.close()
		}
		fl.restore()
		if fl.Registrar != nil {
			fl.stopped.Registrar = fl.Registrar.Close()
			errs = append(errs, fl.stopped.Registrar)
		}
		fl.closeErr = errors.Join(errs...)
	})
	return fl.closeErr
}

// Stopped is what Close did to the phones (zero before Close).
func (fl *Fleet) Stopped() StopReport { return fl.stopped }

func (m *Member) close(ctx, budget context.Context, slots chan struct{}, log *slog.Logger) phoneStop {
	// Queued Action URLs get ShutdownGrace; a hanging CTI server holds no shutdown.
	m.Sender.BeginShutdown(actionurl.ShutdownGrace)
	if m.stopAA != nil {
		m.stopAA()
	}
	o := m.stopPhone(budget, slots, log)
	_ = m.Sender.Flush(ctx) // the last GETs go out
	m.Sender.Close()
	m.Web.Close()
	if m.http == nil {
		m.mu.Lock()
		m.shared.remove(m.httpIP, m.Web)
		m.mu.Unlock()
		return o
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if e := m.http.Shutdown(sctx); e != nil {
		_ = m.http.Close()
	}
	return o
}

// stopHTTP closes the phone's own server or leaves the shared one.
func (m *Member) stopHTTP() {
	if m.http != nil {
		_ = m.http.Close()
		return
	}
	m.shared.remove(m.httpIP, m.Web)
}

// changeSharedIP moves a phone served by a shared listener: the new
// address is served at once, the old one a moment later stops (m.mu held).
func (m *Member) changeSharedIP(ctx context.Context, ip netip.Addr) error {
	if ip.Is4() != m.httpIP.Is4() {
		return fmt.Errorf("%w: cannot serve HTTP there: the phones on port %d listen on IPv%d", webui.ErrBadIP, m.shared.port, map[bool]int{true: 4, false: 6}[m.httpIP.Is4()])
	}
	if other := m.shared.lookup(&net.TCPAddr{IP: ip.AsSlice()}); other != nil && other != m.Web {
		return fmt.Errorf("%w: cannot serve HTTP there: another phone has %s", webui.ErrBadIP, ip)
	}
	m.shared.add(ip, m.Web)
	if err := m.Phone.Do(ctx, emulator.ChangeIP{IP: ip.String()}); err != nil {
		if ip != m.httpIP {
			m.shared.remove(ip, m.Web)
		}
		return err
	}
	old, sh, web := m.httpIP, m.shared, m.Web
	m.httpIP = ip
	if old != ip {
		time.AfterFunc(500*time.Millisecond, func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.httpIP != old { // not moved back meanwhile
				sh.remove(old, web)
			}
		})
	}
	return nil
}

// Phone returns the member called name, or nil.
func (fl *Fleet) Phone(name string) *Member {
	for _, m := range fl.Phones {
		if m.Config.Name == name {
			return m
		}
	}
	return nil
}

// setRTPPorts applies the phones' rtp_ports. diago's RTP port range is one
// setting per process (media.RTPPortStart/End), so a fleet uses the span of
// every phone's range; phones without one leave diago's default.
// setRTPPorts narrows diago's RTP port range (one per process) to span
// every phone's rtp_ports; it returns what puts the previous range back.
func setRTPPorts(f *config.File) (restore func()) {
	low, high := 0, 0
	for i := range f.Phones {
		l, h, ok := f.Phones[i].RTPPortRange()
		if !ok {
			continue
		}
		if low == 0 || l < low {
			low = l
		}
		if h > high {
			high = h
		}
	}
	if low == 0 {
		return func() {}
	}
	oldLow, oldHigh := media.RTPPortStart, media.RTPPortEnd
	media.RTPPortStart, media.RTPPortEnd = low, high
	return func() { media.RTPPortStart, media.RTPPortEnd = oldLow, oldHigh }
}

// http1Only: a desk phone's web server speaks HTTP/1.1; leaving HTTP/2 out
// also spares each phone's server its HTTP/2 set-up (docs/benchmarks.md).
var http1Only = func() *http.Protocols {
	var p http.Protocols
	p.SetHTTP1(true)
	return &p
}()

// metricsHandler serves the phone's own Action URL counters at /metrics.
// The Prometheus registry is built on the first scrape: an idle phone of a
// large fleet that nobody scrapes does not carry one.
func metricsHandler(sender *actionurl.Sender) http.Handler {
	var (
		once sync.Once
		h    http.Handler
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() {
			reg := prometheus.NewRegistry()
			reg.MustRegister(sender.Collector())
			h = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		})
		h.ServeHTTP(w, r)
	})
}
