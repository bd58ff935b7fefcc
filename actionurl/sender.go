package actionurl

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// DefaultTimeout bounds one Action URL request, from dialling to the end of
// the response body.
const DefaultTimeout = 5 * time.Second

// maxBodyRead is how much of a response body is read (and thrown away) so
// the connection can be reused.
const maxBodyRead = 64 << 10

// Config configures a Sender. The zero value of every field but URLs has a
// default, set in one place (withDefaults).
type Config struct {
	// URLs maps each event to its Action URL template (spec §2: "Each
	// event has its own configurable URL"). An event with no entry, or an
	// empty one, sends nothing.
	URLs map[emulator.EventType]string
	// Timeout bounds each request (default 5s).
	Timeout time.Duration
	// Client sends the requests. If nil, the Sender uses clients of its
	// own, built on the first request, whose idle connections Close shuts.
	Client *http.Client
	// InsecureSkipVerify accepts any TLS certificate (CTI servers with
	// self-signed certificates). Used only when Client is nil.
	InsecureSkipVerify bool
	// FromPhoneIP sends each request from the phone's own address (the
	// event's $ip), as a desk phone does: CTI servers tell phones apart by
	// where their requests come from. Used only when Client is nil.
	FromPhoneIP bool
	// Logger, if nil, is slog.Default().
	Logger *slog.Logger
	// Version is the emulator version in the User-Agent (default "dev").
	Version string
	// Observe, if set, sees every finished request (observe.go); it runs
	// on the device's sender goroutine and must not block.
	Observe func(Delivery)
}

func (c *Config) withDefaults() {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Version == "" {
		c.Version = "dev"
	}
}

// Sender sends the Action URLs of the devices attached to it. Per device,
// requests go out one at a time in event order: the next GET starts after
// the previous one finished or timed out, so a CTI server sees Incoming
// Call before Established. Devices do not wait for each other.
type Sender struct {
	cfg       Config
	clientsMu sync.Mutex
	clients   map[string]*http.Client                          // own clients by source IP ("" any)
	templates atomic.Pointer[map[emulator.EventType]*Template] // replaced whole by SetURLs
	log       *slog.Logger
	stats     *stats
	queueStats

	mu       sync.Mutex
	closed   bool
	nextID   int
	attached map[int]*attachment

	// At shutdown (BeginShutdown, shutdown.go) a stuck device's events
	// are dropped, not sent: counted in shutdownDropped and, with the
	// queue's drops, in queueStats.dropped.
	shutdownDropped atomic.Uint64
	dropLogged      atomic.Bool
	shutdownOnce    sync.Once
	graceOver       atomic.Bool
	grace           time.Duration // set by BeginShutdown, before graceOver
}

// NewSender parses every configured URL; an error names the event and the
// bad URL.
func NewSender(cfg Config) (*Sender, error) {
	cfg.withDefaults()
	s := &Sender{
		cfg:      cfg,
		log:      cfg.Logger,
		stats:    newStats(),
		attached: make(map[int]*attachment),
	}
	templates, err := parseURLs(cfg.URLs)
	if err != nil {
		return nil, err
	}
	s.templates.Store(&templates)
	return s, nil
}

// client is what sends a request of the phone at ip: Config.Client, or
// the Sender's own client for that source address, built on first use (a
// phone that sends nothing carries none; after an IP change the new
// address gets its own).
func (s *Sender) client(ip string) *http.Client {
	if s.cfg.Client != nil {
		return s.cfg.Client
	}
	if !s.cfg.FromPhoneIP || net.ParseIP(ip) == nil {
		ip = ""
	}
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	c, ok := s.clients[ip]
	if !ok {
		c = newClient(s.cfg.InsecureSkipVerify, ip)
		if s.clients == nil {
			s.clients = make(map[string]*http.Client)
		}
		s.clients[ip] = c
	}
	return c
}

func newClient(insecureSkipVerify bool, sourceIP string) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // a desk phone talks to the CTI server directly
	if sourceIP != "" {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second,
			LocalAddr: &net.TCPAddr{IP: net.ParseIP(sourceIP)}}
		tr.DialContext = d.DialContext
	}
	if insecureSkipVerify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return &http.Client{Transport: tr}
}

// Template returns the parsed URL for an event, or nil if none is set.
func (s *Sender) Template(ev emulator.EventType) *Template { return (*s.templates.Load())[ev] }

// SetURLs replaces every Action URL at once (auto-provisioning): events
// already queued are sent with the URLs in force when they are sent. On
// error nothing changes.
func (s *Sender) SetURLs(urls map[emulator.EventType]string) error {
	templates, err := parseURLs(urls)
	if err != nil {
		return err
	}
	s.templates.Store(&templates)
	return nil
}

// parseURLs parses one URL per event; an error names the event and URL.
func parseURLs(urls map[emulator.EventType]string) (map[emulator.EventType]*Template, error) {
	templates := make(map[emulator.EventType]*Template, len(urls))
	var errs []error
	for _, ev := range emulator.ActionEvents() {
		raw := urls[ev]
		if strings.TrimSpace(raw) == "" {
			continue
		}
		t, err := ParseTemplate(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("event %s (%s): %w", ev.Key(), ev, err))
			continue
		}
		templates[ev] = t
	}
	for ev := range urls {
		if ev.Key() == "" {
			errs = append(errs, fmt.Errorf("%v is not one of the 27 Action URL events (URL %q)", ev, urls[ev]))
		}
	}
	return templates, errors.Join(errs...)
}

// attachment is one device's subscription.
type attachment struct {
	s           *Sender
	id          int
	ctx         context.Context // cancelled by detach: interrupts the GET in flight
	cancel      context.CancelFunc
	unsubscribe func()

	mu       sync.Mutex
	detached bool
	q        queue          // events waiting, guarded by mu (queue.go)
	inFlight sync.WaitGroup // the queue's drain
	once     sync.Once

	sending  atomic.Bool // a GET is under way
	dropping atomic.Bool // shutdown found it stuck: drop the rest
}

// Attach subscribes to d's events and sends the Action URL of each event
// that has one. detach stops it: it interrupts the request in flight, drops
// the events not sent yet and returns once the callback has returned.
// Attach after Close does nothing. detach must not be called from inside an
// event callback of the same device (it waits for that callback).
func (s *Sender) Attach(d emulator.Device) (detach func()) {
	ctx, cancel := context.WithCancel(context.Background())
	a := &attachment{s: s, ctx: ctx, cancel: cancel}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		s.log.Warn("action URL sender is closed; device not attached")
		return func() {}
	}
	a.id = s.nextID
	s.nextID++
	s.attached[a.id] = a
	// Subscribe under the lock so Close cannot miss this attachment.
	a.unsubscribe = d.Subscribe(a.handle)
	s.mu.Unlock()
	return a.detach
}

// handle runs on the device's subscriber goroutine, one event at a time:
// it queues the event (queue.go), so a slow server never holds the
// device's events back unboundedly.
func (a *attachment) handle(ev emulator.Event) {
	t := (*a.s.templates.Load())[ev.Type]
	if t == nil {
		return
	}
	if a.dropping.Load() {
		a.s.dropAtShutdown(1)
		return
	}
	a.enqueue(t, ev)
}

func (a *attachment) detach() {
	a.once.Do(func() {
		a.mu.Lock()
		a.detached = true
		a.mu.Unlock()
		a.cancel()
		a.unsubscribe()
		a.inFlight.Wait()
		a.s.mu.Lock()
		delete(a.s.attached, a.id)
		a.s.mu.Unlock()
	})
}

// Close detaches every device, interrupting requests in flight, and waits
// for the callbacks to return. It is safe to call more than once.
func (s *Sender) Close() {
	s.mu.Lock()
	s.closed = true
	list := make([]*attachment, 0, len(s.attached))
	for _, a := range s.attached {
		list = append(list, a)
	}
	s.mu.Unlock()
	for _, a := range list {
		a.detach()
	}
	s.clientsMu.Lock()
	for _, c := range s.clients {
		c.CloseIdleConnections()
	}
	s.clientsMu.Unlock()
	s.logDropped()
}

// Result of one request, also the "result" label of the metric.
const (
	ResultOK       = "ok"       // 2xx response
	ResultError    = "error"    // connection failure, TLS failure, non-2xx status
	ResultTimeout  = "timeout"  // no complete response within Timeout
	ResultCanceled = "canceled" // interrupted by detach or Close
)

// send performs one GET and records its result.
func (s *Sender) send(ctx context.Context, t *Template, ev emulator.Event) {
	target := t.Expand(ev.Vars)
	start := time.Now()
	status, err := s.get(ctx, s.client(ev.Vars.IP), target, userAgent(s.cfg.Version, ev.Vars))
	result := classify(ctx, err)
	observeLatency(result, time.Since(start))
	s.observe(ev, target, start, status, result, err) // before the count: counted means observed
	s.stats.record(ev.Phone, ev.Type, result, err)
	log := s.log.With("phone", ev.Phone, "event", ev.Type.String(), "seq", ev.Seq, "url", redact(target))
	switch result {
	case ResultOK:
		log.Debug("action URL sent", "status", status, "took", time.Since(start))
	case ResultCanceled:
		log.Info("action URL interrupted", "error", err)
	default:
		log.Warn("action URL failed", "result", result, "error", err, "took", time.Since(start))
	}
}

// errStatus is a non-2xx answer.
type errStatus struct{ code int }

func (e errStatus) Error() string {
	return fmt.Sprintf("server answered %d %s", e.code, http.StatusText(e.code))
}

func (s *Sender) get(ctx context.Context, client *http.Client, target, ua string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", ua)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// The request counts as delivered once the whole response is in.
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyRead)); err != nil {
		return resp.StatusCode, fmt.Errorf("reading response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, errStatus{resp.StatusCode}
	}
	return resp.StatusCode, nil
}

// classify maps a request error to a result. parent is the attachment's
// context: if it is done, the request was interrupted, not timed out.
func classify(parent context.Context, err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return ResultOK
	case parent.Err() != nil:
		return ResultCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ResultTimeout
	default:
		return ResultError
	}
}

// userAgent is "phonesim/<version> (<model> <firmware> <mac>)", like the
// "Fanvil X4 2.4.1 0c383e..." strings real phones send.
func userAgent(version string, v emulator.Vars) string {
	var fields []string
	for _, f := range []string{v.Model, v.Firmware, v.MAC} {
		if f = headerSafe(f); f != "" {
			fields = append(fields, f)
		}
	}
	ua := "phonesim/" + headerSafe(version)
	if len(fields) > 0 {
		ua += " (" + strings.Join(fields, " ") + ")"
	}
	return ua
}

// headerSafe keeps printable ASCII other than parentheses (which would end
// the User-Agent comment early) and turns the rest into '_'.
func headerSafe(s string) string {
	s = strings.TrimSpace(s)
	return strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' || r == '(' || r == ')' {
			return '_'
		}
		return r
	}, s)
}

// redact hides a password in the URL's user info for logs.
func redact(target string) string {
	scheme, rest, ok := strings.Cut(target, "://")
	if !ok {
		return target
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return target
	}
	user, _, hasPassword := strings.Cut(authority[:at], ":")
	if !hasPassword {
		return target
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
