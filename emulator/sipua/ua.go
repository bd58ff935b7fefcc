// Package sipua is the SIP side of a phone: it implements
// emulator.Signaling with github.com/emiago/sipgo and github.com/emiago/diago.
// Handlers never touch the phone's state; they post inputs into its loop.
package sipua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/phonesim/phonesim/emulator"
)

// stopGrace lets messages sipgo dispatched before Stop closed the gate be
// handled before the sockets close.
const stopGrace = 20 * time.Millisecond

// Options configure one phone's SIP user agent.
type Options struct {
	IP        string // SIP and RTP bind here (never resolved from interfaces)
	Port      int    // SIP port; 0 picks a free one (see Addr)
	Transport string // "udp" (default) or "tcp"
	Lines     []emulator.LineConfig
	UserAgent string // User-Agent header value, e.g. "phonesim/0.1.0 (X4U 2.12.1)"
	Media     MediaOptions
	// RequestTimeout bounds each REGISTER round trip (default 4s), so a
	// registrar that went away is noticed quickly.
	RequestTimeout time.Duration
	// AcceptCallsFromRegistrar refuses new calls (403) from anywhere but
	// the lines' servers (trust.go); config accept_calls_from: registrar.
	AcceptCallsFromRegistrar bool
	// RetryMin and RetryMax bound the back-off between failed
	// registrations (defaults 1s and 60s).
	RetryMin, RetryMax time.Duration
	Logger             *slog.Logger
}

func (o *Options) initWithDefaults() {
	if o.Transport == "" {
		o.Transport = "udp"
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 4 * time.Second
	}
	if o.RetryMin == 0 {
		o.RetryMin = time.Second
	}
	if o.RetryMax == 0 {
		o.RetryMax = time.Minute
	}
	if o.UserAgent == "" {
		o.UserAgent = "phonesim"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Media.initWithDefaults()
}

// UA implements emulator.Signaling for one phone.
type UA struct {
	opts Options
	log  *slog.Logger

	ua    *sipgo.UserAgent
	dg    *diago.Diago
	lis   *listener
	to    emulator.Poster
	port  int
	ctx   context.Context // lives from Start to Stop
	stop  context.CancelFunc
	calls sync.Map   // emulator.CallRef -> *callLeg
	life  sync.Mutex // serialises Restart

	gate  atomic.Bool   // set while stopping: incoming messages are dropped
	busy  statelessBusy // INVITEs beyond the limit (statelessbusy.go)
	blf   watches       // BLF subscriptions by Call-ID
	muted atomic.Bool   // MUTE: send silence

	audioMu sync.Mutex
	audio   map[int]ownAudio // frame size -> the phone's own audio
	regMu   sync.Mutex
	regs    []*registration
	// lines are the accounts, replaced whole by SetLine (copy on write):
	// handlers on sipgo's goroutines read them.
	lines   atomic.Pointer[[]emulator.LineConfig]
	wg      sync.WaitGroup
	inSeq   atomic.Uint64
	origins sdpOrigins // our SDP origin per dialog (sdporigin.go)
	// referSeq numbers the calls we place for a received REFER ("r1",
	// "r2", ...), apart from the phone's "o" and our "i" refs.
	referSeq atomic.Uint64
}

var _ emulator.Signaling = (*UA)(nil)

// New builds a user agent; nothing is bound until Start.
func New(opts Options) *UA {
	opts.initWithDefaults()
	u := &UA{opts: opts, log: opts.Logger, busy: statelessBusy{key: newTagKey()}} // Start adds the bound address
	lines := slices.Clone(opts.Lines)
	u.lines.Store(&lines)
	return u
}

// Addr is the bound SIP address (valid after Start).
func (u *UA) Addr() string { return net.JoinHostPort(u.opts.IP, strconv.Itoa(u.port)) }

// Start implements emulator.Signaling.
func (u *UA) Start(ctx context.Context, to emulator.Poster) error {
	if net.ParseIP(u.opts.IP) == nil {
		return fmt.Errorf("sip: %q is not an IP address", u.opts.IP)
	}
	// The socket is bound here, not by diago's ServeBackground: its port is
	// then known before diago is built (no probe for a free port), and one
	// goroutine reads it, where ServeBackground keeps three per phone.
	lis, err := listen(u.opts.Transport, net.JoinHostPort(u.opts.IP, strconv.Itoa(u.opts.Port)))
	if err != nil {
		return fmt.Errorf("sip: %w", err) // net names the address: "listen udp IP:PORT: ..."
	}
	port := lis.port
	// sipgo and diago use the UA name as the user part of From and
	// Contact, so it must be a SIP user, not the product string; the
	// User-Agent header is added to each request we send (RFC 3261 §20.41).
	contactUser := "phonesim"
	if lines := u.accounts(); len(lines) > 0 && lines[0].User != "" {
		contactUser = lines[0].User
	}
	u.gate.Store(false)
	filterRTCPNoise() // before any call's media starts (rtcpnoise.go)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(contactUser), sipgo.WithUserAgentHostname(u.opts.IP),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerReadFilter(func(p sip.TransportReadProps, data []byte) ([]byte, error) {
				if u.gate.Load() {
					return nil, nil // stopping: as if we were gone
				}
				if lis.udp != nil && u.refuseStatelessly(lis.udp, p.RemoteAddr, data) {
					return nil, nil // answered 486 or ignored (statelessbusy.go)
				}
				return data, nil
			}),
		))
	if err != nil {
		lis.close()
		return fmt.Errorf("sip: %w", err)
	}
	u.ua, u.to, u.port, u.lis = ua, to, port, lis
	u.log = u.opts.Logger.With("sip", u.Addr())
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(u.log))
	if err != nil {
		lis.close()
		_ = ua.Close()
		return fmt.Errorf("sip: %w", err)
	}
	// Our own client, not diago's: a TCP connection would otherwise leave
	// from the host's default address, and every request goes through
	// sentRequests (route.go) on its way out.
	copts := []sipgo.ClientOption{sipgo.WithClientNAT(), sipgo.WithClientLogger(u.log),
		sipgo.WithClientConnectionAddr(net.JoinHostPort(u.opts.IP, "0"))}
	if u.opts.Transport == "udp" {
		copts = append(copts[:2], sipgo.WithClientConnectionAddr(u.Addr()),
			sipgo.WithClientHostname(u.opts.IP), sipgo.WithClientPort(port))
	}
	cli, err := sipgo.NewClient(ua, copts...)
	if err != nil {
		lis.close()
		_ = ua.Close()
		return fmt.Errorf("sip: %w", err)
	}
	cli.TxRequester = sentRequests{u: u, txl: ua.TransactionLayer(), tpl: ua.TransportLayer()}
	dopts := []diago.DiagoOption{diago.WithLogger(slog.New(diagoLog{u.log.Handler()})), diago.WithServer(srv), diago.WithClient(cli)}
	u.dg = diago.NewDiago(ua, append(dopts,
		diago.WithServerRequestMiddleware(func(next sipgo.RequestHandler) sipgo.RequestHandler {
			// The guard screens first; inDialog then sees re-INVITEs
			// (remote hold) and takes REFERs (transfer) of our calls.
			// originsOfAnswers puts our SDP origin into INVITE answers.
			return guard(u.log)(u.trusted(u.outOfDialog(u.inDialog(u.originsOfAnswers(next)))))
		}),
		diago.WithTransport(diago.Transport{
			Transport:    u.opts.Transport,
			BindHost:     u.opts.IP,
			BindPort:     port,
			ExternalHost: u.opts.IP,
			ExternalPort: port,
		}),
	)...)
	u.dg.HandleFunc(u.serveIncoming)
	u.ctx, u.stop = context.WithCancel(context.WithoutCancel(ctx))
	// diago pitfall: serve before registering, or the REGISTER's Contact
	// points to a socket nobody reads.
	lis.serve(srv)
	u.waitListening()
	return nil
}

// Register implements emulator.Signaling: each line is kept registered
// until Stop.
func (u *UA) Register() {
	u.regMu.Lock()
	defer u.regMu.Unlock()
	if u.regs != nil || u.ctx.Err() != nil {
		return
	}
	for i, l := range u.accounts() {
		r := newRegistration(u, i+1, l)
		u.regs = append(u.regs, r)
		r.start()
	}
}

// waitListening waits until sipgo's transport layer has the listening
// socket in its pool, which its serving goroutine adds when it starts: a
// REGISTER sent before makes sipgo bind a second socket to the same port
// and fail with "address already in use". That goroutine usually runs
// within a few yields; sleeping first would cost every phone of a fleet a
// timer tick.
func (u *UA) waitListening() {
	tl := u.ua.TransportLayer()
	deadline := time.Now().Add(time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		if u.opts.Transport == "udp" {
			if c, err := tl.GetConnection("udp", u.Addr()); err == nil && c != nil {
				return
			}
		} else if slices.Contains(tl.ListenPorts(u.opts.Transport), u.port) {
			return
		}
		if i < 100 {
			runtime.Gosched()
		} else {
			time.Sleep(time.Millisecond)
		}
	}
	u.log.Warn("SIP socket not in sipgo's pool after 1s; registering anyway")
}

// Stop implements emulator.Signaling: hang up, unregister, close.
func (u *UA) Stop(ctx context.Context) error {
	if u.stop == nil {
		return nil
	}
	u.calls.Range(func(_, v any) bool {
		v.(*callLeg).hangup()
		return true
	})
	// Give the call goroutines a moment to send their BYE/CANCEL.
	waitCalls(ctx, &u.calls, 2*time.Second)
	var errs []error
	u.regMu.Lock()
	regs := u.regs
	u.regs = []*registration{} // non-nil: no Register after Stop
	u.regMu.Unlock()
	for _, r := range regs {
		r.halt()
	}
	for _, r := range regs {
		if err := r.unregister(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	u.stop()
	// Closing the socket ends what still waits on the network: an INVITE
	// nobody answered gives up at once instead of after Timer B (32 s).
	u.lis.close()
	u.wg.Wait()
	// Drop what arrives from now on (a registrar's final NOTIFY, a late
	// retransmission): sipgo would answer it from a new socket after
	// Close and leak that socket's reader. Give messages already handed
	// to handlers a moment to finish.
	u.gate.Store(true)
	time.Sleep(stopGrace)
	errs = append(errs, u.ua.Close())
	return errors.Join(errs...)
}

func waitCalls(ctx context.Context, calls *sync.Map, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		empty := true
		calls.Range(func(_, _ any) bool { empty = false; return false })
		if empty {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Dial implements emulator.Signaling.
func (u *UA) Dial(ref emulator.CallRef, line int, target string) {
	leg := newLeg(ref)
	leg.line = line
	u.calls.Store(ref, leg)
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		defer u.calls.Delete(ref)
		u.runOutgoing(leg, target)
	}()
}

// Ring implements emulator.Signaling: the call's goroutine sends 180.
func (u *UA) Ring(ref emulator.CallRef) {
	if leg := u.leg(ref); leg != nil {
		select {
		case leg.ring <- struct{}{}:
		default: // already told
		}
	}
}

// Answer implements emulator.Signaling.
func (u *UA) Answer(ref emulator.CallRef) { u.decide(ref, decision{answer: true}) }

// Reject implements emulator.Signaling.
func (u *UA) Reject(ref emulator.CallRef, code int) { u.decide(ref, decision{code: code}) }

// Hangup implements emulator.Signaling.
func (u *UA) Hangup(ref emulator.CallRef) {
	if leg := u.leg(ref); leg != nil {
		leg.hangup()
	}
}

// SendDTMF implements emulator.Signaling.
func (u *UA) SendDTMF(ref emulator.CallRef, digit rune) {
	if leg := u.leg(ref); leg != nil {
		leg.sendDTMF(digit)
	}
}

// goCall runs f on a goroutine that Stop waits for. It refuses (returning
// false) once the UA is stopping or before it started.
func (u *UA) goCall(f func()) bool {
	if u.ctx == nil || u.ctx.Err() != nil {
		return false
	}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		f()
	}()
	return true
}

// requestCtx bounds one in-dialog transaction: it ends after timeout, when
// the dialog ends (parent) or when the UA stops.
func (u *UA) requestCtx(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	stop := context.AfterFunc(u.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// errText describes a failed request: the SIP status when there was one
// ("488 Not Acceptable Here"), else the error.
func errText(err error) string {
	if code, reason := sipStatus(err); code != 0 {
		return strconv.Itoa(code) + " " + reason
	}
	return err.Error()
}

func (u *UA) leg(ref emulator.CallRef) *callLeg {
	if v, ok := u.calls.Load(ref); ok {
		return v.(*callLeg)
	}
	return nil
}

func (u *UA) decide(ref emulator.CallRef, d decision) {
	if leg := u.leg(ref); leg != nil {
		select {
		case leg.decision <- d:
		default: // a decision is already pending
		}
	}
}

// lineFor finds the line an incoming INVITE is for by its To user; direct
// IP calls (any other user) land on line 1, as on a real phone.
func (u *UA) lineFor(user string) int {
	for i, l := range u.accounts() {
		if l.User == user {
			return i + 1
		}
	}
	return 1
}

func (u *UA) lineCfg(n int) (emulator.LineConfig, bool) {
	if lines := u.accounts(); n >= 1 && n <= len(lines) {
		return lines[n-1], true
	}
	return emulator.LineConfig{}, false
}

// sipStatus extracts the SIP status from diago/sipgo errors, which come as
// *sipgo.ErrDialogResponse from Invite and as the value type from the REFER
// and re-INVITE paths.
func sipStatus(err error) (int, string) {
	var pe *sipgo.ErrDialogResponse
	if errors.As(err, &pe) && pe.Res != nil {
		return pe.Res.StatusCode, pe.Res.Reason
	}
	var ve sipgo.ErrDialogResponse
	if errors.As(err, &ve) && ve.Res != nil {
		return ve.Res.StatusCode, ve.Res.Reason
	}
	var re *diago.RegisterResponseError
	if errors.As(err, &re) && re.RegisterRes != nil {
		return re.RegisterRes.StatusCode, re.RegisterRes.Reason
	}
	return 0, ""
}

// requestURI is uriFor for a request this phone sends itself.
func (u *UA) requestURI(target, server string) (sip.Uri, error) {
	uri, err := uriFor(target, server)
	if err != nil {
		return uri, err
	}
	return u.withTransport(uri), nil
}

// withTransport marks uri with the phone's transport when it is not UDP
// (RFC 3261 §19.1.1 transport parameter): sipgo and diago choose the
// socket for a request by it, and a peer sends to a Contact by it.
func (u *UA) withTransport(uri sip.Uri) sip.Uri {
	if u.opts.Transport == "udp" {
		return uri
	}
	if uri.UriParams == nil {
		uri.UriParams = sip.NewParams()
	}
	if _, ok := uri.UriParams.Get("transport"); !ok {
		uri.UriParams.Add("transport", u.opts.Transport)
	}
	return uri
}

// dialogOptions makes diago place a call over the phone's transport.
func (u *UA) dialogOptions() diago.NewDialogOptions {
	return diago.NewDialogOptions{Transport: u.opts.Transport}
}

// hostOf is the host of the line's server for a sip.Uri (emulator.HostOf,
// with an IPv6 literal unbracketed: sipgo brackets it when writing).
func hostOf(server string) string {
	return strings.Trim(emulator.HostOf(server), "[]")
}

// uriFor turns a dialled target into a request URI (emulator.TargetURI: a
// bare user goes to the line's server).
func uriFor(target, server string) (sip.Uri, error) {
	var u sip.Uri
	if err := sip.ParseUri(emulator.TargetURI(target, server), &u); err != nil {
		return u, fmt.Errorf("cannot call %q: %w", target, err)
	}
	return u, nil
}
