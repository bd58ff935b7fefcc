// Package registrar is phonesim's embedded SIP registrar and stateful proxy:
// phones REGISTER with digest authentication (RFC 3261 §10, §22) and call each
// other through it (RFC 3261 §16), so that no PBX is needed. Phones may
// also watch each other's calls for their BLF keys: the registrar is the
// notifier of the dialog event package (RFC 4235, RFC 6665).
//
// It is built on github.com/emiago/sipgo: sipgo's transport and transaction
// layers carry the messages, this package is the transaction user — the
// location service (location.go), the digest checks
// (auth.go), the proxy core (proxy.go) and the dialog
// event notifier (subscribe.go, dialog_events.go).
package registrar

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Defaults for the zero values of Config and of the options; they live here
// and nowhere else.
const (
	DefaultListen         = "127.0.0.1:5060"
	DefaultRealm          = "phonesim"
	DefaultExpires        = time.Hour         // RFC 3261 §10.2.1.1: 3600 s when the UA asks for nothing
	DefaultMinExpires     = time.Second       // accept any interval; set 60 s to behave like Kamailio/Asterisk
	DefaultMaxExpires     = 2 * time.Hour     // longer requests are shortened (§10.3 step 7)
	DefaultRingTimeout    = 210 * time.Second // Timer C, RFC 3261 §16.6 step 11: "MUST be greater than 3 minutes"
	DefaultNonceLifetime  = 5 * time.Minute   // Kamailio auth "nonce_expire" default is 300 s
	serverName            = "phonesim-registrar"
	shutdownGrace         = 20 * time.Millisecond // for messages sipgo dispatched before the gate closed
	nonSuccessBranchTTL   = 32 * time.Second      // Timer H (64*T1): how long an ACK for a non-2xx may still come
	cancelTransactionWait = 32 * time.Second      // Timer F (64*T1) bound on a CANCEL we send
)

// Config configures a Registrar. Zero values take the defaults above.
type Config struct {
	// Listen is the IP:port bound for UDP and TCP. Port 0 picks a free port
	// (see Addr). Default "127.0.0.1:5060".
	Listen string
	// Users maps each account (user part of the address of record) to its
	// digest password. When empty the registrar is open: REGISTER and
	// INVITE are accepted from anyone without a challenge.
	Users map[string]string
	// Realm is the digest realm (default "phonesim"). A Request-URI whose
	// host is the realm is also treated as this registrar's domain, so
	// "sip:1002@phonesim" reaches 1002.
	Realm string
	// DisableInviteChallenge turns off the 407 Proxy-Authenticate challenge
	// of initial INVITEs. By default (false) an INVITE from a phone is
	// challenged, as real PBXs do; Go cannot give a bool a default of true,
	// hence the negative name.
	DisableInviteChallenge bool
	// ResolveForeignDomains lets the proxy forward to host names outside
	// its domain (a DNS lookup each). By default (false) such requests get
	// 404 without a lookup: phonesim serves loopback addresses.
	ResolveForeignDomains bool
	// DefaultExpires is granted when a REGISTER names no expiry (1 h).
	DefaultExpires time.Duration
	// MinExpires: a shorter non-zero expiry gets 423 Interval Too Brief
	// (default 1 s, i.e. anything goes).
	MinExpires time.Duration
	// MaxExpires caps granted expiries (default 2 h).
	MaxExpires time.Duration
	// Logger receives the registrar's and sipgo's logs (default
	// slog.Default()).
	Logger *slog.Logger
}

// withDefaults returns cfg with every zero value replaced by its default.
func (cfg Config) withDefaults() Config {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	if cfg.MinExpires <= 0 {
		cfg.MinExpires = DefaultMinExpires
	}
	if cfg.MaxExpires <= 0 {
		cfg.MaxExpires = DefaultMaxExpires
	}
	if cfg.DefaultExpires <= 0 {
		cfg.DefaultExpires = min(max(DefaultExpires, cfg.MinExpires), cfg.MaxExpires)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg
}

func (cfg Config) validate() error {
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		return fmt.Errorf("registrar: listen %q: %w", cfg.Listen, err)
	}
	if cfg.MinExpires > cfg.MaxExpires {
		return fmt.Errorf("registrar: min expires %v above max expires %v", cfg.MinExpires, cfg.MaxExpires)
	}
	if cfg.DefaultExpires < cfg.MinExpires || cfg.DefaultExpires > cfg.MaxExpires {
		return fmt.Errorf("registrar: default expires %v outside [%v, %v]", cfg.DefaultExpires, cfg.MinExpires, cfg.MaxExpires)
	}
	for user := range cfg.Users {
		if user == "" {
			return errors.New("registrar: empty user name in Users")
		}
	}
	return nil
}

// Option tunes what Config does not cover; mostly for tests.
type Option func(*options)

type options struct {
	now                 func() time.Time
	ringTimeout         time.Duration
	nonceLifetime       time.Duration
	subscribeMinExpires time.Duration // subscribe.go
}

// WithClock makes the registrar read time from now (binding expiry, nonce
// age) instead of time.Now, so that tests can move time forward.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithRingTimeout sets Timer C: how long a forwarded INVITE may ring before
// the proxy cancels it and answers 408 (default 3.5 min).
func WithRingTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.ringTimeout = d
		}
	}
}

// WithNonceLifetime sets how long a digest nonce stays fresh (default 5 min);
// an older one is answered with a new challenge carrying stale=true.
func WithNonceLifetime(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.nonceLifetime = d
		}
	}
}

// Binding is one registered contact of a user, as shown by Bindings.
type Binding struct {
	User      string    // address-of-record user part (To header of the REGISTER)
	Contact   string    // the registered contact URI, e.g. "sip:1002@127.0.0.1:5070;transport=udp"
	Expires   time.Time // when the binding lapses unless refreshed
	Source    string    // host:port the REGISTER came from
	Transport string    // "UDP" or "TCP"
	UserAgent string    // User-Agent header of the REGISTER, if any
}

// Registrar is an embedded SIP registrar and stateful proxy. It is safe for
// concurrent use. A closed Registrar can be started again; it then binds the
// same address (including the port picked for port 0) with an empty location
// service, as a real registrar restarting without a database does.
type Registrar struct {
	cfg  Config
	opts options
	log  *slog.Logger
	auth *authenticator
	loc  *location

	mu   sync.Mutex
	cur  *run   // nil when not running
	addr string // last bound host:port
}

// New checks cfg and returns a Registrar that is not yet listening.
func New(cfg Config, opts ...Option) (*Registrar, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o := options{now: time.Now, ringTimeout: DefaultRingTimeout, nonceLifetime: DefaultNonceLifetime, subscribeMinExpires: DefaultSubscribeMinExpires}
	for _, opt := range opts {
		opt(&o)
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, fmt.Errorf("registrar: nonce secret: %w", err)
	}
	users := make(map[string]string, len(cfg.Users))
	for u, p := range cfg.Users {
		users[u] = p
	}
	cfg.Users = users
	r := &Registrar{
		cfg:  cfg,
		opts: o,
		log:  cfg.Logger.With("component", "registrar"),
		loc:  newLocation(),
		auth: &authenticator{realm: cfg.Realm, users: users, secret: secret, lifetime: o.nonceLifetime, now: o.now},
	}
	return r, nil
}

// Start binds UDP and TCP on the configured address and serves requests in
// the background. It returns once the sockets are bound. The registrar runs
// until Close or until ctx is cancelled. TCP is best effort: if only the TCP
// port is taken, the registrar serves UDP alone and logs a warning.
func (r *Registrar) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil {
		return errors.New("registrar: already started")
	}
	listen := r.cfg.Listen
	if r.addr != "" {
		listen = r.addr // restart on the very address we had, port included
	}
	rn, err := r.bind(listen)
	if err != nil {
		return err
	}
	r.cur = rn
	r.addr = rn.self.String()
	rn.serve()
	// Stop with the context as well as with Close.
	rn.bg.Add(1)
	go func() {
		defer rn.bg.Done()
		select {
		case <-ctx.Done():
			go r.closeRun(rn) // closeRun waits for bg, so not inline
		case <-rn.stop:
		}
	}()
	r.log.Info("registrar listening", "addr", r.addr, "tcp", rn.tcp != nil, "realm", r.cfg.Realm, "users", len(r.cfg.Users))
	return nil
}

// Addr returns the bound host:port (port 0 resolved), or the configured
// address before the first Start. It stays valid after Close.
func (r *Registrar) Addr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.addr != "" {
		return r.addr
	}
	return r.cfg.Listen
}

// Close stops serving, answers 503 to requests still being proxied, closes
// the sockets and forgets every binding. It waits for its goroutines to end.
// Closing a registrar that is not running is a no-op.
func (r *Registrar) Close() error {
	r.mu.Lock()
	rn := r.cur
	r.mu.Unlock()
	if rn == nil {
		return nil
	}
	return r.closeRun(rn)
}

func (r *Registrar) closeRun(rn *run) error {
	err := rn.shutdown()
	r.mu.Lock()
	if r.cur == rn {
		r.cur = nil
		r.loc.clear()
	}
	r.mu.Unlock()
	return err
}

// Bindings lists the current (unexpired) bindings sorted by user and contact.
func (r *Registrar) Bindings() []Binding {
	return r.loc.list(r.opts.now())
}

// run is one Start..Close lifetime: sockets, sipgo stack, goroutines.
type run struct {
	r      *Registrar
	self   netip.AddrPort // our bound address, for Via, Record-Route and loop checks
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	udp    *net.UDPConn
	tcp    *net.TCPListener // nil when TCP could not be bound

	ctx    context.Context // cancelled at shutdown; bounds the CANCELs we send
	cancel context.CancelFunc
	stop   chan struct{} // closed at shutdown; proxy loops watch it

	gate     atomic.Bool // set at shutdown: the read filter drops every incoming message
	hmu      sync.Mutex
	closing  bool
	handlers sync.WaitGroup // request handlers in progress
	bg       sync.WaitGroup // serve loops and helper goroutines

	closeOnce sync.Once
	closeErr  error

	branches nonSuccessBranches
	events   *dialogEvents // calls and dialog-event subscriptions (BLF)
}

// bind opens the sockets on listen and builds the sipgo stack around them.
func (r *Registrar) bind(listen string) (*run, error) {
	udpAddr, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("registrar: resolve %q: %w", listen, err)
	}
	if udpAddr.IP == nil || udpAddr.IP.IsUnspecified() {
		// Via, Record-Route and loop detection need one concrete address.
		return nil, fmt.Errorf("registrar: listen %q: give a concrete IP address, not a wildcard", listen)
	}
	var (
		udp *net.UDPConn
		tcp *net.TCPListener
	)
	// With port 0 the UDP port picked may be taken on TCP: try a few.
	for attempt := 0; ; attempt++ {
		udp, err = net.ListenUDP("udp", udpAddr)
		if err != nil {
			return nil, fmt.Errorf("registrar: %w", err) // net says "listen udp ADDR: ..."
		}
		port := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err = net.ListenTCP("tcp", &net.TCPAddr{IP: udpAddr.IP, Port: port, Zone: udpAddr.Zone})
		if err == nil {
			break
		}
		if udpAddr.Port == 0 && attempt < 5 {
			udp.Close()
			continue
		}
		r.log.Warn("registrar: TCP not available, serving UDP only", "addr", udp.LocalAddr().String(), "error", err)
		tcp = nil
		break
	}
	self := udp.LocalAddr().(*net.UDPAddr).AddrPort()
	self = netip.AddrPortFrom(self.Addr().Unmap(), self.Port())

	log := r.cfg.Logger
	rn := &run{r: r, self: self, stop: make(chan struct{})}
	rn.events = newDialogEvents(rn)
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(serverName),
		sipgo.WithUserAgentHostname(self.Addr().String()),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(log),
			sip.WithTransactionLayerUnhandledResponseHandler(func(res *sip.Response) {
				// RFC 6026 §7.3: a proxy does not forward stray responses.
				log.Debug("registrar: stray response dropped", "response", res.StartLine(), "source", res.Source())
			}),
		),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(log),
			sip.WithTransportLayerReadFilter(func(_ sip.TransportReadProps, data []byte) ([]byte, error) {
				if rn.gate.Load() {
					return nil, nil // shutting down: drop it, as if we were gone
				}
				return data, nil
			}),
		),
	)
	if err == nil && ua == nil {
		err = errors.New("nil user agent")
	}
	var srv *sipgo.Server
	var client *sipgo.Client
	if err == nil {
		srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	}
	if err == nil {
		client, err = sipgo.NewClient(ua, sipgo.WithClientLogger(log),
			sipgo.WithClientHostname(self.Addr().String()), sipgo.WithClientPort(int(self.Port())))
	}
	if err != nil {
		udp.Close()
		if tcp != nil {
			tcp.Close()
		}
		if ua != nil {
			ua.Close()
		}
		return nil, fmt.Errorf("registrar: sip stack: %w", err)
	}
	rn.ua, rn.srv, rn.client, rn.udp, rn.tcp = ua, srv, client, udp, tcp
	rn.ctx, rn.cancel = context.WithCancel(context.Background())
	srv.OnRegister(rn.handle(rn.handleRegister))
	srv.OnAck(rn.handle(rn.handleAck))
	srv.OnCancel(rn.handle(rn.handleCancel))
	srv.OnNoRoute(rn.handle(rn.handleProxy)) // INVITE, BYE, REFER, NOTIFY, ... every other method
	return rn, nil
}

// serve starts the read loops.
func (rn *run) serve() {
	rn.bg.Add(1)
	go func() {
		defer rn.bg.Done()
		if err := rn.srv.ServeUDP(rn.udp); err != nil && !errors.Is(err, net.ErrClosed) {
			rn.r.log.Error("registrar: udp serve ended", "error", err)
		}
	}()
	if rn.tcp != nil {
		rn.bg.Add(1)
		go func() {
			defer rn.bg.Done()
			if err := rn.srv.ServeTCP(rn.tcp); err != nil && !errors.Is(err, net.ErrClosed) {
				rn.r.log.Error("registrar: tcp serve ended", "error", err)
			}
		}()
	}
}

// shutdown stops a run; safe to call more than once.
func (rn *run) shutdown() error {
	rn.closeOnce.Do(func() {
		// sipgo handles each message on a goroutine of its own; one that
		// runs after the socket closed finds no connection to answer on
		// and opens a new socket that nobody closes. So: stop taking
		// messages, let those already dispatched finish, then close.
		rn.gate.Store(true)
		rn.hmu.Lock()
		rn.closing = true
		rn.hmu.Unlock()
		close(rn.stop)
		rn.cancel()
		rn.events.close()
		rn.handlers.Wait() // every server transaction got its final response
		time.Sleep(shutdownGrace)
		var errs []error
		if err := rn.udp.Close(); err != nil {
			errs = append(errs, err)
		}
		if rn.tcp != nil {
			if err := rn.tcp.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := rn.ua.Close(); err != nil {
			errs = append(errs, err)
		}
		rn.bg.Wait()
		rn.closeErr = errors.Join(errs...)
		rn.r.log.Info("registrar stopped", "addr", rn.self.String())
	})
	return rn.closeErr
}

// enter registers a handler in progress; false once shutdown started.
func (rn *run) enter() bool {
	rn.hmu.Lock()
	defer rn.hmu.Unlock()
	if rn.closing {
		return false
	}
	rn.handlers.Add(1)
	return true
}

// goBackground runs f on a goroutine that shutdown waits for.
func (rn *run) goBackground(f func()) bool {
	rn.hmu.Lock()
	defer rn.hmu.Unlock()
	if rn.closing {
		return false
	}
	rn.bg.Add(1)
	go func() {
		defer rn.bg.Done()
		f()
	}()
	return true
}

func (rn *run) stopping() bool {
	select {
	case <-rn.stop:
		return true
	default:
		return false
	}
}

// selfHostPort is our address as it appears in Via and Record-Route.
func (rn *run) selfHost() string {
	a := rn.self.Addr()
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

func (rn *run) selfPort() int { return int(rn.self.Port()) }

func (rn *run) selfString() string {
	return net.JoinHostPort(rn.self.Addr().String(), strconv.Itoa(rn.selfPort()))
}
